"""The decision state of a process follows the catalog change by change: what can alter a
decision is visible on the very next consult of every process, what cannot touches nothing,
and a process holds a bounded number of fields."""

from __future__ import annotations

import datetime
import time

from django.test import override_settings

from consult import snapshot
from consult.models import AccessPolicy, Classification, DecisionChange
from consult.services import set_field_classification, subjects_of, transition_policy
from core.audit import Actor, current_catalog_version
from core.services import update_object
from governance import workflow
from governance.models import (
    Committee,
    CommitteeMembership,
    DefinitionVersion,
    FieldDefinition,
    FieldMapping,
    Review,
)
from governance.services import definition_transition
from tests.consult.helpers import ConsultTestCase, field

PHONE = "crm:public.contacts.phone"
DW_PHONE = "dw:dw.customer_dim.phone"
POSTCODE = "crm:public.contacts.postcode"
MEMBER_ID = "pos:sales.transactions.member_id"
PURPOSE = "profile_unification"


class Worker:
    """Another process's decision state: its own cache, the same database."""

    def __init__(self, consumer):
        self.state = snapshot.Snapshot(current_catalog_version())
        self.state.reset()
        self.subjects = subjects_of(consumer)

    def decide(self, ref: str) -> dict:
        self.state.sync(current_catalog_version())
        self.state.prefetch([ref])
        return self.state.decide(self.subjects, PURPOSE, ref, time.time()).result


class NextConsultOnEveryWorkerTests(ConsultTestCase):
    def setUp(self):
        super().setUp()
        self.other = Worker(self.consumer)

    def both(self, ref: str) -> list[dict]:
        return [self.decide(ref), self.other.decide(ref)]

    def test_a_revoked_policy_denies_on_the_next_consult_of_every_worker(self):
        self.assertEqual([d["decision"] for d in self.both(MEMBER_ID)], ["allow", "allow"])
        policy = AccessPolicy.objects.get(resource_kind="system", resource_key="pos")
        transition_policy(Actor(self.admin), policy, "revoke", reason="contract ended")
        decisions = self.both(MEMBER_ID)
        self.assertEqual([d["decision"] for d in decisions], ["deny", "deny"])
        self.assertEqual([d["reasons"][0]["code"] for d in decisions], ["no_policy"] * 2)

    def test_a_deprecated_definition_denies_on_the_next_consult_of_every_worker(self):
        decisions = [d["decision"] for d in self.both(DW_PHONE)]
        self.assertEqual(decisions, ["allow_with_obligations"] * 2)
        definition_transition(
            Actor(self.admin), FieldDefinition.objects.get(key="customer_phone"), "deprecate",
            reason="merged", replaced_by=FieldDefinition.objects.get(key="customer_email"),
            sunset_date=datetime.date(2030, 1, 1),
        )  # fmt: skip
        for d in self.both(DW_PHONE):
            self.assertEqual(d["decision"], "deny")
            self.assertEqual(d["reasons"][0]["code"], "definition_deprecated")

    def test_a_newly_approved_definition_allows_on_the_next_consult_of_every_worker(self):
        d = FieldDefinition.objects.create(key="postcode", domain="customer", steward=self.steward)
        DefinitionVersion.objects.create(
            definition=d, number=1, status="draft", name="postcode", description="postcode"
        )
        FieldMapping.objects.create(field=field(POSTCODE), definition=d, status="approved")
        for decision in self.both(POSTCODE):
            self.assertEqual(self.codes(decision), ["no_approved_definition", "policy_allowed"])
        board = Committee.objects.create(name="Data board", domains=["customer"], min_approvals=1)
        CommitteeMembership.objects.create(committee=board, user=self.committee)
        definition_transition(Actor(self.admin), d, "submit")
        review = Review.objects.filter(object_id=d.versions.get().pk).latest("id")
        workflow.override(Actor(self.admin), review, "approve", "needed today")
        for decision in self.both(POSTCODE):
            self.assertEqual(decision["decision"], "allow")
            self.assertEqual(decision["definition"]["key"], "postcode")

    def test_a_new_masking_classification_shows_on_the_next_consult_of_every_worker(self):
        self.assertEqual([d["decision"] for d in self.both(MEMBER_ID)], ["allow", "allow"])
        set_field_classification(
            Actor(self.admin), field(MEMBER_ID), Classification.objects.get(key="pii.direct"),
            "assigned",
        )  # fmt: skip
        for d in self.both(MEMBER_ID):
            self.assertEqual(d["decision"], "allow_with_obligations")
            self.assertIn("masking_required", self.codes(d))

    def test_a_label_on_an_upstream_field_reaches_cached_downstream_fields_at_once(self):
        self.assertEqual(self.decide(DW_PHONE)["classifications"], ["pii.direct"])
        set_field_classification(
            Actor(self.admin), field(PHONE), Classification.objects.get(key="financial"),
            "assigned",
        )  # fmt: skip
        for d in self.both(DW_PHONE):
            self.assertEqual(d["classifications"], ["financial", "pii.direct"])


