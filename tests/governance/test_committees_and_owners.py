"""/api/v1/governance/committees/ and /ownerships/, the admin, the demo and the history's
append-only guarantee."""

from __future__ import annotations

from django.db import connection
from django.test import Client, TestCase, override_settings

from catalog.models import Field
from core.audit import Actor
from core.models import AppendOnlyError, ChangeRecord
from core.permissions import user_can
from demo import catalog as demo
from demo import governance as demo_governance
from governance import queries, reports
from governance.choices import VersionStatus
from governance.models import Committee, DefinitionVersion, FieldDefinition, StatusChange
from tests.governance.helpers import API, COMMITTEES_URL, GovernanceTestCase

OWNERSHIPS_URL = API + "ownerships/"


class CommitteeApiTests(GovernanceTestCase):
    def test_every_role_reads_committees_with_their_members(self):
        body = self.ok(self.as_(self.consumer).get(COMMITTEES_URL))
        board = next(c for c in body["results"] if c["name"] == "Board")
        self.assertEqual(board["domains"], ["order", "customer"])
        self.assertIn({"user": "committee", "role": "chair"}, board["members"])
        self.assertEqual(self.ok(self.as_(self.outsider).get(COMMITTEES_URL))["count"], 0)
        self.assert_error(self.as_(None).get(COMMITTEES_URL), 401)

    def test_only_an_admin_sets_up_a_committee(self):
        payload = {
            "name": "Payments",
            "domains": ["payment"],
            "min_approvals": 1,
            "members": [{"user": "member3", "role": "chair"}],
        }
        self.assert_error(self.as_(self.committee).post(COMMITTEES_URL, payload), 403)
        body = self.ok(self.as_(self.admin).post(COMMITTEES_URL, payload), 201)
        self.assertEqual(body["members"], [{"user": "member3", "role": "chair"}])
        self.assertTrue(
            ChangeRecord.objects.filter(
                object_type="governance.committee", actor_name="admin"
            ).exists()
        )

    def test_committee_rules_are_400(self):
        client = self.as_(self.admin)
        taken = client.post(COMMITTEES_URL, {"name": "Again", "domains": ["order"]})
        self.assertIn("already governed", self.assert_error(taken, 400, path="domains")["message"])
        self.assert_error(
            client.post(COMMITTEES_URL, {"name": "X", "domains": ["moon"]}), 400, path="domains"
        )
        self.assert_error(
            client.post(COMMITTEES_URL, {"name": "X", "min_approvals": 0}),
            400,
            path="min_approvals",
        )
        # A name taken (in any case) clashes with what exists: 409, as every duplicate key.
        self.assert_error(client.post(COMMITTEES_URL, {"name": "board"}), 409, code="conflict")
        self.assert_error(
            client.post(COMMITTEES_URL, {"name": "X", "members": [{"user": "ghost"}]}),
            400,
        )

    def test_admin_replaces_the_members_audited(self):
        url = f"{COMMITTEES_URL}{self.board.pk}/"
        body = self.ok(
            self.as_(self.admin).patch(
                url, {"members": [{"user": "committee", "role": "chair"}, {"user": "member2"}]}
            )
        )
        self.assertEqual(len(body["members"]), 2)
        record = ChangeRecord.objects.filter(object_type="governance.committee").latest("id")
        self.assertIn(["member3", "member"], record.before["members"])


class OwnershipApiTests(GovernanceTestCase):
    def test_a_systems_maintainer_assigns_an_owner_who_may_then_change_it(self):
        payload = {"system": "pos", "user": "steward", "role": "steward"}
        self.assertFalse(user_can(self.steward, "change", self.pos))
        self.ok(self.as_(self.engineer).post(OWNERSHIPS_URL, payload), 201)
        self.assertTrue(user_can(self.steward, "change", self.pos))
        self.assert_error(
            self.as_(self.other_engineer).post(OWNERSHIPS_URL, {**payload, "role": "owner"}), 403
        )

    def test_dataset_owners_and_removal(self):
        response = self.as_(self.other_engineer).post(
            OWNERSHIPS_URL, {"dataset": "crm:public.contacts", "user": "steward", "role": "owner"}
        )
        ownership = self.ok(response, 201)
        self.assertTrue(user_can(self.steward, "change", self.contacts))
        url = f"{OWNERSHIPS_URL}{ownership['id']}/"
        self.assert_error(self.as_(self.engineer).delete(url), 403)
        self.assertEqual(self.as_(self.other_engineer).delete(url).status_code, 204)
        self.assertFalse(user_can(self.steward, "change", self.contacts))

    def test_bad_ownerships_are_400(self):
        client = self.as_(self.engineer)
        self.assert_error(client.post(OWNERSHIPS_URL, {"user": "steward", "role": "owner"}), 400)
        self.assert_error(
            client.post(OWNERSHIPS_URL, {"system": "pos", "user": "steward", "role": "boss"}),
            400,
            path="role",
        )
        self.assertEqual(self.ok(self.as_(self.outsider).get(OWNERSHIPS_URL))["count"], 0)


