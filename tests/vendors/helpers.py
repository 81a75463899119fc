"""A small world for the vendor tests: systems pos -> dw -> cdp with lineage between them, the
POS vendor (the `vendor` persona) and a CRM integrator (`other_vendor`), each with contacts and
a contract.

The engineer registered pos, dw and cdp (so owns them and approves their contracts); the other
engineer registered crm. The POS contract has an active version 1; the CRM contract a draft."""

from __future__ import annotations

import datetime

from django.test import override_settings
from django.utils import timezone

from catalog.models import SourceSystem
from core.audit import Actor
from governance.services import save_committee
from lineage.services import create_job, submit_sql
from tests.catalog.helpers import CatalogTestCase, add_dataset, add_field, add_system
from tests.personas import make_user
from vendors import services
from vendors.choices import Activity
from vendors.models import VendorContact

API = "/api/v1/vendors/"
SYSTEM = Actor.system("tests")


def raci(vendor_accountable_for=(), team="Data Platform") -> list[dict]:
    """A full matrix: the vendor is Responsible everywhere; the team Accountable except for
    the activities named, where the vendor is."""
    rows = []
    for activity in Activity.values:
        rows.append({"activity": activity, "role": "R", "party_kind": "vendor", "party": ""})
        if activity in vendor_accountable_for:
            rows.append({"activity": activity, "role": "A", "party_kind": "vendor", "party": ""})
        else:
            rows.append({"activity": activity, "role": "A", "party_kind": "team", "party": team})
    return rows


def document(contact: VendorContact, **overrides) -> dict:
    """A complete version document, as services take it (objects, not keys)."""
    doc = {
        "source_system": SourceSystem.objects.get(key="pos"),
        "target_system": SourceSystem.objects.get(key="dw"),
        "direction": "inbound",
        "mechanism": "file_drop",
        "endpoint": "sftp://drop.retail.example/pos/",
        "data_format": "CSV, UTF-8",
        "schedule": "nightly 02:00",
        "expected_volume": "about 120,000 rows a night",
        "raci": raci(vendor_accountable_for=("extraction", "error_handling")),
        "slas": [
            {"metric": "delivery_time", "target": "6", "unit": "hours"},
            {"metric": "availability", "target": "99.5", "unit": "percent"},
            {"metric": "max_error_rate", "target": "0.1", "unit": "percent"},
        ],
        "error_detection": "Row counts and checksums against the till totals.",
        "retry_attempts": 3,
        "retry_backoff": "15 minutes, doubling",
        "quarantine": "Bad rows go to /pos/quarantine/ with the reason.",
        "replay_procedure": "Re-drop the day's file; loads are idempotent per business day.",
        "notify_party": "Data Platform on-call",
        "notify_within_minutes": 30,
        "escalation": [
            {"level": 1, "contact": contact, "response_time": 1, "response_unit": "hours"},
            {
                "level": 2,
                "internal_contact": "Store IT manager",
                "response_time": 4,
                "response_unit": "hours",
            },
        ],  # fmt: skip
        "schema_change_notice_days": 30,
    }
    doc.update(overrides)
    return doc


def payload(contract_key: str, contact_id: int, **overrides) -> dict:
    """The same document as the API takes it (keys and references)."""
    body = {
        "contract": contract_key,
        "source_system": "pos",
        "target_system": "dw",
        "direction": "inbound",
        "mechanism": "file_drop",
        "endpoint": "sftp://drop.retail.example/pos/",
        "schedule": "nightly 02:00",
        "datasets": ["pos:sales.transactions"],
        "raci": raci(vendor_accountable_for=("extraction",)),
        "slas": [
            {"metric": "freshness", "target": "24", "unit": "hours"},
            {"metric": "availability", "target": "99.5", "unit": "percent"},
            {"metric": "max_error_rate", "target": "0.1", "unit": "percent"},
        ],
        "error_detection": "Row counts.",
        "retry_attempts": 3,
        "retry_backoff": "15 minutes",
        "quarantine": "Quarantine folder.",
        "replay_procedure": "Re-drop the file.",
        "notify_party": "On-call",
        "notify_within_minutes": 30,
        "escalation": [
            {"level": 1, "contact": contact_id, "response_time": 1, "response_unit": "hours"}
        ],
        "schema_change_notice_days": 30,
    }
    body.update(overrides)
    return body


