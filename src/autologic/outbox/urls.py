from django.urls import path

from autologic.outbox import views

app_name = "outbox"
urlpatterns = [
    path("", views.attention, name="attention"),
    path("<int:message_id>/retry/", views.retry_now, name="retry_now"),
]