class AdminTests(GovernanceTestCase):
    def setUp(self):
        self.client = Client()  # form posts, as a browser sends them
        self.client.force_login(self.admin)

    def test_admin_submits_through_the_service_and_cannot_edit_status(self):
        response = self.client.post(
            "/admin/governance/fielddefinition/",
            {"action": "submit", "_selected_action": [self.net.pk], "index": 0},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.status_of(self.net), "in_review")
        change = StatusChange.objects.filter(transition="submit").latest("id")
        self.assertEqual((change.actor_name, change.reason), ("admin", "via admin"))
        page = self.client.get(
            f"/admin/governance/definitionversion/{self.net.pending_version.pk}/change/"
        )
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="status"')

    def test_an_illegal_admin_action_is_reported_not_applied(self):
        response = self.client.post(
            "/admin/governance/fielddefinition/",
            {"action": "retire", "_selected_action": [self.net.pk], "index": 0},
            follow=True,
        )
        self.assertContains(response, "Cannot retire")
        self.assertEqual(self.status_of(self.net), "draft")

    def test_admin_pages_render(self):
        for page in (
            "fielddefinition",
            "definitionversion",
            "fieldmapping",
            "review",
            "statuschange",
            "committee",
            "ownership",
            "conflictresolution",
        ):
            with self.subTest(page=page):
                self.assertEqual(self.client.get(f"/admin/governance/{page}/").status_code, 200)
        self.assertEqual(
            self.client.get(
                f"/admin/governance/fielddefinition/{self.gross.pk}/change/"
            ).status_code,
            200,
        )


class HistoryIsAppendOnlyTests(GovernanceTestCase):
    def test_history_rows_cannot_change(self):
        change = StatusChange.objects.first()
        with self.assertRaises(AppendOnlyError):
            change.save()
        with self.assertRaises(AppendOnlyError):
            StatusChange.objects.all().delete()

    def test_postgres_refuses_updates_in_the_database(self):
        if connection.vendor != "postgresql":
            self.skipTest("the trigger exists on PostgreSQL")
        from django.db import DatabaseError, transaction

        with self.assertRaises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE governance_statuschange SET reason = 'x'")


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class DemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        actor = Actor.system("tests")
        demo.load_users(actor)
        demo.load_catalog(actor)
        demo_governance.load(actor)

    def test_the_demo_has_definitions_in_every_state(self):
        statuses = set(DefinitionVersion.objects.values_list("status", flat=True))
        self.assertEqual(statuses, set(VersionStatus.values))
        gross = FieldDefinition.objects.get(key="order_amount_gross")
        self.assertEqual(gross.effective_version.tax, "included")
        sales = FieldDefinition.objects.get(key="sales_amount")
        self.assertEqual((sales.effective_version.status, sales.replaced_by), ("deprecated", gross))

    def test_the_demo_shows_votes_in_progress_and_conflicts(self):
        board = Committee.objects.get()
        agenda = reports.agenda(board)
        self.assertEqual(len(agenda["awaiting_decision"]), 4)
        self.assertEqual(agenda["awaiting_decision"][0]["tally"]["approve"], 1)
        kinds = {c["kind"] for c in agenda["conflicts"]}
        self.assertEqual(
            kinds, {"mapping_disagreement", "possible_duplicate", "equivalent_definitions"}
        )

    def test_the_demo_shows_a_duplicate_definition_and_a_mapping_that_replaces_another(self):
        agenda = reports.agenda(Committee.objects.get())
        items = {i["summary"]: i for i in agenda["awaiting_decision"]}
        replacing = items["mapping orders:shop.orders.amount -> net_sales_amount"]
        self.assertEqual(len(replacing["replaces"]), 1)
        self.assertIn("to definition order_amount_net", replacing["replaces"][0])
        (duplicate,) = [c for c in agenda["conflicts"] if c["kind"] == "equivalent_definitions"]
        self.assertEqual(duplicate["definitions"], ["net_sales_amount", "order_amount_net"])
        self.assertEqual(
            [o["definition"] for o in agenda["overdue_recertifications"]], ["customer_phone"]
        )

    def test_the_demo_maps_the_pos_amount_to_the_gross_definition(self):
        field = Field.objects.get(
            dataset__system__key="pos", dataset__name="sales.transactions", name="amount"
        )
        self.assertEqual(
            queries.effective_definition_for_field(field.pk)["key"], "order_amount_gross"
        )

    def test_loading_twice_changes_nothing(self):
        count = ChangeRecord.objects.count()
        demo_governance.load(Actor.system("tests"))
        self.assertEqual(ChangeRecord.objects.count(), count)
