from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "autologic.demo"
    label = "demo"
    verbose_name = "Demo clinic"
