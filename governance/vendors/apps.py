from django.apps import AppConfig


class VendorsConfig(AppConfig):
    """Vendor integration contracts (a part of governance with its own models)."""

    name = "governance.vendors"
    label = "vendors"
    verbose_name = "Vendor integration contracts"

    def ready(self):
        from core import roles
        from governance import agenda
        from governance.vendors import services
        from governance.vendors.roles import ROLE_PERMISSIONS

        roles.register(ROLE_PERMISSIONS)
        agenda.register_provider(services.agenda_notices)
