from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "autologic.portal"
    label = "portal"
    verbose_name = "Patient portal"
