from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """Web pages that span apps: each role's home and the one search."""

    name = "workspace"
    verbose_name = "Web workspace"

    def ready(self):
        # Imported here: apps.py loads before the models, and core.pages needs them.
        from django.utils.translation import gettext_lazy as _

        from core.pages import NavItem, register_nav

        from core.choices import Role

        register_nav(
            NavItem("home", _("Home"), "home", order=0),
            # Everyone whose role reads lineage; vendors read the jobs they are granted from
            # their contracts' pages.
            NavItem(
                "lineage",
                _("Lineage"),
                "lineage-page",
                roles=frozenset({Role.ENGINEER, Role.STEWARD, Role.COMMITTEE, Role.CONSUMER}),
                order=40,
            ),
        )
