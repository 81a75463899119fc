"""The consult endpoints: bad requests, who may call what, the what-if, the sources of a
definition, the decision log, and policies through the governance workflow (revocation
denies on the very next request)."""

from __future__ import annotations

from unittest import skipUnless

from django.db import DatabaseError, connection, transaction
from guardian.shortcuts import assign_perm

from catalog.models import SourceSystem
from consult.models import AccessPolicy, DecisionLog
from core.models import ChangeRecord
from governance.models import Committee, CommitteeMembership
from tests.consult.helpers import (
    CONSULT_URL,
    DECISIONS_URL,
    POLICIES_URL,
    WHAT_IF_URL,
    ConsultTestCase,
)
from tests.personas import make_user

MEMBER_ID = "pos:sales.transactions.member_id"


class BadRequestTests(ConsultTestCase):
    def post(self, body, **kwargs):
        return self.as_(self.consumer).post(CONSULT_URL, body, **kwargs)

    def assert_400(self, response, path, text):
        self.assertEqual(response.status_code, 400, response.content)
        body = response.json()
        self.assertEqual(body["status"], 400)
        self.assertIn(path, [e["path"] for e in body["errors"]] or [""])
        self.assertIn(text, body["message"])

    def test_body_that_is_not_json_is_a_400(self):
        response = self.post("{not json", content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["code"], "malformed_request")

    def test_body_that_is_not_an_object_is_a_400(self):
        self.assert_400(self.post([1, 2], format="json"), "", "JSON object")

    def test_missing_purpose_is_a_400(self):
        self.assert_400(self.post({"fields": [MEMBER_ID]}, format="json"), "purpose", "Required")

    def test_unknown_purpose_is_a_400_listing_the_known_ones(self):
        response = self.post({"purpose": "gossip", "fields": [MEMBER_ID]}, format="json")
        self.assert_400(response, "purpose", "profile_unification")

    def test_fields_must_be_a_non_empty_list(self):
        for fields in ([], "pos:x.y", None):
            response = self.post({"purpose": "analytics", "fields": fields}, format="json")
            self.assert_400(response, "fields", "non-empty list")

    def test_unreadable_reference_is_a_400_naming_its_index(self):
        response = self.post(
            {"purpose": "analytics", "fields": [MEMBER_ID, "no colon", 42]}, format="json"
        )
        self.assert_400(response, "fields[1]", "fields[1]")
        self.assertEqual([e["path"] for e in response.json()["errors"]], ["fields[1]", "fields[2]"])

    def test_unknown_key_is_a_400(self):
        response = self.post(
            {"purpose": "analytics", "fields": [MEMBER_ID], "consumer": "x"}, format="json"
        )
        self.assert_400(response, "consumer", "Unknown key")

    def test_too_many_fields_is_a_400(self):
        response = self.post({"purpose": "analytics", "fields": [MEMBER_ID] * 5001}, format="json")
        self.assert_400(response, "fields", "At most 5000")


