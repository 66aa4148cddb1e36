from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "autologic.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        """A link to an estimate gets its token as the outbox sends the message."""
        from autologic.billing.actions import ESTIMATE_REF, render_estimate_link
        from autologic.outbox.actions import register_renderer

        register_renderer(ESTIMATE_REF, render_estimate_link)
