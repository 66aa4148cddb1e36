from django.apps import AppConfig


class LabConfig(AppConfig):
    name = "autologic.lab"
    label = "lab"
    verbose_name = "Lab: specimens, products, storage, QC and release"
