from django.apps import AppConfig


class InteropConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "autologic.interop"
    verbose_name = "FHIR interoperability"
