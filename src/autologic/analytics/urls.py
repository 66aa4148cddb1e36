from django.urls import path

from autologic.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.registry, name="registry"),
    path("claims/", views.claims, name="claims"),
    path("claims/check/", views.claims_check, name="claims_check"),
    path("export/", views.export, name="export"),
    path("export/jobs/", views.export_jobs, name="export_jobs"),
    path("export/<int:job_id>/download/", views.export_download, name="export_download"),
    path("cohorts/", views.cohort_save, name="cohort_save"),
]
