"""Vendor-contract grants per role. Vendor users get nothing model-wide: their vendor's group
holds guardian grants on the vendor, which its contacts, contracts and notices inherit."""

from core.choices import Role

_MODELS = ("vendor", "vendorcontact", "integrationcontract", "contractversion", "changenotice")
_VIEW = [f"vendors.view_{m}" for m in _MODELS]

ROLE_PERMISSIONS = {
    Role.COMMITTEE: _VIEW,
    Role.ENGINEER: _VIEW,
    # Stewards keep the vendor register for the company.
    Role.STEWARD: [
        *_VIEW,
        "vendors.add_vendor",
        *(f"vendors.change_{m}" for m in _MODELS),
    ],
}
