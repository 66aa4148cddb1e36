from django.urls import path

from autologic.protocols import views

app_name = "protocols"
urlpatterns = [
    path("", views.protocol_list, name="list"),
    path("<int:protocol_id>/", views.protocol_detail, name="detail"),
]
