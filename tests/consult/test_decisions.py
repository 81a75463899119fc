"""Each decision code of the consult contract, and the precedence of policies."""

from __future__ import annotations

import datetime

from django.utils import timezone

from tests.consult.helpers import ConsultTestCase, allow, deny


class DecisionCodeTests(ConsultTestCase):
    def test_approved_field_with_an_allowing_policy_is_allowed_with_its_definition(self):
        d = self.decide("pos:sales.transactions.member_id")
        self.assertEqual(d["decision"], "allow")
        self.assertEqual(self.codes(d), ["policy_allowed"])
        self.assertEqual(
            d["definition"], {"key": "member_id", "version": 1, "status": "approved",
                              "attributes": {"sensitivity": "internal"}},
        )  # fmt: skip
        self.assertEqual(d["obligations"], [])
        self.assertIn({"role": "steward", "name": "steward"}, d["owners"])

    def test_unknown_field_is_denied_as_unregistered_in_a_200(self):
        response = self.consult(["crm:public.contacts.shoe_size"])
        self.assertEqual(response.status_code, 200)
        d = response.json()["decisions"][0]
        self.assertEqual(d["decision"], "deny")
        self.assertEqual(self.codes(d), ["unregistered_field"])
        self.assertIsNone(d["definition"])

    def test_field_without_approved_definition_is_denied(self):
        d = self.decide("crm:public.contacts.postcode")
        self.assertEqual(d["decision"], "deny")
        self.assertEqual(self.codes(d)[0], "no_approved_definition")

    def test_deprecated_definition_is_denied_naming_the_replacement(self):
        d = self.decide("crm:public.contacts.birth_date")
        self.assertEqual(d["decision"], "deny")
        reason = d["reasons"][0]
        self.assertEqual(reason["code"], "definition_deprecated")
        self.assertEqual(reason["replacement"], "customer_birth_date")
        self.assertIn("customer_birth_date", reason["message"])

    def test_no_policy_for_the_purpose_is_denied(self):
        d = self.decide("pos:sales.transactions.member_id", purpose="analytics")
        self.assertEqual((d["decision"], self.codes(d)), ("deny", ["no_policy"]))

    def test_deny_policy_is_denied_and_named(self):
        p = deny(self.consumer, "field", "pos:sales.transactions.member_id")
        d = self.decide("pos:sales.transactions.member_id")
        self.assertEqual((d["decision"], self.codes(d)), ("deny", ["policy_denied"]))
        self.assertEqual(d["reasons"][0]["policy"], p.pk)

    def test_pii_field_requires_masking(self):
        d = self.decide("crm:public.contacts.email")
        self.assertEqual(d["decision"], "allow_with_obligations")
        self.assertEqual(d["obligations"], [{"type": "mask", "method": "sha256"}])
        self.assertEqual(self.codes(d), ["policy_allowed", "masking_required"])
        self.assertEqual(d["classifications"], ["pii.direct"])

    def test_unapproved_upstream_denies_naming_the_offending_field(self):
        d = self.decide("cdp:cdp.customer_profile.segment")
        self.assertEqual(d["decision"], "deny")
        reason = next(r for r in d["reasons"] if r["code"] == "upstream_unapproved")
        self.assertEqual(reason["fields"], ["crm:public.contacts.postcode"])

    def test_field_from_a_job_whose_current_sql_failed_is_untrusted(self):
        d = self.decide("cdp:cdp.customer_profile.last_seen")
        reason = next(r for r in d["reasons"] if r["code"] == "upstream_unapproved")
        self.assertEqual(d["decision"], "deny")
        self.assertEqual(reason["fields"], ["cdp:cdp.customer_profile.last_seen"])
        self.assertIn("broken_job", reason["message"])

    def test_policy_can_downgrade_an_untrusted_upstream_to_a_warning(self):
        allow(self.consumer, "field", "cdp:cdp.customer_profile.segment", upstream_mode="warn")
        d = self.decide("cdp:cdp.customer_profile.segment")
        self.assertEqual(d["decision"], "allow")
        reason = next(r for r in d["reasons"] if r["code"] == "upstream_unapproved")
        self.assertTrue(reason["warning"])

    def test_aggregate_only_obligation_is_returned(self):
        allow(self.consumer, "field", "pos:sales.transactions.member_id",
              obligations=[{"type": "aggregate_only"}])  # fmt: skip
        d = self.decide("pos:sales.transactions.member_id")
        self.assertEqual(d["decision"], "allow_with_obligations")
        self.assertEqual(d["obligations"], [{"type": "aggregate_only"}])

    def test_one_request_answers_every_field_in_order(self):
        refs = ["crm:public.contacts.email", "nowhere:x.y", "pos:sales.transactions.member_id"]
        body = self.consult(refs).json()
        self.assertEqual([d["field"] for d in body["decisions"]], refs)
        self.assertGreater(body["catalog_version"], -1)


