"""Governance grants per role. Object-level rights (a definition's owner and steward, a system's
owners) come from guardian; committee membership decides who votes."""

from core.choices import Role

_READ = [
    "governance.view_committee",
    "governance.view_fielddefinition",
    "governance.view_definitionversion",
    "governance.view_fieldmapping",
    "governance.view_review",
]

ROLE_PERMISSIONS = {
    Role.COMMITTEE: [*_READ, "governance.add_fielddefinition", "governance.add_fieldmapping"],
    Role.STEWARD: ["governance.add_fielddefinition", "governance.add_fieldmapping"],
    Role.ENGINEER: ["governance.add_fieldmapping"],
}
