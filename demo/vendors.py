"""The vendor part of the retail demo: the POS vendor and the CRM integrator, their contacts and
users, contracts in different states, and a schema change notice with its lineage impact.

Loaded by `manage.py load_demo` after the catalog, lineage and governance parts; idempotent."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalog.models import Dataset, Field, SourceSystem
from core.audit import Actor
from core.services import ensure_user
from vendors import services
from vendors.choices import Activity
from vendors.models import Vendor

# The CRM integrator's engineer; victor (governance/demo.py) works for the POS vendor.
CARLA_PASSWORD = "demo-carla"


def _raci(vendor_accountable: set[str], team: str, informed: str = "") -> list[dict]:
    """The vendor does every activity; it or the team answers for each; `informed` hears."""
    rows = []
    for activity in Activity.values:
        accountable = ("vendor", "") if activity in vendor_accountable else ("team", team)
        parties = [("R", "vendor", ""), ("A", *accountable)]
        if informed:
            parties.append(("I", "team", informed))
        rows += [
            {"activity": activity, "role": role, "party_kind": kind, "party": party}
            for role, kind, party in parties
        ]
    return rows


def _slas(delivery: tuple[str, str, str], availability: str, error_rate: str) -> list[dict]:
    metric, target, unit = delivery
    return [
        {"metric": metric, "target": target, "unit": unit},
        {"metric": "availability", "target": availability, "unit": "percent"},
        {"metric": "max_error_rate", "target": error_rate, "unit": "percent"},
    ]


def _escalation(contacts) -> list[dict]:
    times = [(30, "minutes"), (2, "hours"), (1, "days")]
    return [
        {"level": i + 1, "contact": c, "response_time": t, "response_unit": u}
        for i, (c, (t, u)) in enumerate(zip(contacts, times, strict=False))
    ]


def _field(ref: str) -> Field:
    return Field.objects.get_by_ref(ref)


def _vendor(actor: Actor, data: dict, user, contacts: list[dict]):
    vendor = services.create_vendor(actor, data)
    services.add_vendor_user(actor, vendor, user)
    return [
        services.ContactService.create(Actor(user), {"vendor": vendor, **c}) for c in contacts
    ], vendor


@transaction.atomic
def load(actor: Actor) -> None:
    if Vendor.objects.filter(key="storetech").exists():
        return
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=["victor", "eric", "stella"])}  # fmt: skip
    victor, eric, stella = users["victor"], users["eric"], users["stella"]
    carla, created = ensure_user(actor, "carla", email="carla@nimbus.example")
    if created:
        carla.set_password(CARLA_PASSWORD)
        carla.save()
    system = {s.key: s for s in SourceSystem.objects.all()}
    dataset = {d.ref: d for d in Dataset.objects.select_related("system")}
    today = timezone.localdate()

    # The POS vendor: an active nightly feed, and version 2 (hourly) under review.
    pos_contacts, storetech = _vendor(
        actor,
        {"key": "storetech", "name": "StoreTech POS Ltd", "contract_reference": "MSA-2024-017",
         "active_from": datetime.date(2024, 1, 1),
         "description": "Runs the tills and delivers the day's receipts to the warehouse."},
        victor,
        [
            {"name": "Pat Lin", "role": "Integration desk", "email": "desk@storetech.example",
             "phone": "+886 2 5550 0100", "escalation_level": 1},
            {"name": "Morgan Wu", "role": "Service manager", "email": "morgan@storetech.example",
             "phone": "+886 912 000 111", "escalation_level": 2},
            {"name": "Alex Chen", "role": "CTO", "email": "alex@storetech.example",
             "escalation_level": 3},
        ],
    )  # fmt: skip
    contract = services.ContractService.create(
        Actor(victor),
        {"vendor": storetech, "key": "pos-sales-nightly", "name": "POS receipts to the warehouse",
         "description": "Every store's till receipts and lines, delivered as files each night."},
    )  # fmt: skip
    pos_doc = {
        "source_system": system["pos"],
        "target_system": system["dw"],
        "direction": "inbound",
        "mechanism": "file_drop",
        "endpoint": "sftp://drop.retail.example/pos/receipts/",
        "data_format": "CSV, UTF-8, one file per store and day",
        "schedule": "nightly, files by 01:00",
        "expected_volume": "about 120,000 receipts and 600,000 lines a night",
        "datasets": [dataset["pos:sales.transactions"], dataset["pos:sales.transaction_lines"]],
        "lineage_jobs": ["stg_pos_transactions"],
        "raci": _raci({"extraction", "error_handling", "schema_changes"}, "Data Platform",
                      informed="CDP Programme"),
        "slas": _slas(("delivery_time", "1", "hours"), "99.5", "0.1"),
        "error_detection": "Row counts and receipt totals checked against the till summary.",
        "retry_attempts": 3,
        "retry_backoff": "15 minutes, doubling",
        "quarantine": "Rejected rows go to /pos/quarantine/ with the reason, kept 30 days.",
        "replay_procedure": "StoreTech re-drops the store-day file; loads are idempotent per "
        "store and business day.",
        "notify_party": "Data Platform on-call",
        "notify_within_minutes": 30,
        "escalation": _escalation(pos_contacts),
        "schema_change_notice_days": 30,
        "effective_from": datetime.date(2024, 1, 1),
    }  # fmt: skip
    v1 = services.create_version(Actor(victor), contract, pos_doc)
    services.version_transition(Actor(victor), v1, "submit", "first documented version")
    services.decide(Actor(eric), v1, "approve", "matches the MSA and our runbook")
    v2 = services.create_version(
        Actor(victor), contract, {**pos_doc, "schedule": "hourly", "effective_from": None,
                                  "slas": _slas(("freshness", "90", "minutes"), "99.5", "0.1")},
    )  # fmt: skip
    services.version_transition(Actor(victor), v2, "submit", "hourly delivery from next month")
    services.file_notice(
        Actor(victor),
        contract,
        {"summary": "Till software 8.2: amount renamed gross_amount, new channel column",
         "effective_date": today + datetime.timedelta(days=14),
         "changes": [
             {"change": "renamed", "field": "pos:sales.transactions.amount",
              "new_name": "gross_amount"},
             {"change": "added", "field": "pos:sales.transactions.channel",
              "data_type": "varchar(10)"},
         ]},
    )  # fmt: skip

    # The CRM integrator: contacts sync approved to start later, and a draft still incomplete.
    crm_contacts, nimbus = _vendor(
        actor,
        {"key": "nimbus", "name": "Nimbus CRM Integration", "contract_reference": "SOW-2025-03",
         "active_from": datetime.date(2025, 3, 1)},
        carla,
        [
            {"name": "Carla Ruiz", "role": "Integration lead", "email": "carla@nimbus.example",
             "escalation_level": 1},
            {"name": "Sam Ho", "role": "Account manager", "email": "sam@nimbus.example",
             "phone": "+886 2 5550 0200", "escalation_level": 2},
        ],
    )  # fmt: skip
    sync = services.ContractService.create(
        Actor(carla),
        {"vendor": nimbus, "key": "crm-contacts-sync", "name": "CRM contacts to the warehouse"},
    )
    sync_v1 = services.create_version(
        Actor(carla),
        sync,
        {"source_system": system["crm"], "target_system": system["dw"], "direction": "inbound",
         "mechanism": "api", "endpoint": "https://crm.retail.example/api/v2/contacts?changed_since=",
         "data_format": "JSON pages of 500", "schedule": "every 15 minutes",
         "expected_volume": "about 5,000 changed contacts a day",
         "datasets": [dataset["crm:public.contacts"]], "lineage_jobs": ["dw_customer_dim"],
         "raci": _raci({"extraction", "monitoring"}, "Customer Service IT"),
         "slas": _slas(("freshness", "30", "minutes"), "99.9", "0.5"),
         "error_detection": "HTTP errors and schema validation of each page.",
         "retry_attempts": 5, "retry_backoff": "exponential from 30 seconds, at most 10 minutes",
         "quarantine": "Invalid contacts are parked in a dead-letter table for the CRM team.",
         "replay_procedure": "Re-run from the last successful watermark.",
         "notify_party": "Customer Service IT", "notify_within_minutes": 60,
         "escalation": _escalation(crm_contacts), "schema_change_notice_days": 45,
         "effective_from": today + datetime.timedelta(days=30)},
    )  # fmt: skip
    services.version_transition(Actor(carla), sync_v1, "submit")
    services.decide(Actor(stella), sync_v1, "approve", "starts with the new CRM release")
    consent = services.ContractService.create(
        Actor(carla),
        {"vendor": nimbus, "key": "crm-consent-stream", "name": "Consent changes to the CDP"},
    )
    services.create_version(
        Actor(carla),
        consent,
        {"source_system": system["crm"], "target_system": system["cdp"], "mechanism": "stream",
         "direction": "outbound", "endpoint": "kafka://events/crm.consent",
         "fields": [_field("crm:public.contacts.consent_marketing")]},
    )  # fmt: skip
