from django.urls import path

from autologic.interop import record_views

app_name = "records"
urlpatterns = [
    path("patients/<int:patient_id>/", record_views.record_copy, name="record_copy"),
    path(
        "patients/<int:patient_id>/download/",
        record_views.record_copy_download,
        name="record_copy_download",
    ),
]
