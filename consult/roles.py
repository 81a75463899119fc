"""Consult grants per role. Consumers consult for themselves; the committee simulates."""

from core.choices import Role

_READ = [
    "consult.view_classification",
    "consult.view_purpose",
    "consult.view_fieldclassification",
    "consult.view_definitionclassification",
]
_POLICIES = ["consult.view_accesspolicy", "consult.add_accesspolicy", "consult.change_accesspolicy"]

ROLE_PERMISSIONS = {
    Role.COMMITTEE: [
        *_READ,
        *_POLICIES,
        "consult.add_classification",
        "consult.change_classification",
        "consult.add_purpose",
        "consult.change_purpose",
        "consult.add_fieldclassification",
        "consult.change_fieldclassification",
        "consult.add_definitionclassification",
        "consult.delete_definitionclassification",
        "consult.view_decisionlog",
        "consult.simulate_consult",
    ],
    Role.STEWARD: [
        *_READ,
        *_POLICIES,
        "consult.add_fieldclassification",
        "consult.change_fieldclassification",
        "consult.add_definitionclassification",
        "consult.delete_definitionclassification",
        "consult.view_decisionlog",
    ],
    Role.ENGINEER: [*_READ, "consult.view_accesspolicy"],
    Role.CONSUMER: [*_READ, "consult.consult_fields"],
}
