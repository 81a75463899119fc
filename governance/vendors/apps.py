from django.apps import AppConfig


class VendorsConfig(AppConfig):
    """Vendor integration contracts (a part of governance with its own models)."""

    name = "governance.vendors"
    label = "vendors"
    verbose_name = "Vendor integration contracts"
