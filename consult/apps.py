from django.apps import AppConfig


class ConsultConfig(AppConfig):
    """Access policies, classifications and the consult decision point (a part of governance
    with its own models, so it can grow without touching the definitions workflow)."""

    name = "consult"
    label = "consult"
    verbose_name = "Consult and access policies"

    def ready(self):
        from consult import (
            changes,
            services,  # noqa: F401  (registers the policy workflow)
        )
        from consult.permissions import AUDIT_READERS
        from consult.roles import ROLE_PERMISSIONS
        from core import audit, roles
        from core.permissions import register_audit_readers

        roles.register(ROLE_PERMISSIONS)
        register_audit_readers(AUDIT_READERS)
        audit.on_change(changes.record)
