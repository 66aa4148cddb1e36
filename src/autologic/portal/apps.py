from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "autologic.portal"
    label = "portal"
    verbose_name = "Patient portal"

    def ready(self) -> None:
        """Invitations get their link's token from the portal as the outbox sends them."""
        from autologic.outbox.actions import register_renderer
        from autologic.portal.actions import MESSAGE_REF, render_invitation

        register_renderer(MESSAGE_REF, render_invitation)
