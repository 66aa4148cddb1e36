from django.apps import AppConfig


class InjectionsConfig(AppConfig):
    name = "autologic.injections"
    label = "injections"
    verbose_name = "Injections"

    def ready(self) -> None:
        # A released lot or a (re)planned course reserves aliquots for the remaining sessions.
        from autologic.injections import receivers  # noqa: F401
