from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "autologic.audit"
    label = "audit"
    verbose_name = "Audit trail and signatures"
