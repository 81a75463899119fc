"""Who may do what with every consult endpoint (the permission kit, tests/personas.py).

On the consult tests' world (approved policies let the consumer use four systems), the committee
persona chairs the Privacy board that reviews policies; the steward has a draft policy for the
consumer, another in review, and the consumer has one decision logged."""

from __future__ import annotations

from consult.models import AccessPolicy, DecisionLog, DefinitionClassification
from core.audit import Actor
from governance.services import save_committee
from governance.workflow import transition
from tests.consult.helpers import ConsultTestCase, allow
from tests.personas import READS_CATALOG, ROLES, EndpointPermissionKit, Op, personas, read

API = "/api/v1/consult/"
POLICY = API + "policies/{id}/"
# The roles that read classifications, purposes and policies: all but vendors.
CONSULT_READERS = READS_CATALOG
POLICY_WRITERS = personas("committee", "steward", "admin")
POLICY_READERS = personas("committee", "steward", "engineer", "other_engineer", "consumer", "admin")
COMMITTEE = personas("committee", "admin")
EMAIL = "crm:public.contacts.email"
ASK = {"purpose": "profile_unification", "fields": [EMAIL]}


def policy_url(attr: str, suffix: str = ""):
    return lambda t: f"{API}policies/{getattr(t, attr).pk}/{suffix}"


class ConsultPermissionTests(EndpointPermissionKit, ConsultTestCase):
    OPS = [
        Op("post", API, API, personas("consumer", "admin"), collection=True, body=ASK),
        Op("post", API + "query/", API + "query/", personas("consumer", "admin"), collection=True,
           body={"purpose": "profile_unification", "sql": "SELECT email FROM public.contacts"}),
        Op("post", API + "what-if/", API + "what-if/", COMMITTEE, collection=True,
           body={**ASK, "consumer": "consumer"}),
        read(API + "classifications/", API + "classifications/", CONSULT_READERS,
             shows=lambda t: ("key", "pii.direct")),
        Op("post", API + "classifications/", API + "classifications/", COMMITTEE, success=201,
           collection=True, body={"key": "pii.test", "name": "Test"}),
        read(API + "classifications/{key}/", API + "classifications/pii.direct/",
             CONSULT_READERS),
        read(API + "purposes/", API + "purposes/", CONSULT_READERS,
             shows=lambda t: ("key", "profile_unification")),
        Op("post", API + "purposes/", API + "purposes/", COMMITTEE, success=201,
           collection=True, body={"key": "fraud", "name": "Fraud"}),
        read(API + "purposes/{key}/", API + "purposes/profile_unification/", CONSULT_READERS),
        read(API + "decisions/", API + "decisions/", personas("committee", "steward", "consumer",
             "admin"), shows=lambda t: ("id", t.decision.pk)),
        read(API + "decisions/{id}/", lambda t: f"{API}decisions/{t.decision.pk}/",
             personas("committee", "steward", "consumer", "admin")),
        # Labels of definitions: whoever reads the definition (every role, for approved ones).
        read(API + "definition-classifications/", API + "definition-classifications/",
             ROLES | {"admin"}, shows=lambda t: ("definition_key", "customer_email")),
        Op("post", API + "definition-classifications/", API + "definition-classifications/",
           POLICY_WRITERS, success=201, collection=True,
           body={"definition_key": "member_id", "classification": "pii.quasi"}),
        Op("delete", API + "definition-classifications/{id}/",
           lambda t: f"{API}definition-classifications/{t.labelled.pk}/", POLICY_WRITERS,
           ROLES | {"admin"}, success=204),
        read(API + "definitions/{key}/sources/", API + "definitions/customer_email/sources/",
             ROLES | {"admin"}),
        read(API + "field-classifications/", API + "field-classifications/", CONSULT_READERS,
             body={"field": EMAIL}),
        Op("post", API + "field-classifications/", API + "field-classifications/",
           POLICY_WRITERS, collection=True,
           body={"field": EMAIL, "classification": "pii.quasi", "state": "assigned",
                 "reason": "postcode-level"}),
        # Policies: the committee, stewards and engineers read all; a consumer its own.
        read(API + "policies/", API + "policies/", POLICY_READERS,
             shows=lambda t: ("id", t.draft.pk)),
        Op("post", API + "policies/", API + "policies/", POLICY_WRITERS, success=201,
           collection=True,
           body={"name": "crm for cdp", "consumer": "consumer", "purposes": ["analytics"],
                 "resource_kind": "system", "resource_key": "crm", "effect": "allow",
                 "justification": "tests"}),
        read(POLICY, policy_url("draft"), POLICY_READERS),
        Op("put", POLICY, policy_url("draft"), POLICY_WRITERS, POLICY_READERS,
           body={"name": "renamed", "consumer": "consumer", "purposes": ["analytics"],
                 "resource_kind": "system", "resource_key": "crm", "effect": "allow",
                 "justification": "tests"}),
        Op("patch", POLICY, policy_url("draft"), POLICY_WRITERS, POLICY_READERS,
           body={"name": "renamed"}),
        # No role holds delete: drafts are deleted by administrators.
        Op("delete", POLICY, policy_url("draft"), personas("admin"), POLICY_READERS, success=204),
        read(POLICY + "history/", policy_url("draft", "history/"), POLICY_READERS),
        Op("post", POLICY + "submit/", policy_url("draft", "submit/"), POLICY_WRITERS,
           POLICY_READERS),
        Op("post", POLICY + "withdraw/", policy_url("in_review", "withdraw/"), POLICY_WRITERS,
           POLICY_READERS),
        # Revoking: the committee or the owners of what it covers (nobody owns crm here).
        Op("post", POLICY + "revoke/", policy_url("approved", "revoke/"), COMMITTEE,
           POLICY_READERS),
        Op("post", POLICY + "vote/", policy_url("in_review", "vote/"), personas("committee"),
           POLICY_READERS, body={"choice": "approve"}),
    ]  # fmt: skip

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        save_committee(
            Actor.system("tests"),
            None,
            {"name": "Privacy board", "domains": ["customer"], "min_approvals": 1},
            [(cls.committee, "chair")],
        )
        cls.approved = AccessPolicy.objects.get(resource_key="crm", consumer=cls.consumer)
        cls.draft = allow(cls.consumer, "system", "pos", ("analytics",), status="draft",
                          author=cls.steward)  # fmt: skip
        cls.in_review = allow(cls.consumer, "system", "dw", ("analytics",), status="draft",
                              author=cls.steward)  # fmt: skip
        transition(Actor(cls.steward), cls.in_review, "submit")
        cls.labelled = DefinitionClassification.objects.get(definition_key="customer_email")
        cls.decision = DecisionLog.objects.create(
            consumer=cls.consumer, consumer_name="consumer", purpose="profile_unification",
            field_ref=EMAIL, decision="deny", catalog_version=0,
        )  # fmt: skip