class ConsultPermissionTests(ConsultTestCase):
    body = {"purpose": "profile_unification", "fields": [MEMBER_ID]}

    def test_anonymous_is_a_401(self):
        self.assertEqual(self.as_(None).post(CONSULT_URL, self.body).status_code, 401)

    def test_only_consumers_consult(self):
        for user in (self.committee, self.steward, self.engineer, self.vendor, self.outsider):
            self.assertEqual(self.as_(user).post(CONSULT_URL, self.body).status_code, 403, user)

    def test_consumer_with_a_real_token_consults_for_itself(self):
        response = self.client_for(self.consumer).post(CONSULT_URL, self.body, format="json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["decisions"][0]["decision"], "allow")

    def test_what_if_is_for_the_committee_and_simulates_the_named_consumer(self):
        body = {**self.body, "consumer": "consumer"}
        self.assertEqual(self.as_(None).post(WHAT_IF_URL, body).status_code, 401)
        for user in (self.consumer, self.steward, self.engineer, self.vendor, self.outsider):
            self.assertEqual(self.as_(user).post(WHAT_IF_URL, body).status_code, 403, user)
        response = self.as_(self.committee).post(WHAT_IF_URL, body, format="json")
        self.assertEqual(response.json()["decisions"][0]["decision"], "allow")
        log = DecisionLog.objects.first()
        self.assertEqual((log.consumer_name, log.simulated_by), ("consumer", "committee"))
        response = self.as_(self.committee).post(
            WHAT_IF_URL, {**body, "consumer": "vendor"}, format="json"
        )
        self.assertEqual(response.status_code, 400, response.content)
        self.assertEqual(response.json()["errors"][0]["path"], "consumer")
        self.assertIn("'vendor' is not a consumer", response.json()["message"])

    def test_what_if_for_an_unknown_consumer_is_a_400(self):
        response = self.as_(self.committee).post(
            WHAT_IF_URL, {**self.body, "consumer": "ghost"}, format="json"
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["errors"][0]["path"], "consumer")


class DefinitionSourcesTests(ConsultTestCase):
    def test_sources_of_an_approved_definition_with_conversion_notes(self):
        response = self.as_(self.consumer).get(
            "/api/v1/consult/definitions/customer_phone/sources/"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json()["sources"],
            [
                {"field": "crm:public.contacts.phone",
                 "conversion_note": "crm:public.contacts.phone as is"},
                {"field": "dw:dw.customer_dim.phone",
                 "conversion_note": "dw:dw.customer_dim.phone as is"},
            ],
        )  # fmt: skip

    def test_deprecated_or_unknown_definition_is_a_404(self):
        for key in ("birth_date_legacy", "nope"):
            url = f"/api/v1/consult/definitions/{key}/sources/"
            self.assertEqual(self.as_(self.steward).get(url).status_code, 404)

    def test_anonymous_is_a_401(self):
        url = "/api/v1/consult/definitions/customer_phone/sources/"
        self.assertEqual(self.as_(None).get(url).status_code, 401)


class DecisionLogTests(ConsultTestCase):
    def test_every_decision_is_logged_with_version_and_reasons(self):
        body = self.consult([MEMBER_ID, "POS:sales.transactions.member_id", "x:y.z"]).json()
        rows = list(DecisionLog.objects.order_by("id"))
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[0].field_ref, MEMBER_ID)
        self.assertEqual(rows[1].field_ref, MEMBER_ID)  # stored canonical
        self.assertEqual(rows[2].decision, "deny")
        self.assertEqual(rows[2].reasons[0]["code"], "unregistered_field")
        self.assertEqual({r.catalog_version for r in rows}, {body["catalog_version"]})
        self.assertEqual(rows[0].consumer_name, "consumer")
        self.assertTrue(rows[0].policy_ids)

    def test_every_decision_is_in_the_log_when_its_response_is_returned(self):
        self.consult([MEMBER_ID])
        self.assertEqual(DecisionLog.objects.count(), 1)
        self.consult(["crm:public.contacts.email", "x:y.z"])
        self.assertEqual(
            list(DecisionLog.objects.order_by("id").values_list("field_ref", flat=True)),
            [MEMBER_ID, "crm:public.contacts.email", "x:y.z"],
        )

    def test_log_is_append_only(self):
        from core.models import AppendOnlyError

        self.consult([MEMBER_ID])
        with self.assertRaises(AppendOnlyError):
            DecisionLog.objects.update(decision="allow")
        with self.assertRaises(AppendOnlyError):
            DecisionLog.objects.first().delete()

    @skipUnless(connection.vendor == "postgresql", "the trigger exists on PostgreSQL only")
    def test_database_refuses_changes_to_the_log_on_postgresql(self):
        self.consult([MEMBER_ID])
        for sql in ("UPDATE consult_decisionlog SET decision = 'allow'",
                    "DELETE FROM consult_decisionlog"):  # fmt: skip
            with self.assertRaises(DatabaseError), transaction.atomic(), connection.cursor() as c:
                c.execute(sql)

    def test_query_by_field_and_by_consumer(self):
        self.consult(["crm:public.contacts.email"])
        self.consult([MEMBER_ID])
        response = self.as_(self.committee).get(
            DECISIONS_URL, {"field": "crm:public.contacts.email"}
        )
        self.assertEqual(response.status_code, 200)
        (row,) = response.json()["results"]
        self.assertEqual(
            (row["consumer_name"], row["purpose"]), ("consumer", "profile_unification")
        )
        response = self.as_(self.steward).get(DECISIONS_URL, {"consumer": "consumer"})
        self.assertEqual(response.json()["count"], 2)

    def test_consumer_reads_only_its_own_decisions_and_others_none(self):
        self.consult([MEMBER_ID])
        make_user("other_consumer", "consumer")
        response = self.as_(self.committee).post(
            WHAT_IF_URL,
            {"purpose": "analytics", "fields": [MEMBER_ID], "consumer": "other_consumer"},
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(self.as_(self.consumer).get(DECISIONS_URL).json()["count"], 1)
        self.assertEqual(self.as_(self.committee).get(DECISIONS_URL).json()["count"], 2)
        for user in (self.engineer, self.vendor, self.outsider):
            response = self.as_(user).get(DECISIONS_URL)
            self.assertEqual((response.status_code, response.json()["count"]), (200, 0))
        self.assertEqual(self.as_(None).get(DECISIONS_URL).status_code, 401)


class PolicyWorkflowTests(ConsultTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        board = Committee.objects.create(name="Privacy board", domains=["customer"],
                                         min_approvals=1)  # fmt: skip
        CommitteeMembership.objects.create(committee=board, user=cls.committee)
        pos = SourceSystem.objects.get(key="pos")
        assign_perm("catalog.change_sourcesystem", cls.other_engineer, pos)

    def create(self, user=None, **overrides):
        body = {
            "name": "No member ids for marketing",
            "consumer": "consumer",
            "purposes": ["profile_unification"],
            "resource_kind": "field",
            "resource_key": MEMBER_ID,
            "effect": "deny",
            "justification": "Member ids are not needed to unify profiles.",
            **overrides,
        }
        return self.as_(user or self.steward).post(POLICIES_URL, body, format="json")

    def act(self, policy_id, name, user, **body):
        return self.as_(user).post(f"{POLICIES_URL}{policy_id}/{name}/", body, format="json")

    def test_policy_takes_effect_only_once_approved_and_revocation_denies_on_the_next_request(self):
        client = self.client_for(self.consumer)

        def decision():
            response = client.post(
                CONSULT_URL, {"purpose": "profile_unification", "fields": [MEMBER_ID]},
                format="json",
            )  # fmt: skip
            return response.json()["decisions"][0]["decision"]

        response = self.create(
            effect="allow", resource_kind="dataset", resource_key="pos:sales.transactions",
            purposes=["analytics"],
        )  # fmt: skip
        self.assertEqual(response.status_code, 201, response.content)
        pid = response.json()["id"]
        created = self.create()
        deny_id = created.json()["id"]
        self.assertEqual(decision(), "allow")
        self.assertEqual(self.act(deny_id, "submit", self.steward).status_code, 200)
        self.assertEqual(decision(), "allow")  # in review: not in force
        response = self.act(deny_id, "vote", self.committee, choice="approve")
        self.assertEqual(response.json()["status"], "approved", response.content)
        self.assertEqual(decision(), "deny")
        response = self.act(deny_id, "revoke", self.committee, reason="mistake")
        self.assertEqual(response.json()["status"], "revoked")
        self.assertEqual(decision(), "allow")
        history = self.as_(self.steward).get(f"{POLICIES_URL}{deny_id}/history/").json()
        self.assertEqual([h["transition"] for h in history], ["submit", "approve", "revoke"])
        self.assertTrue(ChangeRecord.objects.filter(object_type="consult.accesspolicy",
                                                    object_id=str(pid)).exists())  # fmt: skip

    def test_owner_of_the_resource_may_approve_alone(self):
        pid = self.create().json()["id"]
        self.act(pid, "submit", self.steward)
        response = self.act(pid, "vote", self.other_engineer, choice="approve")
        self.assertEqual(response.json()["status"], "approved", response.content)

    def test_author_cannot_vote_and_outsiders_cannot_act(self):
        pid = self.create(user=self.committee).json()["id"]
        self.assertEqual(self.act(pid, "submit", self.committee).status_code, 200)
        self.assertEqual(self.act(pid, "vote", self.committee, choice="approve").status_code, 403)
        self.assertEqual(self.act(pid, "vote", self.engineer, choice="approve").status_code, 403)

    def test_illegal_transition_is_a_400_listing_the_allowed_ones(self):
        pid = self.create().json()["id"]
        response = self.act(pid, "revoke", self.committee)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["allowed"], ["submit"])

    def test_approved_policy_cannot_be_edited(self):
        policy = AccessPolicy.objects.get(consumer=self.consumer, resource_key="pos")
        response = self.as_(self.committee).patch(
            f"{POLICIES_URL}{policy.pk}/", {"name": "x"}, format="json"
        )
        self.assertEqual(response.status_code, 409)

    def test_bad_policies_are_400s_with_the_field_named(self):
        cases = [
            ({"purposes": ["gossip"]}, "purposes"),
            ({"resource_key": "pos:sales.transactions.nope"}, "resource_key"),
            ({"resource_kind": "classification", "resource_key": "pii.nope"}, "resource_key"),
            ({"obligations": [{"type": "mask", "method": "rot13"}]}, "obligations"),
            ({"justification": " "}, "justification"),
            ({"consumer": None}, ""),
        ]
        for overrides, path in cases:
            response = self.create(effect="allow", **overrides)
            self.assertEqual(response.status_code, 400, overrides)
            self.assertIn(path, [e["path"] for e in response.json()["errors"]], overrides)

    def test_who_may_read_and_write_policies(self):
        self.assertEqual(self.as_(None).get(POLICIES_URL).status_code, 401)
        for user in (self.committee, self.steward, self.engineer):
            self.assertEqual(self.as_(user).get(POLICIES_URL).json()["count"], 4, user)
        self.assertEqual(self.as_(self.consumer).get(POLICIES_URL).json()["count"], 4)
        self.assertEqual(self.as_(self.other_engineer).get(POLICIES_URL).json()["count"], 4)
        for user in (self.vendor, self.outsider):
            self.assertEqual(self.as_(user).get(POLICIES_URL).json()["count"], 0)
        own = AccessPolicy.objects.filter(consumer=self.consumer).first()
        self.assertEqual(self.as_(self.vendor).get(f"{POLICIES_URL}{own.pk}/").status_code, 404)
        for user in (self.engineer, self.consumer, self.vendor, self.outsider):
            self.assertEqual(self.create(user=user).status_code, 403, user)
        self.assertEqual(self.create(user=self.committee).status_code, 201)


class TaxonomyTests(ConsultTestCase):
    def test_everyone_authenticated_reads_purposes_and_classifications(self):
        for url in ("/api/v1/consult/purposes/", "/api/v1/consult/classifications/"):
            self.assertEqual(self.as_(None).get(url).status_code, 401)
            self.assertEqual(self.as_(self.vendor).get(url).status_code, 200)
        keys = [c["key"] for c in self.as_(self.consumer).get(
            "/api/v1/consult/classifications/").json()["results"]]  # fmt: skip
        self.assertEqual(keys, ["financial", "internal", "pii.direct", "pii.quasi",
                                "pii.sensitive"])  # fmt: skip

    def test_committee_extends_the_taxonomy_and_others_may_not(self):
        body = {"key": "pii.child", "name": "Data about children",
                "obligations": [{"type": "aggregate_only"}]}  # fmt: skip
        url = "/api/v1/consult/classifications/"
        self.assertEqual(self.as_(self.steward).post(url, body, format="json").status_code, 403)
        self.assertEqual(self.as_(self.committee).post(url, body, format="json").status_code, 201)
        bad = {**body, "key": "pii.child2", "obligations": [{"type": "shred"}]}
        response = self.as_(self.committee).post(url, bad, format="json")
        self.assertEqual(response.status_code, 400)
        response = self.as_(self.committee).post(
            "/api/v1/consult/purposes/", {"key": "fraud_detection", "name": "Fraud"}, format="json"
        )
        self.assertEqual(response.status_code, 201)
        body = {"purpose": "fraud_detection", "fields": [MEMBER_ID]}
        response = self.as_(self.consumer).post(CONSULT_URL, body, format="json")
        self.assertEqual(response.json()["decisions"][0]["reasons"][0]["code"], "no_policy")


class DefinitionClassificationTests(ConsultTestCase):
    url = "/api/v1/consult/definition-classifications/"

    def test_a_definition_label_reaches_every_mapped_field(self):
        body = {"definition_key": "member_id", "classification": "pii.quasi"}
        self.assertEqual(self.as_(None).post(self.url, body).status_code, 401)
        for user in (self.engineer, self.consumer, self.vendor, self.outsider):
            self.assertEqual(self.as_(user).post(self.url, body, format="json").status_code, 403)
        response = self.as_(self.steward).post(self.url, body, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(self.decide(MEMBER_ID)["classifications"], ["pii.quasi"])
        listed = self.as_(self.vendor).get(self.url, {"definition_key": "member_id"}).json()
        self.assertEqual([r["classification"] for r in listed["results"]], ["pii.quasi"])
        url = f"{self.url}{response.json()['id']}/"
        self.assertEqual(self.as_(self.engineer).delete(url).status_code, 403)
        self.assertEqual(self.as_(self.committee).delete(url).status_code, 204)
        self.assertEqual(self.decide(MEMBER_ID)["classifications"], [])

    def test_unknown_definition_or_classification_is_a_400(self):
        for body, path in (
            ({"definition_key": "nope", "classification": "pii.quasi"}, "definition_key"),
            ({"definition_key": "member_id", "classification": "pii.nope"}, "classification"),
        ):
            response = self.as_(self.steward).post(self.url, body, format="json")
            self.assertEqual(response.status_code, 400)
            self.assertEqual(response.json()["errors"][0]["path"], path)


class SourcesPersonaTests(ConsultTestCase):
    def test_every_authenticated_persona_reads_the_sources_of_an_approved_definition(self):
        url = "/api/v1/consult/definitions/member_id/sources/"
        for user in (self.committee, self.steward, self.engineer, self.consumer, self.admin):
            response = self.as_(user).get(url)
            self.assertEqual(response.status_code, 200, user)
            self.assertEqual(response.json()["sources"][0]["field"], MEMBER_ID)
        # A vendor reads the definition but not fields outside its contracts; an outsider
        # (no role) may not read the definition at all, as under /api/v1/governance/.
        response = self.as_(self.vendor).get(url)
        self.assertEqual((response.status_code, response.json()["sources"]), (200, []))
        self.assertEqual(self.as_(self.outsider).get(url).status_code, 404)
