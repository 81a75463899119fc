"""Lineage grants per role: every role that reads the catalog reads lineage; engineers and
stewards register jobs. A job's creator and owner maintain it (guardian, see services)."""

from core.choices import Role

_VIEW = [
    "lineage.view_etljob",
    "lineage.view_etljobversion",
    "lineage.view_lineageedge",
    "lineage.view_datasetedge",
]

ROLE_PERMISSIONS = {
    Role.COMMITTEE: _VIEW,
    Role.STEWARD: [*_VIEW, "lineage.add_etljob"],
    Role.ENGINEER: [*_VIEW, "lineage.add_etljob"],
    Role.CONSUMER: _VIEW,
    # Vendors read only the jobs they are granted (guardian).
}
