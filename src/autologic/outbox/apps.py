from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "autologic.outbox"
    label = "outbox"
    verbose_name = "Outbox"
