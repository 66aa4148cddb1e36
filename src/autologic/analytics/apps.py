from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "autologic.analytics"
    label = "analytics"
    verbose_name = "Outcome registry"
