from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "autologic.accounts"
    label = "accounts"
    verbose_name = "Accounts and sites"
