from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "autologic.clinical"
    label = "clinical"
    verbose_name = "Clinical assessment"
