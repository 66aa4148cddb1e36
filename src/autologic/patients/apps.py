from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "autologic.patients"
    label = "patients"
