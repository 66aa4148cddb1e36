from django.urls import path

from autologic.care import views

app_name = "care"
urlpatterns = [
    path("courses/", views.course_list, name="courses"),
    path(
        "patients/<int:patient_id>/decisions/<int:decision_id>/course/",
        views.course_new,
        name="course_new",
    ),
    path("courses/<int:course_id>/", views.course_detail, name="course"),
    path("courses/<int:course_id>/schedule/", views.course_schedule, name="course_schedule"),
    path(
        "courses/<int:course_id>/appointments/<int:appointment_id>/missed/",
        views.appointment_missed,
        name="appointment_missed",
    ),
    path("calendar/", views.calendar, name="calendar"),
    path("resources/", views.resources, name="resources"),
    path("resources/closed-days/", views.closed_day_add, name="closed_day_add"),
    path("resources/<int:resource_id>/active/", views.resource_active, name="resource_active"),
]
