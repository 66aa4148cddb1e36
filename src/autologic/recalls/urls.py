from django.urls import path

from autologic.recalls import views

app_name = "recalls"
urlpatterns = [
    path("", views.recall_list, name="list"),
    path("open/", views.open_recall, name="open_recall"),
    path("<int:recall_id>/", views.detail, name="detail"),
    path("<int:recall_id>/note/", views.add_note, name="add_note"),
    path("<int:recall_id>/close/", views.close_recall, name="close_recall"),
    path("holds/new/", views.place_hold, name="place_hold"),
    path("holds/<int:hold_id>/lift/", views.lift_hold, name="lift_hold"),
]
