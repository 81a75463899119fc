"""/api/v1/governance/definitions/: who reads and writes what, versions, the diff, history."""

from __future__ import annotations

from core.models import ChangeRecord
from governance.models import DefinitionVersion
from tests.governance.helpers import (
    DEFINITIONS_URL,
    GROSS,
    GovernanceTestCase,
    definition_url,
)


class DefinitionReadTests(GovernanceTestCase):
    def test_anonymous_caller_is_refused_everywhere(self):
        client = self.as_(None)
        for method, url in [
            ("get", DEFINITIONS_URL),
            ("post", DEFINITIONS_URL),
            ("get", definition_url("order_amount_gross")),
            ("patch", definition_url("order_amount_gross")),
            ("post", definition_url("order_amount_net", "submit/")),
            ("get", definition_url("order_amount_gross", "diff/")),
        ]:
            with self.subTest(method=method, url=url):
                self.assert_error(getattr(client, method)(url, {}), 401, code="not_authenticated")

    def test_outsider_without_a_role_sees_nothing(self):
        self.assertEqual(self.ok(self.as_(self.outsider).get(DEFINITIONS_URL))["count"], 0)
        self.assert_error(self.as_(self.outsider).get(definition_url("order_amount_gross")), 404)

    def test_every_role_reads_approved_definitions_but_not_drafts(self):
        for user in (self.consumer, self.vendor, self.engineer):
            with self.subTest(user=user.username):
                client = self.as_(user)
                keys = [d["key"] for d in self.ok(client.get(DEFINITIONS_URL))["results"]]
                self.assertEqual(keys, ["order_amount_gross"])
                self.assert_error(client.get(definition_url("order_amount_net")), 404)

    def test_steward_and_committee_see_drafts(self):
        for user in (self.steward, self.committee, self.finance_member):
            with self.subTest(user=user.username):
                body = self.ok(self.as_(user).get(definition_url("order_amount_net")))
                self.assertEqual(body["status"], "draft")
                self.assertEqual(body["pending"]["number"], 1)

    def test_detail_shows_the_version_in_force_and_the_allowed_actions(self):
        response = self.as_(self.steward).get(definition_url("order_amount_gross"))
        body = self.ok(response)
        self.assertIn("ETag", response.headers)
        self.assertEqual(body["status"], "approved")
        self.assertEqual(body["effective"]["number"], 1)
        self.assertEqual(body["effective"]["tax"], "included")
        self.assertIsNone(body["pending"])
        self.assertEqual(body["allowed_actions"], ["deprecate", "recertify"])
        self.assertEqual(body["steward"], "steward")
        self.assertIsNotNone(body["recertification_due"])

    def test_a_consumer_sees_no_actions(self):
        body = self.ok(self.as_(self.consumer).get(definition_url("order_amount_gross")))
        self.assertEqual(body["allowed_actions"], [])

    def test_filters_by_domain_status_and_text(self):
        client = self.as_(self.committee)
        self.assertEqual(self.ok(client.get(DEFINITIONS_URL, {"status": "draft"}))["count"], 1)
        self.assertEqual(self.ok(client.get(DEFINITIONS_URL, {"q": "gross"}))["count"], 1)
        self.assertEqual(self.ok(client.get(DEFINITIONS_URL, {"domain": "customer"}))["count"], 0)


class DefinitionWriteTests(GovernanceTestCase):
    def test_steward_creates_a_definition_as_a_draft(self):
        payload = {**GROSS, "key": "order_count", "name": "Orders", "data_type": "integer"}
        response = self.as_(self.steward).post(DEFINITIONS_URL, payload)
        body = self.ok(response, 201)
        self.assertEqual(body["status"], "draft")
        self.assertEqual(body["pending"]["author"], "steward")
        self.assertTrue(
            ChangeRecord.objects.filter(
                object_type="governance.fielddefinition", action="create"
            ).exists()
        )

    def test_roles_without_add_permission_cannot_create(self):
        for user in (self.engineer, self.consumer, self.vendor, self.outsider):
            with self.subTest(user=user.username):
                response = self.as_(user).post(DEFINITIONS_URL, {**GROSS, "key": "x_amount"})
                self.assert_error(response, 403, code="permission_denied")

    def test_bad_create_is_400_naming_each_field(self):
        response = self.as_(self.steward).post(
            DEFINITIONS_URL,
            {
                **GROSS,
                "key": "Bad Key",
                "tax": "sometimes",
                "currency": "twd",
                "allowed_values": {"min": 5, "max": 1},
            },
        )
        body = self.assert_error(response, 400, code="invalid", path="tax")
        self.assertIn("key", [e["path"] for e in body["errors"]])

    def test_a_number_where_a_text_belongs_is_400(self):
        """Found by the Schemathesis stateful phase: a number written for owning_team or unit was
        stored as its text, where the schema says a string."""
        response = self.as_(self.steward).post(
            DEFINITIONS_URL, {**GROSS, "key": "numbers", "owning_team": 1.5, "unit": 0.1}
        )
        body = self.assert_error(response, 400, code="invalid")
        self.assertEqual({e["path"] for e in body["errors"]}, {"owning_team", "unit"})
        self.assertFalse(DefinitionVersion.objects.filter(definition__key="numbers").exists())

    def test_model_rules_are_400_too(self):
        response = self.as_(self.steward).post(
            DEFINITIONS_URL, {**GROSS, "key": "neg", "allowed_values": {"min": 5, "max": 1}}
        )
        body = self.assert_error(response, 400, path="allowed_values")
        self.assertIn("min is above its max", body["message"])

    def test_duplicate_key_is_409(self):
        response = self.as_(self.steward).post(DEFINITIONS_URL, GROSS)
        self.assert_error(response, 409, code="conflict", path="key")

    def test_editing_an_approved_definition_makes_a_new_draft_version(self):
        url = definition_url("order_amount_gross")
        body = self.ok(self.as_(self.steward).patch(url, {"description": "Changed."}))
        self.assertEqual(body["effective"]["description"], GROSS["description"])
        self.assertEqual(body["pending"]["number"], 2)
        self.assertEqual(body["pending"]["description"], "Changed.")
        self.assertEqual(body["pending"]["tax"], "included")
        self.assertEqual(body["status"], "approved")

    def test_editing_a_draft_edits_it_in_place(self):
        self.ok(self.as_(self.steward).patch(definition_url("order_amount_net"), {"unit": "TWD"}))
        self.assertEqual(self.net.versions.count(), 1)
        self.assertEqual(self.net.versions.get().unit, "TWD")

    def test_a_version_under_review_is_frozen(self):
        self.submit(self.net)
        response = self.as_(self.steward).patch(definition_url("order_amount_net"), {"unit": "x"})
        self.assert_error(response, 409, code="frozen")
        version = self.net.pending_version
        version.unit = "x"
        with self.assertRaisesMessage(Exception, "immutable"):
            version.save()

    def test_other_steward_may_read_but_not_change(self):
        from tests.personas import make_user

        other = make_user("other_steward", "steward")
        url = definition_url("order_amount_gross")
        self.ok(self.as_(other).get(url))
        self.assert_error(self.as_(other).patch(url, {"description": "x"}), 403)
        self.assert_error(self.as_(self.committee).patch(url, {"description": "x"}), 403)

    def test_steward_changes_owner_with_an_etag(self):
        client = self.as_(self.steward)
        url = definition_url("order_amount_gross")
        etag = client.get(url).headers["ETag"]
        self.ok(client.patch(url, {"owner": "committee"}, HTTP_IF_MATCH=etag))
        self.assert_error(client.patch(url, {"owning_team": "x"}, HTTP_IF_MATCH=etag), 412)
        self.assertEqual(self.refreshed(self.gross).owner, self.committee)

    def test_key_cannot_change(self):
        response = self.as_(self.steward).patch(definition_url("order_amount_gross"), {"key": "x"})
        self.assert_error(response, 400, path="key")


