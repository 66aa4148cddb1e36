from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "autologic.dashboard"
    label = "dashboard"
