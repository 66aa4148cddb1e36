"""/fhir: the FHIR R4 API for machine clients (bearer tokens: accounts.roles.Gate.FHIR_TOKEN)."""

from django.urls import path

from autologic.interop import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("auth/token", views.token, name="token"),
    path(".well-known/smart-configuration", views.smart_configuration, name="smart_configuration"),
    path("$export", views.export_system, name="export_system"),
    path("Patient/$export", views.export_patient, name="export_patient"),
    path("Group/<str:group_id>/$export", views.export_group, name="export_group"),
    path("$export-status/<uuid:job_id>", views.export_status, name="export_status"),
    path("$export-file/<uuid:job_id>/<str:name>", views.export_file, name="export_file"),
    path("Patient/<str:resource_id>/$everything", views.everything, name="everything"),
    path("<str:resource_type>", views.search, name="search"),
    path("<str:resource_type>/_search", views.search_post, name="search_post"),
    path("<str:resource_type>/<str:resource_id>", views.read, name="read"),
    path("", views.transaction_bundle, name="transaction"),
    path("<path:rest>", views.unknown, name="unknown"),
]
