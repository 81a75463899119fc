from django.apps import AppConfig


class VendorsConfig(AppConfig):
    """Vendor integration contracts (a part of governance with its own models)."""

    name = "vendors"
    label = "vendors"
    verbose_name = "Vendor integration contracts"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from core import roles
        from core.choices import Role
        from core.pages import NavItem, register_nav
        from core.permissions import readable_by_grants, register_audit_readers
        from governance import agenda
        from vendors import services
        from vendors.models import (
            ChangeNotice,
            ContractVersion,
            IntegrationContract,
            Vendor,
            VendorContact,
            VendorUser,
        )
        from vendors.roles import ROLE_PERMISSIONS

        VERSION_PATHS = ("contract", "contract__vendor")

        roles.register(ROLE_PERMISSIONS)
        register_audit_readers(
            {
                Vendor: readable_by_grants(Vendor),
                VendorUser: readable_by_grants(VendorUser, ("vendor",)),
                VendorContact: readable_by_grants(VendorContact, ("vendor",)),
                IntegrationContract: readable_by_grants(IntegrationContract, ("vendor",)),
                ContractVersion: readable_by_grants(ContractVersion, VERSION_PATHS),
                ChangeNotice: readable_by_grants(ChangeNotice, VERSION_PATHS),
            }
        )
        agenda.register_provider(services.agenda_notices)
        # Vendors see their own contracts; the company's people those they may read or approve.
        register_nav(NavItem("vendors", _("Vendor contracts"), "vendor-home", frozenset(
            {Role.VENDOR, Role.COMMITTEE, Role.STEWARD, Role.ENGINEER}), 40))  # fmt: skip
