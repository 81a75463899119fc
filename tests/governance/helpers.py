"""A small governed world shared by the governance tests.

On top of the catalog tests' world (system pos with pos:sales.transactions.amount maintained by
the engineer, crm with crm:public.contacts.email by the other engineer): the committee persona
chairs the "Board" (domains order and customer, two approvals needed) with two more members; the
steward writes and stewards the definitions. `order_amount_gross` is approved, `order_amount_net`
a draft.
"""

from __future__ import annotations

from django.test import override_settings

from core.audit import Actor
from governance import queries, services
from governance.choices import ReviewStatus
from governance.models import FieldDefinition, Review
from governance.workflow import cast_vote, reviews_of
from tests.catalog.helpers import CatalogTestCase
from tests.personas import make_user

API = "/api/v1/governance/"
DEFINITIONS_URL = API + "definitions/"
MAPPINGS_URL = API + "mappings/"
REVIEWS_URL = API + "reviews/"
COMMITTEES_URL = API + "committees/"

GROSS = {
    "key": "order_amount_gross",
    "domain": "order",
    "name": "Order amount, gross",
    "description": "Charged amount, VAT included, before discounts.",
    "data_type": "decimal(12,2)",
    "currency": "TWD",
    "tax": "included",
    "discount": "before",
    "grain": "order",
    "synonyms": ["amount", "gross sales"],
}
NET = {
    **GROSS,
    "key": "order_amount_net",
    "name": "Order amount, net",
    "description": "VAT excluded, after discounts.",
    "tax": "excluded",
    "discount": "after",
    "synonyms": ["amount", "net sales"],
}


def definition_url(key: str, suffix: str = "") -> str:
    return f"{DEFINITIONS_URL}{key}/{suffix}"


def review_url(review, suffix: str = "") -> str:
    return f"{REVIEWS_URL}{review.pk}/{suffix}"


def open_review(subject) -> Review:
    return reviews_of(subject).get(status=ReviewStatus.OPEN)


# Creating a dozen users with real password hashing costs seconds per class; tests need none.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class GovernanceTestCase(CatalogTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.member2 = make_user("member2", "committee", email="member2@example.com")
        cls.member3 = make_user("member3", "committee")
        cls.finance_member = make_user("finance_member", "committee")
        cls.steward.email = "steward@example.com"
        cls.steward.save()
        system = Actor.system("tests")
        cls.board = services.save_committee(
            system,
            None,
            {"name": "Board", "domains": ["order", "customer"], "min_approvals": 2},
            [(cls.committee, "chair"), (cls.member2, "member"), (cls.member3, "member")],
        )
        cls.finance = services.save_committee(
            system,
            None,
            {"name": "Finance board", "domains": ["finance"], "min_approvals": 1},
            [(cls.finance_member, "chair")],
        )
        cls.gross = cls.define(GROSS)
        cls.approve(cls.gross)
        cls.net = cls.define(NET)

    @classmethod
    def define(cls, data: dict, author=None) -> FieldDefinition:
        author = author or cls.steward
        return services.create_definition(Actor(author), {"steward": cls.steward, **data})

    @classmethod
    def submit(cls, definition: FieldDefinition, user=None) -> Review:
        services.definition_transition(Actor(user or cls.steward), definition, "submit")
        return open_review(definition.pending_version)

    @classmethod
    def approve(cls, definition: FieldDefinition) -> None:
        review = cls.submit(definition)
        cast_vote(Actor(cls.committee), review, "approve")
        cast_vote(Actor(cls.member2), review, "approve")

    def refreshed(self, definition: FieldDefinition) -> FieldDefinition:
        return FieldDefinition.objects.get(pk=definition.pk)

    def status_of(self, definition: FieldDefinition) -> str:
        return queries.definition_status(self.refreshed(definition))

    def ok(self, response, status_code: int = 200):
        self.assertEqual(response.status_code, status_code, response.content[:2000])
        return response.json()
