from django.urls import path

from autologic.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("patients/<int:patient_id>/", views.patient, name="patient"),
    path("patients/<int:patient_id>/enter/", views.enter, name="enter"),
    path(
        "patients/<int:patient_id>/later-treatment/",
        views.later_treatment,
        name="later_treatment",
    ),
    path(
        "patients/<int:patient_id>/surgery-report/",
        views.surgery_report,
        name="surgery_report",
    ),
    path("thresholds/", views.thresholds_page, name="thresholds"),
    path(
        "patients/<int:patient_id>/rehab/<int:course_id>/<slug:phase>/",
        views.rehab_phase,
        name="rehab",
    ),
]
