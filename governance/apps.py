from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self):
        from core import roles
        from governance import workflows  # noqa: F401  (registers the workflows)
        from governance.roles import ROLE_PERMISSIONS

        roles.register(ROLE_PERMISSIONS)