class WritesThatCannotAlterADecisionTests(ConsultTestCase):
    def test_a_description_edit_drops_no_cached_field_and_writes_no_decision_change(self):
        before = self.decide(DW_PHONE)
        state = snapshot.get_snapshot()
        entry, loaded = state.by_ref[DW_PHONE], state.loaded
        changes = DecisionChange.objects.count()
        update_object(Actor(self.steward), field(PHONE), {"description": "changed"})
        update_object(Actor(self.steward), field(DW_PHONE), {"description": "changed too"})
        self.assertEqual(self.decide(DW_PHONE), before)
        self.assertEqual(DecisionChange.objects.count(), changes)
        self.assertIs(snapshot.get_snapshot().by_ref[DW_PHONE], entry)
        self.assertEqual(snapshot.get_snapshot().loaded, loaded)

    def test_a_draft_policy_reads_no_policy_and_drops_no_field(self):
        from consult.services import create_policy

        self.decide(DW_PHONE)
        changes = DecisionChange.objects.count()
        create_policy(Actor(self.steward), {
            "name": "draft", "consumer": self.consumer, "purposes": ["analytics"],
            "resource_kind": "system", "resource_key": "pos", "effect": "allow",
            "justification": "t"})  # fmt: skip
        self.assertEqual(DecisionChange.objects.count(), changes)

    def test_a_change_to_one_field_drops_only_the_fields_downstream_of_it(self):
        for ref in (PHONE, DW_PHONE, MEMBER_ID):
            self.decide(ref)
        state = snapshot.get_snapshot()
        member = state.by_ref[MEMBER_ID]
        set_field_classification(
            Actor(self.admin), field(PHONE), Classification.objects.get(key="financial"),
            "assigned",
        )  # fmt: skip
        self.decide(MEMBER_ID)
        state = snapshot.get_snapshot()
        self.assertIs(state.by_ref[MEMBER_ID], member)
        self.assertNotIn(PHONE, state.by_ref)
        self.assertNotIn(DW_PHONE, state.by_ref)
        self.assertEqual(state.evicted, 2)


class BoundedCacheTests(ConsultTestCase):
    @override_settings(CONSULT_CACHE_FIELDS=2)
    def test_a_process_holds_at_most_the_configured_number_of_fields(self):
        refs = [PHONE, DW_PHONE, MEMBER_ID, POSTCODE]
        first = [self.decide(ref)["decision"] for ref in refs]
        self.assertEqual(len(snapshot.get_snapshot().entries), 2)
        snapshot.get_snapshot()._memo.clear()
        self.assertEqual([self.decide(ref)["decision"] for ref in refs], first)
        self.assertEqual(len(snapshot.get_snapshot().entries), 2)

    def test_a_thousand_field_consult_computes_its_fields_together(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        refs = [PHONE, DW_PHONE, MEMBER_ID, POSTCODE, "cdp:cdp.customer_profile.segment"]
        self.consult(["crm:public.contacts.email"])  # authentication, purposes, policies
        with CaptureQueriesContext(connection) as queries:
            response = self.consult(refs)
        self.assertEqual(response.status_code, 200)
        self.assertLessEqual(len(queries), 15, [q["sql"][:80] for q in queries])
