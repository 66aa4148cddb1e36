from django.urls import path

from autologic.injections import views

app_name = "injections"
urlpatterns = [
    path("", views.today, name="today"),
    path("sessions/<int:appointment_id>/", views.session, name="session"),
    path("sessions/<int:appointment_id>/verify/", views.verify, name="verify"),
    path("sessions/<int:appointment_id>/administer/", views.administer, name="administer"),
    path("sessions/<int:appointment_id>/units/<int:unit_id>/issue/", views.issue, name="issue"),
    path("sessions/<int:appointment_id>/units/<int:unit_id>/thaw/", views.thaw, name="thaw"),
    path(
        "sessions/<int:appointment_id>/units/<int:unit_id>/return/",
        views.return_to_stock,
        name="return_to_stock",
    ),
    path("courses/<int:course_id>/reserve/", views.reserve, name="reserve"),
    path("patients/<int:patient_id>/wristband.pdf", views.wristband, name="wristband"),
]
