from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "autologic.operations"
    label = "operations"
    verbose_name = "Operations"
