from django.urls import path

from autologic.adverse_events import views

app_name = "adverse_events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("patients/<int:patient_id>/new/", views.record, name="record"),
    path("<int:record_id>/", views.detail, name="detail"),
    path("<int:record_id>/follow-up/", views.update, name="update"),
    path("<int:record_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("terms/grades/", views.term_grades, name="term_grades"),
]