class PrecedenceTests(ConsultTestCase):
    ref = "pos:sales.transactions.member_id"

    def test_explicit_deny_beats_allow_at_the_same_level(self):
        allow(self.consumer, "field", self.ref)
        deny(self.consumer, "field", self.ref)
        d = self.decide(self.ref)
        self.assertEqual((d["decision"], self.codes(d)), ("deny", ["policy_denied"]))

    def test_more_specific_allow_beats_broader_deny(self):
        deny(self.consumer, "dataset", "pos:sales.transactions")
        allow(self.consumer, "field", self.ref)
        self.assertEqual(self.decide(self.ref)["decision"], "allow")

    def test_more_specific_deny_beats_broader_allow(self):
        deny(self.consumer, "definition", "member_id")
        self.assertEqual(self.decide(self.ref)["decision"], "deny")

    def test_classification_deny_beats_a_system_allow(self):
        deny(self.consumer, "classification", "pii.direct")
        d = self.decide("crm:public.contacts.email")
        self.assertEqual((d["decision"], self.codes(d)), ("deny", ["policy_denied"]))

    def test_every_deciding_policy_is_listed(self):
        a = allow(self.consumer, "dataset", "pos:sales.transactions")
        b = allow(self.consumer, "dataset", "pos:sales.transactions", purposes=["*"])
        d = self.decide(self.ref)
        self.assertEqual(sorted(r["policy"] for r in d["reasons"]), [a.pk, b.pk])

    def test_group_policy_applies_to_its_members(self):
        from django.contrib.auth.models import Group

        group = Group.objects.get(name="consumer")
        deny(group, "field", self.ref)
        self.assertEqual(self.decide(self.ref)["decision"], "deny")

    def test_policies_of_another_consumer_do_not_apply(self):
        deny(self.outsider, "field", self.ref)
        self.assertEqual(self.decide(self.ref)["decision"], "allow")

    def test_policy_outside_its_validity_window_does_not_apply(self):
        now = timezone.now()
        deny(self.consumer, "field", self.ref, valid_until=now - datetime.timedelta(days=1))
        deny(self.consumer, "field", self.ref, valid_from=now + datetime.timedelta(days=1))
        self.assertEqual(self.decide(self.ref)["decision"], "allow")

    def test_unapproved_policy_does_not_apply(self):
        deny(self.consumer, "field", self.ref, status="in_review")
        self.assertEqual(self.decide(self.ref)["decision"], "allow")

    def test_aggregation_breaker_policy_drops_classifications_reached_only_by_aggregation(self):
        ref = "cdp:cdp.customer_profile.lifetime_value"
        d = self.decide(ref)
        self.assertEqual(d["classifications"], ["pii.sensitive"])
        self.assertEqual(d["obligations"], [{"type": "aggregate_only"}])
        allow(self.consumer, "field", ref, aggregation_deidentifies=True)
        self.setUp()
        d = self.decide(ref)
        self.assertEqual((d["decision"], d["classifications"]), ("allow", []))


class DecisiveReasonTests(ConsultTestCase):
    """Each reason says whether it decided the outcome, so a deny that also lists the policy
    that would have allowed the use does not read as a contradiction."""

    def decisive(self, d: dict) -> list[tuple[str, bool]]:
        return [(r["code"], r["decisive"]) for r in d["reasons"]]

    def test_a_deny_marks_what_denied_and_not_the_policy_that_would_have_allowed(self):
        d = self.decide("crm:public.contacts.postcode")
        self.assertEqual(d["decision"], "deny")
        self.assertEqual(
            self.decisive(d), [("no_approved_definition", True), ("policy_allowed", False)]
        )

    def test_an_allow_is_decided_by_its_policy(self):
        d = self.decide("pos:sales.transactions.member_id")
        self.assertEqual(self.decisive(d), [("policy_allowed", True)])

    def test_obligations_decide_an_allow_with_obligations(self):
        d = self.decide("crm:public.contacts.email")
        self.assertEqual(self.decisive(d), [("policy_allowed", True), ("masking_required", True)])

    def test_every_reason_that_alone_denies_is_decisive(self):
        deny(self.consumer, "field", "cdp:cdp.customer_profile.segment")
        d = self.decide("cdp:cdp.customer_profile.segment")
        self.assertEqual(dict(self.decisive(d))["policy_denied"], True)
        self.assertEqual(dict(self.decisive(d))["upstream_unapproved"], True)
        unknown = self.decide("crm:public.contacts.shoe_size")
        self.assertEqual(self.decisive(unknown), [("unregistered_field", True)])
        no_policy = self.decide("pos:sales.transactions.member_id", purpose="analytics")
        self.assertEqual(self.decisive(no_policy), [("no_policy", True)])

    def test_an_upstream_only_warned_about_does_not_decide(self):
        allow(self.consumer, "field", "cdp:cdp.customer_profile.segment", upstream_mode="warn")
        d = self.decide("cdp:cdp.customer_profile.segment")
        self.assertEqual(d["decision"], "allow")
        self.assertEqual(
            self.decisive(d), [("policy_allowed", True), ("upstream_unapproved", False)]
        )

    def test_the_decision_log_keeps_the_marks(self):
        self.decide("crm:public.contacts.postcode")
        log = self.as_(self.committee).get(
            "/api/v1/consult/decisions/", {"field": "crm:public.contacts.postcode"}
        )
        self.assertEqual(log.status_code, 200, log.content)
        reasons = log.json()["results"][0]["reasons"]
        self.assertEqual([r["decisive"] for r in reasons], [True, False])