# The personas' passwords are never checked here: a fast hasher saves seconds per test class.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class VendorTestCase(CatalogTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_vendor = make_user("other_vendor", "vendor")
        cls.receipt = add_field(cls.engineer, cls.transactions, "txn_id", ordinal=1)
        cls.dw = add_system(cls.engineer, "dw", name="Warehouse", kind="warehouse")
        staging = add_dataset(cls.engineer, cls.dw, "staging.pos_transactions")
        add_field(cls.engineer, staging, "txn_id", ordinal=1)
        cls.gross = add_field(cls.engineer, staging, "gross_amount", ordinal=2)
        cls.cdp = add_system(cls.engineer, "cdp", name="CDP mart", kind="mart")
        profile = add_dataset(cls.engineer, cls.cdp, "cdp.customer_profile")
        cls.ltv = add_field(cls.engineer, profile, "lifetime_value", ordinal=1)
        engineer = Actor(cls.engineer)
        job = create_job(engineer, {"key": "load_pos", "name": "Load POS", "system": cls.dw})
        submit_sql(
            engineer,
            job,
            "INSERT INTO staging.pos_transactions (txn_id, gross_amount) "
            "SELECT txn_id, amount FROM sales.transactions",
        )
        job = create_job(engineer, {"key": "build_profile", "name": "Profile", "system": cls.cdp})
        submit_sql(
            engineer,
            job,
            "INSERT INTO cdp.customer_profile (lifetime_value) "
            "SELECT SUM(gross_amount) FROM staging.pos_transactions",
        )

        # The committee of the `other` domain reviews vendor contracts (one approval decides).
        save_committee(
            SYSTEM,
            None,
            {"name": "Integration board", "domains": ["other"], "min_approvals": 1},
            [(cls.committee, "member")],
        )
        cls.posco = services.create_vendor(
            SYSTEM, {"key": "posco", "name": "POS Systems Ltd", "contract_reference": "MSA-17"}
        )
        cls.crmco = services.create_vendor(SYSTEM, {"key": "crmco", "name": "CRM Integrators"})
        services.add_vendor_user(SYSTEM, cls.posco, cls.vendor)
        services.add_vendor_user(SYSTEM, cls.crmco, cls.other_vendor)
        cls.pos_contact = services.ContactService.create(
            SYSTEM,
            {"vendor": cls.posco, "name": "Pat Desk", "email": "desk@posco.example",
             "escalation_level": 1},
        )  # fmt: skip
        cls.crm_contact = services.ContactService.create(
            SYSTEM, {"vendor": cls.crmco, "name": "Cris Ops", "phone": "+886 2 5555 0101"}
        )
        cls.pos_contract = services.ContractService.create(
            SYSTEM, {"vendor": cls.posco, "key": "pos-sales-nightly", "name": "POS sales, nightly"}
        )
        cls.pos_v1 = services.create_version(
            Actor(cls.vendor),
            cls.pos_contract,
            document(cls.pos_contact, datasets=[cls.transactions], lineage_jobs=["load_pos"]),
        )
        services.version_transition(Actor(cls.vendor), cls.pos_v1, "submit")
        services.decide(Actor(cls.engineer), cls.pos_v1, "approve", "looks right")
        cls.crm_contract = services.ContractService.create(
            SYSTEM, {"vendor": cls.crmco, "key": "crm-contacts-sync", "name": "CRM contacts"}
        )
        cls.crm_v1 = services.create_version(
            Actor(cls.other_vendor),
            cls.crm_contract,
            {
                "source_system": cls.crm,
                "target_system": cls.dw,
                "mechanism": "api",
                "fields": [cls.email],
            },
        )

    def url(self, *parts) -> str:
        return API + "".join(f"{p}/" for p in parts)

    @staticmethod
    def in_days(days: int) -> str:
        return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()
