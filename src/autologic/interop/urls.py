"""/fhir: the FHIR R4 API for machine clients (bearer tokens: accounts.roles.Gate.FHIR_TOKEN)."""

from django.urls import path

from autologic.interop import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient/<str:resource_id>/$everything", views.everything, name="everything"),
    path("<str:resource_type>", views.search, name="search"),
    path("<str:resource_type>/<str:resource_id>", views.read, name="read"),
    path("", views.unknown, {"rest": ""}, name="root"),
    path("<path:rest>", views.unknown, name="unknown"),
]
