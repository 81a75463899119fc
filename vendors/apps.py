from django.apps import AppConfig


class VendorsConfig(AppConfig):
    """Vendor integration contracts (a part of governance with its own models)."""

    name = "vendors"
    label = "vendors"
    verbose_name = "Vendor integration contracts"

    def ready(self):
        from core import roles
        from governance import agenda
        from vendors import services
        from vendors.roles import ROLE_PERMISSIONS

        roles.register(ROLE_PERMISSIONS)
        agenda.register_provider(services.agenda_notices)
