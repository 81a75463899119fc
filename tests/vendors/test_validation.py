"""Contract validation: every message names the gap it found."""

from django.core.exceptions import ValidationError

from core.audit import Actor
from tests.vendors.helpers import VendorTestCase, document, payload, raci
from vendors import services
from vendors.models import ContractVersion
from vendors.validation import completeness_gaps


def messages(exc: ValidationError) -> dict:
    return exc.message_dict


class VersionValidationTests(VendorTestCase):
    def new_version(self, **overrides):
        return services.create_version(
            Actor(self.vendor), self.pos_contract, document(self.pos_contact, **overrides)
        )

    def test_a_complete_document_has_no_gaps(self):
        self.assertEqual(completeness_gaps(services.document_of(self.pos_v1)), [])

    def test_missing_accountable_is_named_by_activity_and_blocks_submission(self):
        rows = [r for r in raci() if not (r["activity"] == "error_handling" and r["role"] == "A")]
        version = self.new_version(raci=rows, datasets=[self.transactions])
        with self.assertRaises(ValidationError) as caught:
            services.version_transition(Actor(self.vendor), version, "submit")
        self.assertEqual(
            messages(caught.exception)["raci.error_handling"],
            [
                "Error handling has no Accountable party: name exactly one "
                "(the vendor or an internal team)."
            ],
        )
        version.refresh_from_db()
        self.assertEqual(version.status, "draft")

    def test_missing_responsible_is_named(self):
        rows = [r for r in raci() if not (r["activity"] == "monitoring" and r["role"] == "R")]
        gaps = completeness_gaps({**services.document_of(self.pos_v1), "raci": rows})
        self.assertIn(
            {
                "path": "raci.monitoring",
                "message": "Monitoring has no Responsible party: name at least one.",
            },
            gaps,
        )

    def test_two_accountables_are_refused_even_in_a_draft(self):
        rows = raci() + [{"activity": "loading", "role": "A", "party_kind": "vendor", "party": ""}]
        with self.assertRaises(ValidationError) as caught:
            self.new_version(raci=rows)
        self.assertEqual(
            messages(caught.exception)["raci"],
            ["Loading has 2 Accountable parties; exactly one is allowed."],
        )

    def test_sla_without_a_unit_is_refused_naming_the_sla(self):
        slas = [{"metric": "availability", "target": "99.5", "unit": ""}]
        with self.assertRaises(ValidationError) as caught:
            self.new_version(slas=slas)
        self.assertEqual(
            messages(caught.exception)["slas[0].unit"],
            ["SLA 'Availability' (99.5) has no unit."],
        )
        self.assertEqual(ContractVersion.objects.filter(contract=self.pos_contract).count(), 1)

    def test_escalation_level_without_a_contact_is_refused_naming_the_level(self):
        escalation = [{"level": 2, "response_time": 4, "response_unit": "hours"}]
        with self.assertRaises(ValidationError) as caught:
            self.new_version(escalation=escalation)
        self.assertEqual(
            messages(caught.exception)["escalation[0].contact"],
            ["Escalation level 2 has no contact."],
        )

    def test_escalation_contact_of_another_vendor_is_refused(self):
        escalation = [
            {"level": 1, "contact": self.crm_contact, "response_time": 1, "response_unit": "hours"}
        ]
        with self.assertRaises(ValidationError) as caught:
            self.new_version(escalation=escalation)
        self.assertIn("not a contact of this vendor", str(caught.exception))

    def test_internal_team_without_a_name_is_refused(self):
        rows = [{"activity": "loading", "role": "A", "party_kind": "team", "party": " "}]
        with self.assertRaises(ValidationError) as caught:
            self.new_version(raci=rows)
        self.assertEqual(
            messages(caught.exception)["raci[0].party"], ["Loading: name the internal team."]
        )

    def test_incomplete_draft_lists_every_gap(self):
        gaps = completeness_gaps(services.document_of(self.crm_v1))
        paths = {g["path"] for g in gaps}
        self.assertLessEqual(
            {
                "raci.extraction",
                "raci.access_management",
                "slas",
                "error_detection",
                "notify_within_minutes",
                "escalation",
                "schema_change_notice_days",
            },
            paths,
        )
        self.assertNotIn("datasets", paths)  # it carries a field
        self.assertIn({"path": "slas", "message": "No availability SLA."}, gaps)

    def test_notify_within_without_whom_is_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self.new_version(notify_party="")
        self.assertIn("not whom to notify", str(caught.exception))

    def test_escalation_levels_must_run_without_gaps(self):
        doc = services.document_of(self.pos_v1)
        doc["escalation"] = [{"level": 1}, {"level": 3}]
        self.assertIn(
            {
                "path": "escalation",
                "message": "Escalation levels must run 1, 2, 3… without gaps or repeats "
                "(got 1, 3).",
            },
            completeness_gaps(doc),
        )


class ValidationThroughTheApiTests(VendorTestCase):
    def post(self, **overrides):
        body = payload("pos-sales-nightly", self.pos_contact.pk, **overrides)
        return self.as_(self.vendor).post(self.url("versions"), body)

    def test_sla_without_unit_is_a_400_naming_it(self):
        response = self.post(slas=[{"metric": "freshness", "target": "24", "unit": ""}])
        body = self.assert_error(response, 400, code="invalid", path="slas[0].unit")
        self.assertIn("SLA 'Freshness' (24) has no unit.", body["message"])

    def test_escalation_without_contact_is_a_400_naming_the_level(self):
        response = self.post(
            escalation=[{"level": 1, "response_time": 1, "response_unit": "hours"}]
        )
        body = self.assert_error(response, 400, path="escalation[0].contact")
        self.assertIn("Escalation level 1 has no contact.", body["message"])

    def test_unknown_dataset_and_bad_choice_are_each_reported(self):
        response = self.post(datasets=["pos:sales.nope"], mechanism="carrier_pigeon")
        body = self.assert_error(response, 400)
        paths = [e["path"] for e in body["errors"]]
        self.assertIn("datasets[0]", paths)
        self.assertIn("mechanism", paths)

    def test_submitting_an_incomplete_draft_is_a_400_listing_the_gaps(self):
        response = self.as_(self.other_vendor).post(self.url("versions", self.crm_v1.pk, "submit"))
        body = self.assert_error(response, 400, code="invalid", path="raci.error_handling")
        self.assertGreater(len(body["errors"]), 10)
        self.assertIn("has no Accountable party", body["message"])
