from django.urls import path

from autologic.portal import staff_views, views

app_name = "portal"
urlpatterns = [
    # The patient's side: the token is the only credential.
    path("p/<str:token>/", views.home, name="home"),
    path("p/<str:token>/estimate/", views.estimate, name="estimate"),
    path("p/<str:token>/<int:region_id>/<str:instrument>/", views.form, name="form"),
    path("p/<str:token>/<int:region_id>/<str:instrument>/answer/", views.answer, name="answer"),
    # Staff.
    path("portal/patients/<int:patient_id>/", staff_views.patient, name="patient"),
    path("portal/follow-ups/<int:appointment_id>/send/", staff_views.send, name="send"),
    path("portal/links/<int:link_id>/revoke/", staff_views.revoke, name="revoke"),
    path("portal/licences/", staff_views.licences, name="licences"),
]
