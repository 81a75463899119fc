from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self):
        # Imported here: apps.py loads before the models these modules need.
        from django.utils.translation import gettext_lazy as _

        from core import roles
        from core.choices import Role
        from core.pages import NavItem, register_nav
        from core.permissions import register_audit_readers
        from governance import workflows  # noqa: F401  (registers the workflows)
        from governance.permissions import AUDIT_READERS
        from governance.roles import ROLE_PERMISSIONS

        roles.register(ROLE_PERMISSIONS)
        register_audit_readers(AUDIT_READERS)
        people = frozenset({Role.COMMITTEE, Role.STEWARD, Role.ENGINEER})
        register_nav(
            NavItem("glossary", _("Glossary"), "definitions-page", people | {Role.VENDOR}, 10),
            NavItem("reviews", _("Reviews"), "reviews-page", people, 20),
            NavItem(
                "conflicts", _("Conflicts"), "conflicts-page",
                frozenset({Role.COMMITTEE, Role.STEWARD}), 30,
            ),
        )  # fmt: skip
