from django.apps import AppConfig


class RecallsConfig(AppConfig):
    name = "autologic.recalls"
    label = "recalls"
    verbose_name = "Recalls and look-back"

    def ready(self) -> None:
        # A result that fails after release holds the lot's units and opens a look-back.
        from autologic.recalls import receivers  # noqa: F401
