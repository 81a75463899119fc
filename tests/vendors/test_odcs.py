"""Contracts as Open Data Contract Standard (ODCS v3) documents: exported, imported as a new
draft version, and back again without loss; checked against the standard's own JSON schema."""

from __future__ import annotations

import copy
import datetime
import io
import json
import tempfile
from pathlib import Path

import yaml
from django.core.management import CommandError, call_command
from jsonschema import Draft201909Validator
from open_data_contract_standard.model import OpenDataContractStandard

from core.audit import Actor
from core.models import ChangeRecord
from tests.vendors.helpers import VendorTestCase, document
from vendors import odcs, services
from vendors.models import ContractVersion

ODCS_URL = "/api/v1/vendors/contracts/pos-sales-nightly/odcs/"


def comparable(doc: dict) -> dict:
    """A document without what an import changes by design: the version number and status."""
    doc = copy.deepcopy(doc)
    doc.pop("version")
    doc.pop("status")
    return doc


class OdcsTestCase(VendorTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # A version that uses every part of the mapping: whole datasets and single fields,
        # an SLA with a description, dates, a vendor contact and an internal one.
        cls.rich = services.create_version(
            Actor(cls.vendor),
            cls.pos_contract,
            document(
                cls.pos_contact,
                datasets=[cls.transactions],
                fields=[cls.amount, cls.gross],
                lineage_jobs=["load_pos"],
                slas=[
                    {"metric": "delivery_time", "target": "6", "unit": "hours",
                     "description": "by 08:00 local time"},
                    {"metric": "availability", "target": "99.5", "unit": "percent"},
                ],
                effective_from=datetime.date(2027, 1, 1),
                effective_until=datetime.date(2027, 12, 31),
            ),
        )  # fmt: skip

    def export(self, client, number: int, fmt: str = "json") -> dict:
        query = {"format": fmt} | ({"version": number} if number else {})
        response = client.get(ODCS_URL, query)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response["Content-Type"], f"application/{fmt}; charset=utf-8")
        text = response.content.decode()
        return json.loads(text) if fmt == "json" else yaml.safe_load(text)


class ExportTests(OdcsTestCase):
    def test_an_export_validates_against_the_standards_own_json_schema(self):
        doc = self.export(self.as_(self.vendor), self.rich.number, "yaml")
        errors = list(Draft201909Validator(odcs.schema()).iter_errors(doc))
        self.assertEqual(errors, [])
        self.assertEqual(doc["apiVersion"], "v3.1.0")
        self.assertEqual(doc["kind"], "DataContract")
        self.assertEqual(doc["id"], "pos-sales-nightly")
        self.assertEqual(doc["version"], f"{self.rich.number}.0.0")

    def test_the_standards_own_models_read_an_export_back_unchanged(self):
        doc = self.export(self.as_(self.vendor), self.rich.number)
        model = OpenDataContractStandard.model_validate(doc)
        self.assertEqual(model.model_dump(exclude_none=True, by_alias=True), doc)

    def test_yaml_is_the_default_and_json_is_the_same_document(self):
        client = self.as_(self.vendor)
        response = client.get(ODCS_URL, {"version": self.rich.number})
        self.assertEqual(response["Content-Type"], "application/yaml; charset=utf-8")
        self.assertEqual(
            yaml.safe_load(response.content), self.export(client, self.rich.number, "json")
        )

    def test_schema_sla_support_and_team_come_from_the_version_and_the_vendor(self):
        doc = self.export(self.as_(self.vendor), self.rich.number)
        staging, transactions = doc["schema"]  # sorted by catalog reference
        self.assertEqual(transactions["name"], "sales.transactions")
        self.assertEqual(
            transactions["customProperties"],
            [
                {"property": "catalogRef", "value": "pos:sales.transactions"},
                {"property": "carriedWhole", "value": True},
            ],
        )
        self.assertEqual([p["name"] for p in transactions["properties"]], ["amount"])
        whole = {"property": "carriedWhole", "value": False}
        self.assertEqual(staging["customProperties"][1], whole)
        self.assertEqual(
            staging["properties"][0]["customProperties"],
            [{"property": "catalogRef", "value": "dw:staging.pos_transactions.gross_amount"}],
        )
        self.assertEqual(
            doc["slaProperties"],
            [
                {"property": "availability", "value": 99.5, "unit": "percent"},
                {"property": "delivery_time", "value": 6, "unit": "hours",
                 "description": "by 08:00 local time"},
            ],
        )  # fmt: skip
        self.assertEqual(
            doc["support"][0],
            {
                "channel": "escalation-level-1",
                "scope": "issues",
                "description": "Escalation level 1: Pat Desk, answers within 1 hours.",
                "tool": "email",
                "url": "mailto:desk@posco.example",
            },
        )
        self.assertEqual(
            doc["team"],
            {"name": "POS Systems Ltd",
             "members": [{"username": "desk@posco.example", "name": "Pat Desk"}]},
        )  # fmt: skip
        custom = {p["property"]: p["value"] for p in doc["customProperties"]}
        self.assertEqual(custom["interface"]["sourceSystem"], "pos")
        self.assertEqual(custom["interface"]["effectiveFrom"], "2027-01-01")
        self.assertEqual(custom["interface"]["lineageJobs"], ["load_pos"])
        self.assertEqual(custom["errorHandling"]["retryAttempts"], 3)
        self.assertIn(
            {"activity": "loading", "role": "A", "partyKind": "team", "party": "Data Platform"},
            custom["raci"],
        )
        self.assertEqual(
            custom["escalation"],
            [
                {"level": 1, "contact": "Pat Desk", "contactEmail": "desk@posco.example",
                 "responseTime": 1, "responseUnit": "hours"},
                {"level": 2, "internalContact": "Store IT manager", "responseTime": 4,
                 "responseUnit": "hours"},
            ],
        )  # fmt: skip

    def test_without_a_version_the_one_in_force_is_exported(self):
        doc = self.export(self.as_(self.engineer), None)
        self.assertEqual(doc["version"], "1.0.0")
        self.assertEqual(doc["status"], "active")

    def test_an_unknown_version_is_not_found(self):
        response = self.as_(self.vendor).get(ODCS_URL, {"version": 99})
        self.assertEqual(response.status_code, 404)


