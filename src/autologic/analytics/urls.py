from django.urls import path

from autologic.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.registry, name="registry"),
    path("claims/", views.claims, name="claims"),
    path("export/", views.export, name="export"),
    path("cohorts/", views.cohort_save, name="cohort_save"),
]
