from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "autologic.care"
    label = "care"
    verbose_name = "Treatment courses and scheduling"
