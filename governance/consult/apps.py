from django.apps import AppConfig


class ConsultConfig(AppConfig):
    """Access policies, classifications and the consult decision point (a part of governance
    with its own models, so it can grow without touching the definitions workflow)."""

    name = "governance.consult"
    label = "consult"
    verbose_name = "Consult and access policies"

    def ready(self):
        from core import roles
        from governance.consult import services  # noqa: F401  (registers the policy workflow)
        from governance.consult.roles import ROLE_PERMISSIONS

        roles.register(ROLE_PERMISSIONS)
