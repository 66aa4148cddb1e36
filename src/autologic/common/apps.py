from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "autologic.common"
    label = "common"
