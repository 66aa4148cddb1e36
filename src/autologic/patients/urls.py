from django.urls import path

from autologic.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<int:patient_id>/", views.patient_detail, name="detail"),
    path("<int:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<int:patient_id>/consents/new/", views.consent_add, name="consent_add"),
    path(
        "<int:patient_id>/consents/<int:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("<int:patient_id>/renumber/", views.patient_renumber, name="renumber"),
]