class RoundTripTests(OdcsTestCase):
    def test_export_import_export_gives_the_same_document(self):
        client = self.as_(self.vendor)
        first = self.export(client, self.rich.number)
        response = client.post(ODCS_URL, first, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["status"], "draft")
        second = self.export(client, response.json()["number"])
        self.assertEqual(comparable(second), comparable(first))
        self.assertEqual(second["version"], f"{self.rich.number + 1}.0.0")

    def test_a_yaml_body_imports_like_json(self):
        client = self.as_(self.vendor)
        text = client.get(ODCS_URL, {"version": self.rich.number}).content
        response = client.post(ODCS_URL, text, content_type="application/yaml")
        self.assertEqual(response.status_code, 201, response.content)
        new = ContractVersion.objects.get(pk=response.json()["id"])
        self.assertEqual(
            sorted(f.ref for f in new.fields.all()),
            ["dw:staging.pos_transactions.gross_amount", "pos:sales.transactions.amount"],
        )
        self.assertEqual(new.escalation.get(level=1).contact, self.pos_contact)

    def test_an_import_is_audited_with_its_reason(self):
        client = self.as_(self.vendor)
        response = client.post(ODCS_URL, self.export(client, self.rich.number), format="json")
        entry = ChangeRecord.objects.filter(
            object_type="vendors.contractversion", object_id=str(response.json()["id"])
        ).get()
        self.assertEqual(entry.action, "create")
        self.assertEqual(entry.actor_name, "vendor")
        self.assertEqual(entry.reason, "imported from an ODCS document")

    def test_a_version_without_dates_or_single_fields_round_trips_too(self):
        client = self.as_(self.vendor)
        first = self.export(client, 1)
        response = client.post(ODCS_URL, first, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertIsNone(response.json()["effective_from"])
        second = self.export(client, response.json()["number"])
        self.assertEqual(comparable(second), comparable(first))

    def test_the_version_in_force_stays_in_force(self):
        client = self.as_(self.vendor)
        response = client.post(ODCS_URL, self.export(client, 1), format="json")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(self.pos_contract.effective_version, self.pos_v1)


class InvalidDocumentTests(OdcsTestCase):
    def post(self, doc):
        before = ContractVersion.objects.count()
        response = self.as_(self.vendor).post(ODCS_URL, doc, format="json")
        self.assertEqual(response.status_code, 400, response.content)
        self.assertEqual(ContractVersion.objects.count(), before)
        return {(e["path"], e["message"]) for e in response.json()["errors"]}

    def test_every_schema_violation_is_reported_with_its_path(self):
        doc = self.export(self.as_(self.vendor), self.rich.number)
        doc["kind"] = "Contract"
        del doc["id"]
        doc["schema"][1]["properties"][0]["logicalType"] = "text"
        doc["support"][0]["colour"] = "red"
        paths = {path for path, _ in self.post(doc)}
        self.assertEqual(paths, {"", "kind", "schema[1].properties[0].logicalType", "support[0]"})

    def test_every_problem_of_content_is_reported_at_its_place_in_the_document(self):
        doc = self.export(self.as_(self.vendor), self.rich.number)
        doc["schema"][0]["properties"][0]["customProperties"][0]["value"] = "dw:no.such_field"
        doc["slaProperties"][0]["unit"] = "fortnights"
        custom = {p["property"]: p["value"] for p in doc["customProperties"]}
        custom["interface"]["targetSystem"] = "nowhere"
        custom["escalation"][0]["contactEmail"] = "nobody@posco.example"
        custom["errorHandling"]["retryCount"] = 3
        problems = self.post(doc)
        paths = {path for path, _ in problems}
        self.assertEqual(
            paths,
            {
                "schema[0].properties[0]",
                "slaProperties[0].unit",
                "customProperties[0].value.targetSystem",
                "customProperties[2].value.retryCount",
                "customProperties[3].value[0].contact",
            },
        )
        self.assertIn(
            ("customProperties[3].value[0].contact",
             "Pat Desk <nobody@posco.example> is not a contact of this vendor."),
            problems,
        )  # fmt: skip

    def test_the_raci_rules_of_the_version_api_hold_for_an_import(self):
        doc = self.export(self.as_(self.vendor), self.rich.number)
        custom = {p["property"]: p["value"] for p in doc["customProperties"]}
        custom["raci"].append({"activity": "loading", "role": "A", "partyKind": "vendor"})
        self.assertEqual(
            self.post(doc),
            {
                (
                    "customProperties[1].value",
                    "Loading has 2 Accountable parties; exactly one is allowed.",
                )
            },
        )

    def test_a_missing_or_misshapen_custom_property_is_named_and_not_echoed_field_by_field(self):
        doc = self.export(self.as_(self.vendor), self.rich.number)
        doc["customProperties"] = [
            p for p in doc["customProperties"] if p["property"] != "interface"
        ]
        doc["customProperties"][0]["value"] = "everyone"  # the RACI
        self.assertEqual(
            self.post(doc),
            {
                ("customProperties", "The custom property 'interface' is missing."),
                ("customProperties[0].value", "'raci' is a list."),
            },
        )

    def test_a_body_that_is_not_yaml_is_refused_in_the_error_shape(self):
        response = self.as_(self.vendor).post(
            ODCS_URL, b"kind: [unclosed", content_type="application/yaml"
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["code"], "malformed_request")


class PermissionTests(OdcsTestCase):
    def test_who_may_export_and_import(self):
        body = self.export(self.as_(self.vendor), self.rich.number)
        self.assertEqual(self.client.get(ODCS_URL).status_code, 401)
        self.assertEqual(self.client.post(ODCS_URL, body, format="json").status_code, 401)
        other = self.as_(self.other_vendor)
        self.assertEqual(other.get(ODCS_URL).status_code, 404)
        self.assertEqual(other.post(ODCS_URL, body, format="json").status_code, 404)
        reader = self.as_(self.engineer)
        self.assertEqual(reader.get(ODCS_URL).status_code, 200)
        self.assertEqual(reader.post(ODCS_URL, body, format="json").status_code, 403)
        steward = self.as_(self.steward)
        self.assertEqual(steward.post(ODCS_URL, body, format="json").status_code, 201)


class CommandTests(OdcsTestCase):
    def test_export_to_a_file_and_import_it_back_as_a_draft(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "contract.yaml"
            call_command("contract_odcs", "export", f"pos-sales-nightly@{self.rich.number}",
                         "-o", str(path))  # fmt: skip
            first = yaml.safe_load(path.read_text())
            out = io.StringIO()
            call_command("contract_odcs", "import", str(path), "--contract",
                         "pos-sales-nightly", "--actor", "vendor", stdout=out)  # fmt: skip
        number = self.rich.number + 1
        self.assertEqual(out.getvalue().strip(), f"pos-sales-nightly@{number} created as a draft.")
        out = io.StringIO()
        call_command("contract_odcs", "export", f"pos-sales-nightly@{number}", stdout=out)
        self.assertEqual(comparable(yaml.safe_load(out.getvalue())), comparable(first))

    def test_an_invalid_file_lists_every_problem_and_writes_nothing(self):
        doc = odcs.export(self.rich)
        doc["kind"] = "Contract"
        doc["slaProperties"][0]["unit"] = "fortnights"
        before = ContractVersion.objects.count()
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(doc, f)
        with self.assertRaises(CommandError) as caught:
            call_command("contract_odcs", "import", f.name, "--contract", "pos-sales-nightly",
                         "--actor", "vendor")  # fmt: skip
        Path(f.name).unlink()
        self.assertIn("  kind: 'Contract' is not one of ['DataContract']", str(caught.exception))
        self.assertEqual(ContractVersion.objects.count(), before)

    def test_a_user_who_may_not_see_the_contract_is_told_it_does_not_exist(self):
        with self.assertRaises(CommandError) as caught:
            call_command("contract_odcs", "export", "pos-sales-nightly", "--actor", "other_vendor")
        self.assertEqual(str(caught.exception), "No contract 'pos-sales-nightly'.")
