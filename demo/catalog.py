"""The retail demo: a retailer's source systems, warehouse and CDP mart, and one user per role.

Loaded by `manage.py load_demo`; idempotent, so it can run on every `make demo`."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from guardian.shortcuts import assign_perm

from catalog.models import SourceSystem
from catalog.services import import_systems
from core.audit import Actor
from core.services import ensure_user, issue_token


def f(name, data_type, description="", nullable=True):
    return {"name": name, "data_type": data_type, "description": description, "nullable": nullable}


SYSTEMS = [
    {
        "key": "crm",
        "name": "CRM (customer relationship management)",
        "kind": "crm",
        "description": "Customer master kept by the service desk and the marketing team.",
        "owning_team": "Customer Service IT",
        "technical_contact": "crm-support@retail.example",
        # OpenLineage producers (Airflow) name the CRM database by its connection.
        "openlineage_namespaces": ["postgres://crm-db:5432"],
        "openlineage_database": "crm",
        "datasets": [
            {
                "name": "public.contacts",
                "description": "One row per known customer contact.",
                "fields": [
                    f("contact_id", "bigint", "Surrogate key of the contact.", False),
                    f("email", "varchar(254)", "Primary e-mail address as typed by the customer."),
                    f("phone", "varchar(32)", "Mobile number, E.164 when validated."),
                    f("first_name", "varchar(100)"),
                    f("last_name", "varchar(100)"),
                    f("birth_date", "date", "Self-declared date of birth."),
                    f("postcode", "varchar(10)", "Postcode of the home address."),
                    f(
                        "consent_marketing",
                        "boolean",
                        "Opt-in to marketing e-mail, last known value.",
                    ),
                    f("created_at", "timestamptz"),
                ],
            },
            {
                "name": "public.contact_addresses",
                "fields": [
                    f("address_id", "bigint", nullable=False),
                    f("contact_id", "bigint", nullable=False),
                    f("line1", "varchar(200)"),
                    f("city", "varchar(100)"),
                    f("postcode", "varchar(10)"),
                ],
            },
        ],
    },
    {
        "key": "pos",
        "name": "Store point of sale",
        "kind": "pos",
        "description": "Till transactions from every store, delivered nightly by the POS vendor.",
        "owning_team": "Store Operations IT",
        "technical_contact": "pos-vendor-desk@retail.example",
        "datasets": [
            {
                "name": "sales.transactions",
                "description": "One row per till receipt.",
                "fields": [
                    f("txn_id", "varchar(32)", "Receipt number, unique per store and day.", False),
                    f("store_id", "integer", nullable=False),
                    f("member_id", "varchar(20)", "Loyalty card scanned at the till, if any."),
                    f("txn_ts", "timestamp", "Local store time of the receipt."),
                    f(
                        "amount",
                        "numeric(12,2)",
                        "Receipt total in TWD, tax (5% VAT) included, before member discount.",
                        False,
                    ),
                    f("discount_amount", "numeric(12,2)", "Member and coupon discounts in TWD."),
                    f("tax_amount", "numeric(12,2)", "VAT included in amount."),
                    f("payment_method", "varchar(20)"),
                ],
            },
            {
                "name": "sales.transaction_lines",
                "fields": [
                    f("txn_id", "varchar(32)", nullable=False),
                    f("line_no", "integer", nullable=False),
                    f("sku", "varchar(20)"),
                    f("qty", "integer"),
                    f("unit_price", "numeric(12,2)", "Shelf price, tax included."),
                    f("line_amount", "numeric(12,2)", "qty * unit_price, tax included."),
                ],
            },
        ],
    },
    {
        "key": "orders",
        "name": "Online order system",
        "kind": "orders",
        "description": "Web shop and app orders.",
        "owning_team": "E-commerce",
        "technical_contact": "shop-platform@retail.example",
        "datasets": [
            {
                "name": "shop.orders",
                "description": "One row per online order.",
                "fields": [
                    f("order_id", "bigint", nullable=False),
                    f("customer_email", "varchar(254)", "E-mail given at checkout."),
                    f("member_id", "varchar(20)"),
                    f("order_ts", "timestamptz"),
                    f(
                        "amount",
                        "numeric(12,2)",
                        "Order value in TWD, tax excluded, after discounts, without shipping.",
                        False,
                    ),
                    f("shipping_fee", "numeric(12,2)"),
                    f("currency", "char(3)"),
                    f("status", "varchar(20)"),
                ],
            },
            {
                "name": "shop.order_items",
                "fields": [
                    f("order_id", "bigint", nullable=False),
                    f("sku", "varchar(20)"),
                    f("qty", "integer"),
                    f("net_price", "numeric(12,2)", "Unit price, tax excluded."),
                ],
            },
        ],
    },
    {
        "key": "membership",
        "name": "Membership and points platform",
        "kind": "membership",
        "owning_team": "Loyalty",
        "technical_contact": "loyalty-ops@retail.example",
        "datasets": [
            {
                "name": "loyalty.members",
                "fields": [
                    f("member_id", "varchar(20)", nullable=False),
                    f("crm_contact_id", "bigint", "Link to crm public.contacts, when matched."),
                    f("tier", "varchar(10)", "basic, silver or gold."),
                    f("phone", "varchar(32)"),
                    f("joined_at", "date"),
                ],
            },
            {
                "name": "loyalty.point_ledger",
                "fields": [
                    f("entry_id", "bigint", nullable=False),
                    f("member_id", "varchar(20)", nullable=False),
                    f("points", "integer"),
                    f(
                        "amount",
                        "numeric(12,2)",
                        "Spend that earned the points: tax included, after member discount.",
                    ),
                    f("earned_at", "timestamp"),
                ],
            },
        ],
    },
    {
        "key": "epay",
        "name": "E-payment gateway",
        "kind": "payment",
        "owning_team": "Finance IT",
        "technical_contact": "payments@retail.example",
        "datasets": [
            {
                "name": "epay.payments",
                "fields": [
                    f("payment_id", "varchar(40)", nullable=False),
                    f("order_ref", "varchar(40)", "order_id or txn_id the payment settles."),
                    f("member_id", "varchar(20)"),
                    f("card_token", "varchar(64)", "Tokenised card number."),
                    f("paid_amount", "numeric(12,2)", "Amount charged, tax included, in currency."),
                    f("currency", "char(3)"),
                    f("paid_at", "timestamptz"),
                ],
            }
        ],
    },
    {
        "key": "dw",
        "name": "Enterprise data warehouse",
        "kind": "warehouse",
        "description": "Staging and dimensional layers built by nightly ETL SQL.",
        "owning_team": "Data Platform",
        "technical_contact": "data-platform@retail.example",
        "openlineage_namespaces": ["postgres://warehouse:5432"],
        "openlineage_database": "warehouse",
        "datasets": [
            {
                "name": "staging.pos_transactions",
                "fields": [
                    f("txn_id", "varchar(32)"),
                    f("store_id", "integer"),
                    f("member_id", "varchar(20)"),
                    f("txn_date", "date"),
                    f("gross_amount", "numeric(12,2)"),
                    f("net_amount", "numeric(12,2)"),
                ],
            },
            {
                "name": "staging.online_orders",
                "fields": [
                    f("order_id", "bigint"),
                    f("email", "varchar(254)"),
                    f("member_id", "varchar(20)"),
                    f("order_date", "date"),
                    f("net_amount", "numeric(12,2)"),
                ],
            },
            {
                "name": "dw.customer_dim",
                "fields": [
                    f("customer_key", "bigint", nullable=False),
                    f("member_id", "varchar(20)"),
                    f("email", "varchar(254)"),
                    f("phone", "varchar(32)"),
                    f("birth_date", "date"),
                    f("tier", "varchar(10)"),
                ],
            },
            {
                "name": "dw.sales_fact",
                "fields": [
                    f("customer_key", "bigint"),
                    f("channel", "varchar(10)"),
                    f("sale_date", "date"),
                    f("net_amount", "numeric(12,2)"),
                ],
            },
        ],
    },
    {
        "key": "cdp",
        "name": "CDP unification mart",
        "kind": "mart",
        "description": "What the CDP's unification layer reads to build one customer profile.",
        "owning_team": "CDP Programme",
        "technical_contact": "cdp-team@retail.example",
        "datasets": [
            {
                "name": "cdp.customer_profile",
                "fields": [
                    f("customer_key", "bigint", nullable=False),
                    f("email_hash", "char(64)", "SHA-256 of the lower-cased e-mail."),
                    f("phone_hash", "char(64)"),
                    f("tier", "varchar(10)"),
                    f("lifetime_value", "numeric(14,2)", "Sum of net sales over all channels."),
                    f("last_purchase_date", "date"),
                ],
            }
        ],
    },
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str | None
    description: str
    superuser: bool = False

    @property
    def password(self) -> str:
        return f"demo-{self.username}"


USERS = [
    DemoUser("admin", None, "administrator (superuser)", superuser=True),
    DemoUser("chair", "committee", "governance committee chair"),
    DemoUser("member", "committee", "governance committee member"),
    DemoUser("stella", "steward", "data steward, customer and order domains"),
    DemoUser("eric", "engineer", "data engineer, warehouse ETL"),
    DemoUser("victor", "vendor", "POS vendor's integration engineer"),
    DemoUser("carla", "vendor", "CRM integrator's engineer"),
    DemoUser("cdp-unification", "consumer", "the CDP unification layer (service account)"),
]


@transaction.atomic
def load_users(actor: Actor) -> dict[str, object]:
    users = {}
    for spec in USERS:
        # ensure_user creates and grants roles with audit records, like issue_token --create.
        user, _ = ensure_user(
            actor, spec.username, role=spec.role, email=f"{spec.username}@retail.example"
        )
        if not user.has_usable_password():
            user.set_password(spec.password)
        user.is_superuser = user.is_staff = spec.superuser
        user.save()
        users[spec.username] = user
    return users


@transaction.atomic
def load_catalog(actor: Actor) -> None:
    import_systems(actor, SYSTEMS, remove_missing=False)
    # The engineer maintains the warehouse and the mart; the steward the source systems.
    User = get_user_model()
    owners = {"dw": "eric", "cdp": "eric", "crm": "stella", "pos": "stella", "orders": "stella"}
    for key, username in owners.items():
        system = SourceSystem.objects.get(key=key)
        user = User.objects.get(username=username)
        for perm in ("view_sourcesystem", "change_sourcesystem"):
            assign_perm(f"catalog.{perm}", user, system)


def issue_demo_tokens(actor: Actor, users: dict) -> dict[str, str]:
    return {
        spec.username: issue_token(actor, users[spec.username], name="demo")[1] for spec in USERS
    }
