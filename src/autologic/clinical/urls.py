from django.urls import path

from autologic.clinical import views

app_name = "clinical"
urlpatterns = [
    path("<int:patient_id>/", views.clinical_record, name="record"),
    path("<int:patient_id>/assessments/new/", views.assessment_create, name="assessment_create"),
    path(
        "<int:patient_id>/assessments/<int:assessment_id>/regions/new/",
        views.region_add,
        name="region_add",
    ),
    path(
        "<int:patient_id>/assessments/<int:assessment_id>/eligibility/",
        views.eligibility,
        name="eligibility",
    ),
    path(
        "<int:patient_id>/decisions/<int:decision_id>/",
        views.decision_detail,
        name="decision",
    ),
    path("<int:patient_id>/medication-hold/confirm/", views.hold_confirm, name="hold_confirm"),
    path("courses/<int:course_id>/gate-exception/", views.gate_exception, name="gate_exception"),
    path("<int:patient_id>/<slug:kind>/new/", views.record_add, name="record_add"),
    path("<int:patient_id>/<slug:kind>/<int:record_id>/", views.record_edit, name="record_edit"),
]
