"""Catalog grants per role. Object-level rights (a system's maintainers) come from guardian."""

from core.choices import Role

_VIEW = ["catalog.view_sourcesystem", "catalog.view_dataset", "catalog.view_field"]

ROLE_PERMISSIONS = {
    Role.COMMITTEE: _VIEW,
    Role.STEWARD: [*_VIEW, "catalog.add_sourcesystem"],
    Role.ENGINEER: [*_VIEW, "catalog.add_sourcesystem"],
    Role.CONSUMER: _VIEW,
    # Vendors get no catalog-wide view: they read what their contracts reference (guardian).
}
