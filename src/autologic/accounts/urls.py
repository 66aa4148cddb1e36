from django.urls import path

from autologic.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.otp_verify, name="otp_verify"),
    path("login/enrol/", views.otp_setup, name="otp_setup"),
    path("logout/", views.logout_view, name="logout"),
    path("me/", views.profile, name="profile"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:user_id>/reset-2fa/", views.staff_reset_otp, name="staff_reset_otp"),
    path("clinic/", views.site_settings, name="site_settings"),
]
