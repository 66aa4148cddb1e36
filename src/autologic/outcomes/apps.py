from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "autologic.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
