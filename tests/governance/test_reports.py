"""Conflicts, the agenda (API and Markdown command), recertification and the KPIs."""

from __future__ import annotations

import datetime
import io

from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone, translation

from core.audit import Actor
from core.models import ChangeRecord
from governance import queries, services
from governance.models import ConflictResolution, FieldDefinition, Review, StatusChange
from governance.reports import review_summary
from governance.workflow import cast_vote, transition
from tests.governance.helpers import API, COMMITTEES_URL, GovernanceTestCase, open_review

CONFLICTS_URL = API + "conflicts/"
KPIS_URL = API + "kpis/"


def backdate(definition, days: int) -> None:
    FieldDefinition.objects.filter(pk=definition.pk).update(
        last_certified_at=timezone.now() - datetime.timedelta(days=days)
    )


class ConflictTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        mapping = services.create_mapping(
            Actor(cls.engineer),
            {"field": cls.amount, "definition": cls.gross, "semantics": {"tax": "excluded"}},
        )
        transition(Actor(cls.engineer), mapping, "submit")

    def conflicts(self, user=None):
        return self.ok(self.as_(user or self.committee).get(CONFLICTS_URL))

    def test_the_amounts_show_up_as_conflicts(self):
        kinds = sorted((c["kind"], tuple(c["definitions"])) for c in self.conflicts())
        self.assertEqual(
            kinds,
            [
                ("mapping_disagreement", ("order_amount_gross",)),
                ("possible_duplicate", ("order_amount_gross", "order_amount_net")),
            ],
        )

    def test_a_conversion_note_settles_the_disagreement(self):
        mapping = self.amount.definition_mappings.get()
        transition(Actor(self.engineer), mapping, "withdraw")
        services.update_mapping(Actor(self.engineer), mapping, {"conversion_note": "x / 1.05"})
        self.assertEqual([c["kind"] for c in self.conflicts()], ["possible_duplicate"])

    def test_the_committee_resolves_a_conflict_with_a_note(self):
        fingerprint = self.conflicts()[0]["fingerprint"]
        response = self.as_(self.committee).post(
            CONFLICTS_URL + "resolve/",
            {"fingerprint": fingerprint, "note": "Different on purpose."},
        )
        self.ok(response, 201)
        self.assertNotIn(fingerprint, [c["fingerprint"] for c in self.conflicts()])
        self.assertTrue(
            ChangeRecord.objects.filter(
                object_type="governance.conflictresolution", actor_name="committee"
            ).exists()
        )

    def test_resolving_needs_the_committee_and_good_input(self):
        fingerprint = self.conflicts()[0]["fingerprint"]
        url = CONFLICTS_URL + "resolve/"
        payload = {"fingerprint": fingerprint, "note": "x"}
        self.assert_error(self.as_(self.steward).post(url, payload), 403)
        self.assert_error(self.as_(None).post(url, payload), 401)
        self.assert_error(
            self.as_(self.committee).post(url, {"fingerprint": "nope", "note": "x"}),
            400,
            path="fingerprint",
        )
        self.assert_error(
            self.as_(self.committee).post(url, {"fingerprint": fingerprint}), 400, path="note"
        )
        self.assertFalse(ConflictResolution.objects.exists())

    def test_who_reads_conflicts(self):
        self.assert_error(self.as_(None).get(CONFLICTS_URL), 401)
        # Like every list, it leaves out what the caller may not read: here, everything.
        self.assertEqual(self.conflicts(self.outsider), [])
        self.assertEqual(len(self.conflicts(self.committee)), 2)
        # The possible duplicate names the draft order_amount_net, which a consumer may not
        # read: it sees only the conflict over definitions and fields it may read.
        self.assertEqual([c["kind"] for c in self.conflicts(self.consumer)],
                         ["mapping_disagreement"])  # fmt: skip


class AgendaTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        review = cls.submit(cls.net)
        cast_vote(Actor(cls.member2), review, "approve")
        backdate(cls.gross, 400)

    def agenda_url(self, committee, suffix=""):
        return f"{COMMITTEES_URL}{committee.pk}/agenda/{suffix}"

    def test_members_see_reviews_overdue_recertifications_and_conflicts(self):
        body = self.ok(self.as_(self.committee).get(self.agenda_url(self.board)))
        (item,) = body["awaiting_decision"]
        self.assertEqual(item["summary"], "definition order_amount_net v1")
        self.assertEqual(item["tally"]["approve"], 1)
        self.assertEqual(item["awaiting"], ["committee", "member3"])
        self.assertEqual(
            [o["definition"] for o in body["overdue_recertifications"]], ["order_amount_gross"]
        )
        self.assertEqual([c["kind"] for c in body["conflicts"]], ["possible_duplicate"])

    def test_other_committees_agenda_is_its_own(self):
        body = self.ok(self.as_(self.finance_member).get(self.agenda_url(self.finance)))
        self.assertEqual((body["awaiting_decision"], body["conflicts"]), ([], []))

    def test_only_members_and_admins_read_an_agenda(self):
        self.assert_error(self.as_(self.finance_member).get(self.agenda_url(self.board)), 403)
        self.assert_error(self.as_(self.steward).get(self.agenda_url(self.board)), 403)
        self.assert_error(self.as_(self.outsider).get(self.agenda_url(self.board)), 404)
        self.assert_error(self.as_(None).get(self.agenda_url(self.board)), 401)
        self.ok(self.as_(self.admin).get(self.agenda_url(self.board)))

    def test_markdown_through_the_api_and_the_command(self):
        response = self.as_(self.committee).get(self.agenda_url(self.board), {"as": "markdown"})
        self.assertEqual(response["Content-Type"], "text/markdown")
        text = response.content.decode()
        self.assertIn("# Agenda: Board", text)
        self.assertIn("**#", text)
        self.assertIn("awaiting committee, member3", text)
        out = io.StringIO()
        call_command("governance_agenda", "--committee", "board", stdout=out)
        self.assertIn("## Overdue recertifications (1)", out.getvalue())
        self.assertIn("order_amount_gross", out.getvalue())

    def test_an_unknown_or_empty_as_is_400(self):
        """Found by the Schemathesis stateful phase: `?as=` answered the JSON agenda."""
        for value in ("", "pdf"):
            with self.subTest(value=value):
                response = self.as_(self.committee).get(self.agenda_url(self.board), {"as": value})
                self.assert_error(response, 400, code="invalid", path="as")
        self.ok(self.as_(self.committee).get(self.agenda_url(self.board), {"as": "json"}))

    def test_agenda_command_rejects_an_unknown_committee(self):
        from django.core.management.base import CommandError

        with self.assertRaises(CommandError):
            call_command("governance_agenda", "--committee", "nope", stdout=io.StringIO())


class RecertificationTests(GovernanceTestCase):
    def test_the_command_flags_overdue_definitions_and_mails_their_stewards(self):
        backdate(self.gross, 370)
        with self.captureOnCommitCallbacks(execute=True):
            call_command("governance_recertify", stdout=io.StringIO(), stderr=io.StringIO())
        self.assertEqual(self.status_of(self.gross), "needs_review")
        (message,) = mail.outbox
        self.assertEqual(message.to, ["steward@example.com"])
        # In the mail language (Traditional Chinese unless configured), linking the page where
        # the steward confirms the definition or opens a new version.
        self.assertEqual(message.subject, "1 項定義需要重新認證")
        self.assertIn(
            "http://127.0.0.1:8000/definitions/order_amount_gross/recertify/", message.body
        )
        self.assertIn("需要審查", message.body)
        change = StatusChange.objects.filter(transition="flag_for_review").get()
        self.assertEqual(
            (change.via, change.actor_name), ("system", "manage.py governance_recertify")
        )

    @override_settings(MAIL_LANGUAGE="en", SITE_URL="https://catalog.example.com")
    def test_the_reminder_is_written_in_the_configured_language_and_site(self):
        backdate(self.gross, 370)
        with self.captureOnCommitCallbacks(execute=True):
            call_command("governance_recertify", stdout=io.StringIO(), stderr=io.StringIO())
        (message,) = mail.outbox
        self.assertEqual(message.subject, "1 definition needs recertification")
        self.assertIn(
            "https://catalog.example.com/definitions/order_amount_gross/recertify/", message.body
        )

    def test_nothing_is_flagged_within_the_interval(self):
        backdate(self.gross, 300)
        with self.captureOnCommitCallbacks(execute=True):
            call_command("governance_recertify", stdout=io.StringIO(), stderr=io.StringIO())
        self.assertEqual(self.status_of(self.gross), "approved")
        self.assertEqual(mail.outbox, [])

    def test_dry_run_changes_nothing(self):
        backdate(self.gross, 370)
        out = io.StringIO()
        call_command("governance_recertify", "--dry-run", stdout=out, stderr=io.StringIO())
        self.assertIn("order_amount_gross", out.getvalue())
        self.assertEqual(self.status_of(self.gross), "approved")

    def test_recertify_without_change_records_who_confirmed(self):
        backdate(self.gross, 370)
        services.flag_overdue(Actor.system())
        url = f"{API}definitions/order_amount_gross/recertify/"
        body = self.ok(self.as_(self.member3).post(url, {"reason": "still right"}))
        self.assertEqual((body["status"], body["last_certified_by"]), ("approved", "member3"))
        self.assertEqual(self.gross.versions.count(), 1)
        change = StatusChange.objects.filter(transition="recertify").get()
        self.assertEqual((change.actor_name, change.reason), ("member3", "still right"))
        self.assert_error(self.as_(self.engineer).post(url), 403)

    def test_review_interval_is_per_definition(self):
        services.update_definition(Actor(self.steward), self.gross, {"review_interval_months": 1})
        backdate(self.gross, 40)
        self.assertEqual([v.definition for v in queries.overdue_versions()], [self.gross])


class KpiTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        mapping = services.create_mapping(
            Actor(cls.engineer), {"field": cls.amount, "definition": cls.gross}
        )
        transition(Actor(cls.engineer), mapping, "submit")
        cast_vote(Actor(cls.steward), open_review(mapping), "approve")
        services.assign_ownership(Actor.system(), cls.pos, cls.engineer, "owner")

    def test_kpis_from_the_data(self):
        body = self.ok(self.as_(self.consumer).get(KPIS_URL))
        self.assertEqual(body["fields"], 2)
        self.assertEqual(body["with_approved_definition"], {"count": 1, "share": 0.5})
        self.assertEqual(body["with_owner"], {"count": 1, "share": 0.5})
        self.assertEqual(body["with_current_certification"], {"count": 1, "share": 0.5})
        systems = {s["system"]: s for s in body["per_system"]}
        self.assertEqual(systems["pos"]["with_approved_definition"]["share"], 1.0)
        self.assertEqual(systems["crm"]["with_approved_definition"]["share"], 0.0)
        self.assertEqual(body["decisions"], 2)
        self.assertIsNotNone(body["median_hours_submission_to_decision"])
        self.assertEqual(body["open_conflicts"], 1)

    def test_overdue_certification_is_not_current(self):
        backdate(self.gross, 400)
        body = self.ok(self.as_(self.committee).get(KPIS_URL))
        self.assertEqual(body["with_current_certification"]["count"], 0)
        self.assertEqual(body["with_approved_definition"]["count"], 1)

    def test_kpis_need_a_role(self):
        self.assert_error(self.as_(None).get(KPIS_URL), 401)
        self.assert_error(self.as_(self.outsider).get(KPIS_URL), 403)


class ReviewTitleTests(GovernanceTestCase):
    def test_a_review_is_titled_in_the_readers_language_and_kept_in_english(self):
        review = self.submit(self.net)
        self.assertEqual(review.summary, "definition order_amount_net v1")
        with translation.override("zh-hant"):
            self.assertEqual(review.title, "定義 order_amount_net 第 1 版")
            self.assertEqual(review_summary(review)["summary"], "定義 order_amount_net 第 1 版")
        self.client.force_login(self.committee)
        body = self.ok(self.client.get(f"{API}reviews/{review.pk}/"))
        self.assertEqual(body["summary"], "definition order_amount_net v1")

    def test_a_review_kept_before_phrases_shows_its_stored_text(self):
        review = self.submit(self.net)
        Review.objects.filter(pk=review.pk).update(summary_phrase={})
        review.refresh_from_db()
        with translation.override("zh-hant"):
            self.assertEqual(review.title, "definition order_amount_net v1")
