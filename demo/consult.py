"""The consult part of the retail demo: classifications on definitions and fields, access
policies for the `cdp-unification` consumer approved through the governance workflow, and a
mapping to a deprecated definition, so that consulting

    crm:public.contacts.email, crm:public.contacts.phone, crm:public.contacts.postcode,
    pos:sales.transactions.amount, pos:sales.transaction_lines.line_amount,
    orders:shop.orders.amount, cdp:cdp.customer_profile.lifetime_value,
    crm:public.contacts.shoe_size

for `profile_unification` shows every decision code of the consult contract. Idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from catalog.models import Field
from consult import services
from consult.models import AccessPolicy, Classification, FieldClassification
from core.audit import Actor
from governance import services as governance_services
from governance import workflow
from governance.models import FieldDefinition, FieldMapping

DEMO_FIELDS = [
    "crm:public.contacts.email",  # allow_with_obligations: pii.direct, mask sha256
    "crm:public.contacts.phone",  # deny: policy_denied
    "crm:public.contacts.postcode",  # deny: no_approved_definition (pii.quasi)
    "pos:sales.transactions.amount",  # allow: policy_allowed
    "pos:sales.transaction_lines.line_amount",  # deny: definition_deprecated
    "orders:shop.orders.amount",  # deny: no_policy
    "cdp:cdp.customer_profile.lifetime_value",  # deny: upstream_unapproved (loyalty amount)
    "crm:public.contacts.shoe_size",  # deny: unregistered_field
]

DEFINITION_LABELS = [
    ("customer_email", "pii.direct"),
    ("customer_phone", "pii.direct"),
    ("customer_birth_date", "pii.quasi"),
    ("order_amount_gross", "financial"),
    ("order_amount_net", "financial"),
]
FIELD_LABELS = [
    ("crm:public.contacts.postcode", "pii.quasi", "postcode with birth date re-identifies"),
    ("crm:public.contacts.birth_date", "pii.quasi", "self-declared birth date"),
]

PUR = ["profile_unification"]
POLICIES = [
    dict(
        name="CDP may unify profiles from the CRM",
        resource_kind="system",
        resource_key="crm",
        effect="allow",
        purposes=PUR,
        justification="Contacts are the backbone of the unified profile; PII only hashed.",
    ),
    dict(
        name="CDP may read till receipts",
        resource_kind="dataset",
        resource_key="pos:sales.transactions",
        effect="allow",
        purposes=PUR,
        justification="Purchase history per member.",
    ),
    dict(
        name="CDP may read sales lines",
        resource_kind="dataset",
        resource_key="pos:sales.transaction_lines",
        effect="allow",
        purposes=PUR,
        justification="Basket contents per member.",
    ),
    dict(
        name="CDP may read its own mart",
        resource_kind="system",
        resource_key="cdp",
        effect="allow",
        purposes=["*"],
        justification="The mart is built for the CDP.",
    ),
    dict(
        name="No raw phone numbers in the CDP",
        resource_kind="field",
        resource_key="crm:public.contacts.phone",
        effect="deny",
        purposes=PUR,
        justification="The mart carries phone_hash; the raw number is not needed.",
    ),
]


def _field(ref: str) -> Field | None:
    return Field.objects.by_ref(ref).first()


def load(actor: Actor) -> None:
    if AccessPolicy.objects.exists():
        return
    users = {u.username: u for u in get_user_model().objects.all()}
    stella = Actor(users["stella"], reason="demo")
    for key, label in DEFINITION_LABELS:
        if FieldDefinition.objects.filter(key=key).exists():
            services.classify_definition(stella, key, Classification.objects.get(key=label))
    for ref, label, why in FIELD_LABELS:
        f = _field(ref)
        if f is not None and not FieldClassification.objects.filter(field=f).exists():
            services.set_field_classification(
                stella, f, Classification.objects.get(key=label), "assigned", why
            )
    _map_to_deprecated(users)
    consumer = users["cdp-unification"]
    for spec in POLICIES:
        policy = services.create_policy(stella, {**spec, "consumer": consumer})
        services.transition_policy(stella, policy, "submit", "for the CDP go-live")
        review = workflow.reviews_of(policy).get(status="open")
        for member in ("chair", "member"):
            workflow.cast_vote(Actor(users[member], reason="demo"), review, "approve")
    # The CDP asks once, so the decision log and the committee's charts have something to show.
    services.consult(consumer, "profile_unification", DEMO_FIELDS, request_id="demo")


def _map_to_deprecated(users) -> None:
    """A till line amount mapped to `sales_amount` before it was deprecated: consulting it
    names the replacement."""
    deprecated = FieldDefinition.objects.filter(key="sales_amount").first()
    f = _field("pos:sales.transaction_lines.line_amount")
    if deprecated is None or f is None or FieldMapping.objects.filter(field=f).exists():
        return
    mapping = governance_services.create_mapping(
        Actor(users["eric"], reason="demo"),
        {"field": f, "definition": deprecated, "conversion_note": "per line, tax included"},
    )
    workflow.transition(Actor(users["eric"], reason="demo"), mapping, "submit")
    review = workflow.reviews_of(mapping).get(status="open")
    workflow.cast_vote(Actor(users["stella"], reason="demo"), review, "approve")
