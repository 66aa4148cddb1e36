from django.apps import AppConfig


class AdverseEventsConfig(AppConfig):
    name = "autologic.adverse_events"
    label = "adverse_events"
    verbose_name = "Adverse events"
