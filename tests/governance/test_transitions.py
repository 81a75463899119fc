"""Every lifecycle transition of a definition through the API, legal and illegal."""

from __future__ import annotations

import datetime
import io

from core.audit import Actor
from core.models import ChangeRecord
from governance import services
from governance.choices import VersionStatus
from governance.models import DefinitionVersion, FieldDefinition, StatusChange
from governance.workflow import SYSTEM, IllegalTransition, transition, workflow_for
from tests.governance.helpers import (
    DEFINITIONS_URL,
    GROSS,
    NET,
    GovernanceTestCase,
    definition_url,
    open_review,
)

SUNSET = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


class TransitionTableTests(GovernanceTestCase):
    def test_the_table_allows_exactly_the_documented_steps(self):
        wf = workflow_for(DefinitionVersion)
        expected = {
            "draft": ["submit"],
            "in_review": ["withdraw"],
            "changes_requested": ["submit"],
            "approved": ["recertify", "deprecate"],
            "needs_review": ["recertify", "deprecate"],
            "deprecated": ["retire"],
            "rejected": [],
            "retired": [],
            "superseded": [],
        }
        for status in VersionStatus.values:
            with self.subTest(status=status):
                self.assertEqual(wf.allowed(status), expected[status])
        self.assertEqual(
            wf.allowed("in_review", "review"), ["approve", "reject", "request_changes"]
        )
        self.assertEqual(wf.allowed("approved", "system"), ["supersede", "flag_for_review"])

    def test_every_illegal_manual_transition_is_refused_with_the_allowed_ones(self):
        wf = workflow_for(DefinitionVersion)
        names = {t.name for t in wf.transitions}
        version = self.net.pending_version
        for name in sorted(names - set(wf.allowed("draft"))):
            with self.subTest(name=name):
                with self.assertRaises(IllegalTransition) as caught:
                    transition(Actor(self.steward), version, name)
                self.assertEqual(caught.exception.allowed, ["submit"])
        self.assertEqual(self.status_of(self.net), "draft")

    def test_system_transitions_cannot_be_requested_by_people(self):
        response = self.as_(self.admin).post(definition_url("order_amount_gross", "submit/"))
        self.assert_error(response, 400, code="illegal_transition")


class DefinitionTransitionApiTests(GovernanceTestCase):
    def post(self, user, key, action, data=None):
        return self.as_(user).post(definition_url(key, f"{action}/"), data or {})

    def test_submit_sends_the_draft_to_the_domains_committee(self):
        body = self.ok(self.post(self.steward, "order_amount_net", "submit", {"reason": "ready"}))
        self.assertEqual(body["pending"]["status"], "in_review")
        review = open_review(self.net.pending_version)
        self.assertEqual(review.committee, self.board)
        self.assertEqual((review.min_approvals, review.author), (2, self.steward))
        change = StatusChange.objects.filter(transition="submit").latest("id")
        self.assertEqual((change.actor_name, change.reason), ("steward", "ready"))

    def test_illegal_transition_is_400_listing_the_allowed_ones(self):
        for action in ("retire", "recertify", "withdraw"):
            with self.subTest(action=action):
                body = self.assert_error(
                    self.post(self.steward, "order_amount_net", action),
                    400,
                    code="illegal_transition",
                    path="action",
                )
                self.assertEqual(body["allowed"], ["submit"])
                self.assertIn("Allowed now: submit", body["message"])

    def test_approve_is_not_an_action_anyone_can_request(self):
        response = self.as_(self.admin).post(definition_url("order_amount_net", "approve/"))
        self.assertEqual(response.status_code, 404)

    def test_withdraw_takes_it_back_to_draft_and_closes_the_review(self):
        review = self.submit(self.net)
        body = self.ok(self.post(self.steward, "order_amount_net", "withdraw"))
        self.assertEqual(body["pending"]["status"], "draft")
        review.refresh_from_db()
        self.assertEqual(review.status, "withdrawn")

    def test_a_consumer_cannot_act_and_an_outsider_cannot_see(self):
        self.assert_error(self.post(self.consumer, "order_amount_gross", "recertify"), 403)
        self.assert_error(self.post(self.outsider, "order_amount_gross", "recertify"), 404)
        self.assert_error(self.post(self.consumer, "order_amount_net", "submit"), 404)

    def test_a_committee_member_may_not_submit_someone_elses_draft(self):
        self.assert_error(self.post(self.committee, "order_amount_net", "submit"), 403)

    def test_request_changes_then_edit_then_resubmit(self):
        review = self.submit(self.net)
        from governance.workflow import cast_vote

        cast_vote(Actor(self.committee), review, "request_changes", "Name the VAT rate.")
        cast_vote(Actor(self.member2), review, "request_changes", "Agreed.")
        self.assertEqual(self.status_of(self.net), "changes_requested")
        self.ok(
            self.as_(self.steward).patch(
                definition_url("order_amount_net"), {"description": "Excludes 5% VAT."}
            )
        )
        body = self.ok(self.post(self.steward, "order_amount_net", "submit"))
        self.assertEqual(body["pending"]["status"], "in_review")
        self.assertEqual(body["pending"]["number"], 1)

    def test_deprecate_needs_a_replacement_and_a_sunset_date(self):
        self.approve(self.net)
        body = self.assert_error(self.post(self.steward, "order_amount_gross", "deprecate"), 400)
        self.assertEqual({e["path"] for e in body["errors"]}, {"replaced_by", "sunset_date"})
        bad = self.post(
            self.steward,
            "order_amount_gross",
            "deprecate",
            {"replaced_by": "order_amount_gross", "sunset_date": SUNSET},
        )
        self.assert_error(bad, 400, path="replaced_by")

    def test_deprecate_then_retire(self):
        self.approve(self.net)
        body = self.ok(
            self.post(
                self.committee,
                "order_amount_gross",
                "deprecate",
                {"replaced_by": "order_amount_net", "sunset_date": SUNSET, "reason": "ambiguous"},
            )
        )
        self.assertEqual((body["status"], body["replaced_by"]), ("deprecated", "order_amount_net"))
        self.assertEqual(body["sunset_date"], SUNSET)
        body = self.ok(self.post(self.steward, "order_amount_gross", "retire"))
        self.assertEqual(body["status"], "retired")
        self.assertIsNone(body["effective"])
        response = self.as_(self.steward).patch(
            definition_url("order_amount_gross"), {"description": "x"}
        )
        self.assert_error(response, 409, code="frozen")

    def test_a_member_of_another_committee_cannot_deprecate(self):
        self.approve(self.net)
        response = self.post(
            self.finance_member,
            "order_amount_gross",
            "deprecate",
            {"replaced_by": "order_amount_net", "sunset_date": SUNSET},
        )
        self.assert_error(response, 403)

    def test_approving_a_new_version_supersedes_the_old_one(self):
        services.update_definition(Actor(self.steward), self.gross, {"unit": "TWD"})
        self.approve(self.refreshed(self.gross))
        statuses = dict(self.gross.versions.values_list("number", "status"))
        self.assertEqual(statuses, {1: "superseded", 2: "approved"})
        self.assertEqual(self.refreshed(self.gross).effective_version.number, 2)

    def test_every_transition_is_audited(self):
        before = ChangeRecord.objects.filter(action="transition").count()
        self.post(self.steward, "order_amount_net", "submit", {"reason": "go"})
        record = ChangeRecord.objects.filter(action="transition").latest("id")
        self.assertEqual(ChangeRecord.objects.filter(action="transition").count(), before + 1)
        self.assertEqual((record.before["status"], record.after["status"]), ("draft", "in_review"))
        self.assertEqual((record.actor_name, record.reason), ("steward", "go"))

    def test_flag_for_review_is_a_system_transition(self):
        version = self.gross.effective_version
        transition(Actor.system(), version, "flag_for_review", via=SYSTEM)
        self.assertEqual(self.status_of(self.gross), "needs_review")
        body = self.ok(self.post(self.steward, "order_amount_gross", "recertify"))
        self.assertEqual(body["status"], "approved")


class BulkSubmitTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.third = cls.define({**NET, "key": "order_tax"})

    def test_bulk_submit_submits_every_draft(self):
        response = self.as_(self.steward).post(
            DEFINITIONS_URL + "bulk-submit/", {"keys": ["order_amount_net", "order_tax"]}
        )
        self.assertEqual([r["status"] for r in self.ok(response)], ["in_review", "in_review"])

    def test_bulk_submit_is_all_or_nothing_and_lists_each_problem(self):
        response = self.as_(self.steward).post(
            DEFINITIONS_URL + "bulk-submit/",
            {"keys": ["order_amount_net", "order_amount_gross", "nope"]},
        )
        body = self.assert_error(response, 400, code="invalid", path="keys[2]")
        response = self.as_(self.steward).post(
            DEFINITIONS_URL + "bulk-submit/", {"keys": ["order_amount_net", "order_amount_gross"]}
        )
        body = self.assert_error(response, 400, code="invalid", path="keys[1]")
        self.assertIn("no draft", body["errors"][0]["message"])
        self.assertEqual(self.status_of(self.net), "draft")

    def test_bulk_submit_checks_permission_per_definition_before_anything_else(self):
        response = self.as_(self.committee).post(
            DEFINITIONS_URL + "bulk-submit/", {"keys": ["order_tax"]}
        )
        self.assert_error(response, 403, code="permission_denied", path="keys[0]")

    def test_bulk_submit_bad_body(self):
        self.assert_error(
            self.as_(self.steward).post(DEFINITIONS_URL + "bulk-submit/", {}), 400, path="keys"
        )


class ImportTests(GovernanceTestCase):
    def run_import(self, rows, *args):
        import json
        import tempfile

        from django.core.management import call_command

        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(rows, handle)
        out = io.StringIO()
        call_command("governance_import", handle.name, *args, stdout=out)
        return out.getvalue()

    def test_imported_definitions_enter_the_workflow_as_drafts_and_can_be_submitted(self):
        rows = [
            {**NET, "key": "order_tax", "steward": "steward"},
            {**GROSS, "steward": "steward"},  # unchanged
            {**GROSS, "tax": "excluded"},  # a new draft version of an approved definition
        ]
        out = self.run_import(rows, "--submit", "--as", "steward")
        self.assertIn("1 created, 1 revised, 1 unchanged, 2 submitted", out)
        self.assertEqual(self.refreshed(self.gross).pending_version.status, "in_review")
        self.assertEqual(self.refreshed(self.gross).effective_version.tax, "included")
        self.assertEqual(self.status_of(FieldDefinition.objects.get(key="order_tax")), "in_review")

    def test_a_bad_row_rejects_the_whole_import_naming_each_problem(self):
        from django.core.management.base import CommandError

        rows = [
            {**NET, "key": "order_tax"},
            {**NET, "key": "x", "tax": "sometimes", "steward": "ghost", "colour": "red"},
        ]
        with self.assertRaises(CommandError) as caught:
            self.run_import(rows)
        message = str(caught.exception)
        for path in ("definitions[1].tax", "definitions[1].steward", "definitions[1]: Unknown"):
            self.assertIn(path, message)
        self.assertFalse(FieldDefinition.objects.filter(key="order_tax").exists())
