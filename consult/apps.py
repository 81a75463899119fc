from django.apps import AppConfig


class ConsultConfig(AppConfig):
    """Access policies, classifications and the consult decision point (a part of governance
    with its own models, so it can grow without touching the definitions workflow)."""

    name = "consult"
    label = "consult"
    verbose_name = "Consult and access policies"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from consult import (
            changes,
            services,  # noqa: F401  (registers the policy workflow)
        )
        from consult.permissions import AUDIT_READERS
        from consult.roles import ROLE_PERMISSIONS
        from core import audit, roles
        from core.choices import Role
        from core.pages import NavItem, register_nav
        from core.permissions import register_audit_readers

        roles.register(ROLE_PERMISSIONS)
        register_audit_readers(AUDIT_READERS)
        audit.on_change(changes.record)
        # The consult pages open on the policies, which these roles read (a consumer its own).
        readers = frozenset({Role.COMMITTEE, Role.STEWARD, Role.ENGINEER, Role.CONSUMER})
        register_nav(NavItem("consult", _("Consult"), "policies-page", readers, 40))
