from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "autologic.protocols"
    label = "protocols"
    verbose_name = "Protocols"
