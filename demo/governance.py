"""The governance part of the retail demo: a committee (chair, member), definitions in every
state (including the three kinds of "amount"), mappings of catalog fields, votes in progress,
a detected conflict, a duplicate definition in review, a mapping proposal that would replace an
approved mapping, and a deprecated definition with its replacement.

Everything goes through the services, so the demo's audit trail and history are real. Loaded by
`manage.py load_demo` after the catalog; does nothing when definitions already exist."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalog.models import Field, SourceSystem
from core.audit import Actor
from governance import services
from governance.choices import ReviewStatus
from governance.models import Committee, FieldDefinition, Ownership
from governance.workflow import SYSTEM, cast_vote, reviews_of, transition

AMOUNT = {"data_type": "decimal(12,2)", "unit": "currency", "currency": "TWD", "grain": "order"}

DEFINITIONS = [
    {
        "key": "order_amount_gross",
        "domain": "order",
        "name": "Order amount, gross",
        "name_zh": "訂單金額（含稅、折扣前）",
        "description_zh": "顧客為一筆訂單或收銀發票支付的金額：含營業稅、"
        "會員與折價券折扣前、不含運費。",
        "description": "What the customer was charged for an order or till receipt, VAT "
        "included, before member and coupon discounts, without shipping.",
        "tax": "included",
        "discount": "before",
        "synonyms": ["amount", "gross sales", "receipt total"],
        "example_values": [1050, 315.5],
        "allowed_values": {"min": 0},
        **AMOUNT,
    },
    {
        "key": "order_amount_net",
        "domain": "order",
        "name": "Order amount, net",
        "name_zh": "訂單金額（未稅、折扣後）",
        "description_zh": "訂單金額扣除營業稅，且已扣除所有折扣，不含運費。",
        "description": "Order value excluding VAT, after all discounts, without shipping.",
        "tax": "excluded",
        "discount": "after",
        "synonyms": ["amount", "net sales"],
        "calculation_rule": "order_amount_gross / 1.05 - discount_amount / 1.05",
        "allowed_values": {"min": 0},
        **AMOUNT,
    },
    {
        "key": "member_spend_amount",
        "domain": "loyalty",
        "name": "Member spend amount",
        "name_zh": "會員消費金額",
        "description_zh": "可累積點數的消費金額：含營業稅、會員折扣後。",
        "description": "Spend that earns loyalty points: VAT included, after member discount.",
        "tax": "included",
        "discount": "after",
        "synonyms": ["amount", "points spend"],
        **AMOUNT,
        "grain": "ledger_entry",
    },
    {
        "key": "customer_email",
        "domain": "customer",
        "name": "Customer e-mail",
        "name_zh": "顧客電子郵件",
        "description_zh": "顧客的主要電子郵件地址。",
        "description": "The customer's primary e-mail address.",
        "data_type": "varchar(254)",
        "grain": "customer",
        "sensitivity": "personal",
        "synonyms": ["email", "e-mail address"],
    },
    {
        "key": "customer_phone",
        "domain": "customer",
        "name": "Customer mobile phone",
        "name_zh": "顧客手機號碼",
        "description_zh": "以 E.164 格式記錄的手機號碼。",
        "description": "Mobile number in E.164 form.",
        "data_type": "varchar(32)",
        "grain": "customer",
        "sensitivity": "personal",
    },
    {
        "key": "customer_birth_date",
        "domain": "customer",
        "name": "Customer birth date",
        "name_zh": "顧客生日",
        "description_zh": "出生日期。",
        "description": "Date of birth.",
        "data_type": "date",
        "grain": "customer",
        "sensitivity": "personal",
    },
    {
        "key": "customer_lifetime_value",
        "domain": "customer",
        "name": "Customer lifetime value",
        "name_zh": "顧客終身價值",
        "description_zh": "顧客歷來所有消費的總額。",
        "description": "Everything a customer ever spent.",
        "data_type": "decimal(14,2)",
        "currency": "TWD",
        "grain": "customer",
    },
    {
        "key": "sales_amount",
        "domain": "finance",
        "name": "Sales amount (legacy)",
        "name_zh": "銷售金額（舊報表）",
        "description_zh": "舊報表的「銷售」：收銀機列印的發票總額。",
        "description": "The old report's 'sales': receipt totals as the tills print them.",
        "data_type": "decimal(12,2)",
        "currency": "TWD",
        "tax": "included",
        "grain": "order",
    },
    {
        "key": "legacy_points_value",
        "domain": "loyalty",
        "name": "Points value (legacy)",
        "name_zh": "點數價值（舊制）",
        "description_zh": "以 2019 年匯率換算的點數價值。",
        "description": "Points converted at the 2019 rate.",
        "data_type": "decimal(12,2)",
        "grain": "member",
    },
    {
        # The same meaning as order_amount_net under another name: flagged as a duplicate at
        # creation, in its review and in the conflicts report.
        "key": "net_sales_amount",
        "domain": "order",
        "name": "Net sales amount",
        "name_zh": "銷貨淨額",
        "description_zh": "財務報表的銷貨淨額：未稅、折扣後、不含運費。",
        "description": "Net sales as finance reports them: VAT excluded, after discounts, "
        "without shipping.",
        "tax": "excluded",
        "discount": "after",
        "synonyms": ["net sales"],
        **AMOUNT,
    },
]


def _users() -> dict:
    User = get_user_model()
    return {
        u.username: u
        for u in User.objects.filter(username__in=["chair", "member", "stella", "eric"])
    }


def _open_review(subject):
    return reviews_of(subject).get(status=ReviewStatus.OPEN)


def _vote(user, subject, choice: str, comment: str = "") -> None:
    cast_vote(Actor(user, reason="demo vote"), _open_review(subject), choice, comment)


@transaction.atomic
def load(actor: Actor) -> None:
    if FieldDefinition.objects.exists() or Committee.objects.exists():
        return
    users = _users()
    chair, member, stella, eric = (users[n] for n in ("chair", "member", "stella", "eric"))
    services.save_committee(
        actor,
        None,
        {
            "name": "Data governance committee",
            "description": "Approves canonical definitions for every domain.",
            "domains": [
                "customer",
                "order",
                "payment",
                "loyalty",
                "product",
                "store",
                "finance",
                "other",
            ],
            "min_approvals": 2,
        },
        [(chair, "chair"), (member, "member")],
    )
    for key, username, role in (
        ("crm", "stella", "steward"),
        ("pos", "stella", "steward"),
        ("orders", "stella", "steward"),
        ("dw", "eric", "owner"),
        ("cdp", "eric", "owner"),
    ):
        system = SourceSystem.objects.get(key=key)
        if not Ownership.objects.filter(system=system, user=users[username]).exists():
            services.assign_ownership(actor, system, users[username], role)

    writer = Actor(stella, reason="demo")
    defs = {}
    for spec in DEFINITIONS:
        defs[spec["key"]] = services.create_definition(
            writer, {**spec, "steward": stella, "owner": chair, "owning_team": "Data Office"}
        )

    def approve(key: str) -> None:
        services.definition_transition(writer, defs[key], "submit", "ready for the committee")
        version = defs[key].pending_version
        _vote(chair, version, "approve")
        _vote(member, version, "approve")

    for key in (
        "order_amount_gross",
        "order_amount_net",
        "customer_email",
        "customer_phone",
        "sales_amount",
        "legacy_points_value",
    ):
        approve(key)

    # customer_email: v2 approved (v1 superseded), v3 rejected by both members (v2 stays in
    # force): the committee's rule lets two rejections decide as two approvals would.
    services.update_definition(
        writer,
        defs["customer_email"],
        {
            "description": "The customer's primary e-mail address, lower-cased and trimmed.",
            "change_note": "normalisation stated",
        },
    )
    approve("customer_email")
    services.update_definition(
        writer,
        defs["customer_email"],
        {
            "description": "Any e-mail address we hold for the customer.",
            "change_note": "widen to secondary addresses",
        },
    )
    services.definition_transition(writer, defs["customer_email"], "submit")
    email_v3 = defs["customer_email"].pending_version
    _vote(chair, email_v3, "reject", "Secondary addresses are not verified; keep the primary one.")
    _vote(member, email_v3, "reject", "Agreed: primary address only.")

    # order_amount_net: v2 in review, one vote of two in (votes in progress).
    services.update_definition(
        writer,
        defs["order_amount_net"],
        {
            "description": "Order value excluding 5% VAT, after member and coupon discounts, "
            "without shipping; online and store orders alike.",
            "change_note": "cover store receipts too",
        },
    )
    services.definition_transition(writer, defs["order_amount_net"], "submit")
    _vote(member, defs["order_amount_net"].pending_version, "approve", "Clearer.")

    # customer_birth_date: changes requested; customer_lifetime_value: rejected.
    services.definition_transition(writer, defs["customer_birth_date"], "submit")
    birth = defs["customer_birth_date"].pending_version
    _vote(chair, birth, "request_changes", "Say whether it is self-declared or verified.")
    _vote(member, birth, "request_changes", "And whether the year is required.")
    services.definition_transition(writer, defs["customer_lifetime_value"], "submit")
    lifetime = defs["customer_lifetime_value"].pending_version
    _vote(chair, lifetime, "reject", "Gross or net? Propose it over order_amount_net.")
    _vote(member, lifetime, "reject", "Same question: say which amount it sums.")
    # member_spend_amount stays a draft.

    # customer_phone: certified 13 months ago, now needs review.
    overdue = timezone.now() - datetime.timedelta(days=400)
    FieldDefinition.objects.filter(pk=defs["customer_phone"].pk).update(last_certified_at=overdue)
    transition(
        actor,
        defs["customer_phone"].effective_version,
        "flag_for_review",
        via=SYSTEM,
        reason="recertification due",
    )

    # sales_amount deprecated in favour of order_amount_gross; legacy_points_value retired.
    sunset = timezone.now().date() + datetime.timedelta(days=90)
    chair_actor = Actor(chair, reason="demo")
    services.definition_transition(
        chair_actor,
        defs["sales_amount"],
        "deprecate",
        "ambiguous: use order_amount_gross",
        replaced_by=defs["order_amount_gross"],
        sunset_date=sunset,
    )
    services.definition_transition(
        chair_actor,
        defs["legacy_points_value"],
        "deprecate",
        "points rate changed",
        replaced_by=defs["order_amount_gross"],
        sunset_date=timezone.now().date(),
    )
    services.definition_transition(
        chair_actor, defs["legacy_points_value"], "retire", "no consumer left"
    )
    _load_mappings(actor, users, defs)

    # net_sales_amount in review (a duplicate of order_amount_net), and a proposal to map the
    # online order amount to it instead: its review says approving it retires that field's
    # approved mapping to order_amount_net.
    services.definition_transition(writer, defs["net_sales_amount"], "submit")
    proposer = Actor(eric, reason="demo mapping")
    replacing = services.create_mapping(
        proposer,
        {
            "field": _field("orders:shop.orders.amount"),
            "definition": defs["net_sales_amount"],
            "semantics": {"tax": "excluded", "discount": "after", "currency": "TWD"},
        },
    )
    transition(proposer, replacing, "submit")


def _field(ref: str) -> Field:
    return Field.objects.get_by_ref(ref)


MAPPINGS = [
    # (field, definition, conversion note, stated semantics, outcome)
    (
        "pos:sales.transactions.amount",
        "order_amount_gross",
        "",
        {"tax": "included", "discount": "before", "currency": "TWD"},
        "approve",
    ),
    (
        "orders:shop.orders.amount",
        "order_amount_net",
        "",
        {"tax": "excluded", "discount": "after", "currency": "TWD"},
        "approve",
    ),
    (
        "dw:staging.pos_transactions.net_amount",
        "order_amount_net",
        "POS amount includes 5% VAT, before discount; net = (amount - discount_amount) / 1.05",
        {"tax": "excluded", "discount": "after"},
        "approve",
    ),
    ("crm:public.contacts.email", "customer_email", "", {}, "approve"),
    ("crm:public.contacts.phone", "customer_phone", "", {}, "approve"),
    # Proposed without a conversion although it is tax included: the detected conflict.
    (
        "membership:loyalty.point_ledger.amount",
        "order_amount_net",
        "",
        {"tax": "included", "discount": "after", "currency": "TWD"},
        "submit",
    ),
]


def _load_mappings(actor: Actor, users: dict, defs: dict) -> None:
    proposer = Actor(users["eric"], reason="demo mapping")
    for ref, key, note, semantics, outcome in MAPPINGS:
        mapping = services.create_mapping(
            proposer,
            {
                "field": _field(ref),
                "definition": defs[key],
                "conversion_note": note,
                "semantics": semantics,
            },
        )
        transition(proposer, mapping, "submit")
        if outcome == "approve":
            _vote(users["stella"], mapping, "approve", "Matches the definition.")
