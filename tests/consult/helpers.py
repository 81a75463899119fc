"""A small retail world for consult tests: fields in four systems, definitions in several
states, lineage with an identity, a masking, an aggregation and an unapproved upstream, and
approved policies for the consumer persona."""

from __future__ import annotations

from catalog.models import Dataset, Field, SourceSystem
from consult import snapshot
from consult.models import AccessPolicy, Classification, DefinitionClassification
from governance.models import DefinitionVersion, FieldDefinition, FieldMapping
from lineage.models import EtlJob, EtlJobVersion, LineageEdge
from tests.personas import PersonaTestCase

CONSULT_URL = "/api/v1/consult/"
WHAT_IF_URL = "/api/v1/consult/what-if/"
POLICIES_URL = "/api/v1/consult/policies/"
DECISIONS_URL = "/api/v1/consult/decisions/"
LABELS_URL = "/api/v1/consult/field-classifications/"

FIELDS = {
    "crm:public.contacts": ["email", "phone", "birth_date", "postcode"],
    "pos:sales.transactions": ["amount", "member_id"],
    "dw:dw.customer_dim": ["email", "phone"],
    "cdp:cdp.customer_profile": ["email_hash", "lifetime_value", "segment", "last_seen"],
}
# field -> (definition key, version status)
DEFINED = {
    "crm:public.contacts.email": ("customer_email", "approved"),
    "crm:public.contacts.phone": ("customer_phone", "approved"),
    "crm:public.contacts.birth_date": ("birth_date_legacy", "deprecated"),
    "pos:sales.transactions.amount": ("order_amount_gross", "approved"),
    "pos:sales.transactions.member_id": ("member_id", "approved"),
    "dw:dw.customer_dim.email": ("warehouse_email", "approved"),
    "dw:dw.customer_dim.phone": ("customer_phone", "approved"),
    "cdp:cdp.customer_profile.email_hash": ("email_hash", "approved"),
    "cdp:cdp.customer_profile.lifetime_value": ("lifetime_value", "approved"),
    "cdp:cdp.customer_profile.segment": ("segment", "approved"),
    "cdp:cdp.customer_profile.last_seen": ("last_seen", "approved"),
}
# (source, target, subtype, masking, job)
EDGES = [
    ("crm:public.contacts.email", "dw:dw.customer_dim.email", "IDENTITY", False, "load_dim"),
    ("crm:public.contacts.phone", "dw:dw.customer_dim.phone", "IDENTITY", False, "load_dim"),
    ("dw:dw.customer_dim.email", "cdp:cdp.customer_profile.email_hash", "TRANSFORMATION", True,
     "build_profile"),
    ("pos:sales.transactions.amount", "cdp:cdp.customer_profile.lifetime_value", "AGGREGATION",
     False, "build_profile"),
    ("crm:public.contacts.postcode", "cdp:cdp.customer_profile.segment", "TRANSFORMATION", False,
     "build_profile"),
    ("pos:sales.transactions.member_id", "cdp:cdp.customer_profile.last_seen", "IDENTITY", False,
     "broken_job"),
]  # fmt: skip


def field(ref: str) -> Field:
    system, rest = ref.split(":")
    dataset, name = rest.rsplit(".", 1)
    return Field.objects.get(dataset__system__key=system, dataset__name=dataset, name=name)


def allow(consumer, kind, key, purposes=("profile_unification",), **extra) -> AccessPolicy:
    return policy(consumer, kind, key, "allow", purposes, **extra)


def deny(consumer, kind, key, purposes=("profile_unification",), **extra) -> AccessPolicy:
    return policy(consumer, kind, key, "deny", purposes, **extra)


def policy(subject, kind, key, effect, purposes, status="approved", **extra) -> AccessPolicy:
    subject_arg = {"group": subject} if hasattr(subject, "user_set") else {"consumer": subject}
    return AccessPolicy.objects.create(
        name=f"{effect} {kind} {key}",
        purposes=list(purposes),
        resource_kind=kind,
        resource_key=key,
        effect=effect,
        status=status,
        justification="tests",
        **subject_arg,
        **extra,
    )


def build_world(steward) -> None:
    for dataset_ref, columns in FIELDS.items():
        system_key, name = dataset_ref.split(":")
        system, _ = SourceSystem.objects.get_or_create(
            key=system_key, defaults={"name": system_key}
        )
        dataset = Dataset.objects.create(system=system, name=name)
        for i, column in enumerate(columns, 1):
            Field.objects.create(dataset=dataset, name=column, ordinal=i)
    definitions = {}
    for ref, (key, status) in DEFINED.items():
        if key not in definitions:
            d = FieldDefinition.objects.create(key=key, domain="customer", steward=steward)
            DefinitionVersion.objects.create(
                definition=d, number=1, status=status, name=key, description=key,
                tax="included" if key == "order_amount_gross" else "",
            )  # fmt: skip
            definitions[key] = d
        FieldMapping.objects.create(
            field=field(ref), definition=definitions[key], status="approved",
            conversion_note=f"{ref} as is",
        )  # fmt: skip
    replacement = FieldDefinition.objects.create(key="customer_birth_date", domain="customer")
    FieldDefinition.objects.filter(key="birth_date_legacy").update(replaced_by=replacement)
    pii = Classification.objects.get(key="pii.direct")
    DefinitionClassification.objects.create(definition_key="customer_email", classification=pii)
    DefinitionClassification.objects.create(definition_key="customer_phone", classification=pii)
    DefinitionClassification.objects.create(
        definition_key="order_amount_gross",
        classification=Classification.objects.get(key="pii.sensitive"),
    )
    system = SourceSystem.objects.get(key="dw")
    versions = {}
    for source, target, subtype, masking, job_key in EDGES:
        if job_key not in versions:
            job = EtlJob.objects.create(key=job_key, name=job_key, system=system)
            versions[job_key] = EtlJobVersion.objects.create(
                job=job, number=1, origin="sql", status="ok", submitted_by_name="t"
            )
            if job_key == "broken_job":
                EtlJobVersion.objects.create(
                    job=job, number=2, origin="sql", status="failed", submitted_by_name="t"
                )
        version = versions[job_key]
        LineageEdge.objects.create(
            source=field(source), target=field(target), type="DIRECT", subtype=subtype,
            masking=masking, job=version.job, job_version=version,
        )  # fmt: skip


class ConsultTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_world(cls.steward)
        for system in ("crm", "pos", "dw", "cdp"):
            allow(cls.consumer, "system", system)

    def setUp(self):
        # A rolled-back test can leave a snapshot whose version number the next test reuses.
        snapshot.clear()

    def consult(self, fields, purpose="profile_unification", user=None):
        return self.as_(user or self.consumer).post(
            CONSULT_URL, {"purpose": purpose, "fields": list(fields)}, format="json"
        )

    def decide(self, ref, purpose="profile_unification", user=None) -> dict:
        response = self.consult([ref], purpose, user)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()["decisions"][0]

    def codes(self, decision: dict) -> list[str]:
        return [r["code"] for r in decision["reasons"]]
