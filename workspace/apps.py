from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """Web pages that span apps: each role's home and the one search."""

    name = "workspace"
    verbose_name = "Web workspace"

    def ready(self):
        # Imported here: apps.py loads before the models, and core.pages needs them.
        from django.utils.translation import gettext_lazy as _

        from core.choices import Role
        from core.pages import NavItem, register_nav

        register_nav(
            NavItem("home", _("Home"), "home", order=0),
            # The roles that read the catalog (catalog.roles); a vendor reaches the datasets
            # its contracts name from its contracts.
            NavItem(
                "catalog",
                _("Catalog"),
                "catalog-page",
                roles=frozenset({Role.COMMITTEE, Role.STEWARD, Role.ENGINEER, Role.CONSUMER}),
                order=15,
            ),
            # Every role: a vendor explores the fields its contracts carry (the rest is
            # counted as hidden).
            NavItem("lineage", _("Lineage"), "lineage-page", order=40),
        )