class VersionsAndDiffTests(GovernanceTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from core.audit import Actor
        from governance import services

        services.update_definition(
            Actor(cls.steward),
            cls.gross,
            {
                "tax": "excluded",
                "synonyms": ["gross sales", "amount", "sales"],
                "description": "New words.",
            },
        )

    def test_diff_defaults_to_in_force_against_pending(self):
        body = self.ok(self.as_(self.committee).get(definition_url("order_amount_gross", "diff/")))
        self.assertEqual((body["from_version"], body["to_version"]), (1, 2))
        changes = {c["attribute"]: c for c in body["changes"]}
        self.assertEqual(set(changes), {"tax", "synonyms", "description"})
        self.assertEqual((changes["tax"]["from"], changes["tax"]["to"]), ("included", "excluded"))
        self.assertEqual(changes["synonyms"]["added"], ["sales"])
        self.assertIn("currency", body["unchanged"])

    def test_diff_between_any_two_versions_either_way(self):
        url = definition_url("order_amount_gross", "diff/")
        body = self.ok(self.as_(self.steward).get(url, {"from": 2, "to": 1}))
        tax = next(c for c in body["changes"] if c["attribute"] == "tax")
        self.assertEqual((tax["from"], tax["to"]), ("excluded", "included"))
        same = self.ok(self.as_(self.steward).get(url, {"from": 1, "to": 1}))
        self.assertEqual(same["changes"], [])

    def test_diff_bad_input(self):
        url = definition_url("order_amount_gross", "diff/")
        self.assert_error(self.as_(self.steward).get(url, {"from": "one"}), 400, path="from")
        self.assert_error(self.as_(self.steward).get(url, {"to": 9}), 404)

    def test_a_consumer_cannot_diff_against_a_draft(self):
        url = definition_url("order_amount_gross", "diff/")
        self.assert_error(self.as_(self.consumer).get(url), 404)
        versions = self.ok(
            self.as_(self.consumer).get(definition_url("order_amount_gross", "versions/"))
        )
        self.assertEqual([v["number"] for v in versions], [1])
        self.assert_error(
            self.as_(self.consumer).get(definition_url("order_amount_gross", "versions/2/")), 404
        )

    def test_versions_are_listed_newest_first_for_the_steward(self):
        versions = self.ok(
            self.as_(self.steward).get(definition_url("order_amount_gross", "versions/"))
        )
        self.assertEqual(
            [(v["number"], v["status"]) for v in versions], [(2, "draft"), (1, "approved")]
        )

    def test_history_lists_every_transition_with_actor_and_reason(self):
        rows = self.ok(self.as_(self.steward).get(definition_url("order_amount_gross", "history/")))
        steps = [
            (r["subject"], r["transition"], r["from_status"], r["to_status"], r["via"])
            for r in rows
        ]
        self.assertEqual(
            steps,
            [
                ("v1", "create", "", "draft", "manual"),
                ("v1", "submit", "draft", "in_review", "manual"),
                ("v1", "approve", "in_review", "approved", "review"),
                ("v2", "create", "", "draft", "manual"),
            ],
        )
        self.assertEqual(rows[2]["actor_name"], "member2")
        self.assertIn("2 approve", rows[2]["reason"])
        self.assertEqual(DefinitionVersion.objects.filter(definition=self.gross).count(), 2)
