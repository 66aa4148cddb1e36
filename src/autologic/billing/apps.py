from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "autologic.billing"
    label = "billing"
    verbose_name = "Billing"
