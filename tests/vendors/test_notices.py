"""Schema change notices: impact from lineage at once, the notice period, the agenda, the
owner's answer, and the audit trail."""

from core.audit import Actor
from core.models import ChangeRecord
from governance import services as gov
from governance.models import Committee
from governance.workflow import cast_vote, reviews_of, transition
from tests.vendors.helpers import VendorTestCase


class ChangeNoticeTests(VendorTestCase):
    def file(self, user=None, days=60, **extra):
        body = {
            "contract": "pos-sales-nightly",
            "summary": "amount becomes gross_amount; tax_code added",
            "effective_date": self.in_days(days),
            "changes": [
                {
                    "change": "renamed",
                    "field": "pos:sales.transactions.amount",
                    "new_name": "gross_amount",
                },
                {
                    "change": "added",
                    "field": "pos:sales.transactions.tax_code",
                    "data_type": "char(2)",
                },
            ],  # fmt: skip
            **extra,
        }
        return self.as_(user or self.vendor).post(self.url("notices"), body)

    def test_a_notice_is_answered_at_once_with_its_lineage_impact(self):
        response = self.file()
        self.assertEqual(response.status_code, 201, response.content)
        impact = response.json()["impact"]
        self.assertTrue(impact["lineage_available"])
        self.assertEqual(impact["changed_fields"], ["pos:sales.transactions.amount"])
        self.assertEqual(
            impact["downstream_fields"],
            [
                {
                    "field": "dw:staging.pos_transactions.gross_amount",
                    "depth": 1,
                    "jobs": ["load_pos"],
                },
                {
                    "field": "cdp:cdp.customer_profile.lifetime_value",
                    "depth": 2,
                    "jobs": ["load_pos", "build_profile"],
                },
            ],  # fmt: skip
        )
        self.assertEqual(impact["jobs"], ["load_pos", "build_profile"])
        self.assertEqual([c["system"] for c in impact["consumers"]], ["dw", "cdp"])
        self.assertFalse(response.json()["inside_notice_period"])
        self.assertEqual(response.json()["version"], "pos-sales-nightly@1")

    def test_the_impact_names_the_definitions_mapped_to_the_fields(self):
        definition = gov.create_definition(
            Actor(self.steward),
            {"key": "order_amount_gross", "domain": "other", "name": "Order amount, gross",
             "description": "VAT included.", "data_type": "decimal(12,2)",
             "steward": self.steward},
        )  # fmt: skip
        gov.definition_transition(Actor(self.steward), definition, "submit")
        review = reviews_of(definition.pending_version).get(status="open")
        cast_vote(Actor(self.committee), review, "approve")
        engineer = Actor(self.engineer)
        mapping = gov.create_mapping(engineer, {"field": self.gross, "definition": definition})
        transition(engineer, mapping, "submit")
        cast_vote(Actor(self.steward), reviews_of(mapping).get(status="open"), "approve")
        impact = self.file().json()["impact"]
        self.assertEqual(
            impact["definitions"],
            [
                {
                    "definition": "order_amount_gross",
                    "field": "dw:staging.pos_transactions.gross_amount",
                }
            ],
        )

    def test_a_notice_inside_the_notice_period_is_flagged(self):
        response = self.file(days=5)
        self.assertTrue(response.json()["inside_notice_period"])
        flagged = self.as_(self.engineer).get(self.url("notices") + "?inside_notice_period=true")
        self.assertEqual(flagged.json()["count"], 1)

    def test_a_notice_goes_on_the_agenda_until_answered(self):
        notice = self.file(days=5).json()
        agenda = self.as_(self.committee).get(self.url("agenda")).json()["results"]
        items = [i for i in agenda if i["type"] == "vendors.changenotice"]
        self.assertEqual([i["id"] for i in items], [notice["id"]])
        self.assertEqual(items[0]["flags"], ["inside_notice_period"])
        url = self.url("notices", notice["id"], "acknowledge")
        self.assertEqual(self.as_(self.engineer).post(url, {"reason": "ok"}).status_code, 200)
        agenda = self.as_(self.committee).get(self.url("agenda")).json()["results"]
        self.assertFalse([i for i in agenda if i["type"] == "vendors.changenotice"])

    def test_a_notice_is_listed_on_the_committees_own_agenda_and_its_markdown(self):
        notice = self.file(days=5).json()
        committee = Committee.objects.get(name="Integration board")
        url = f"/api/v1/governance/committees/{committee.pk}/agenda/"
        data = self.as_(self.committee).get(url).json()
        items = [i for i in data["other_items"] if i["type"] == "vendors.changenotice"]
        self.assertEqual([i["id"] for i in items], [notice["id"]])
        markdown = self.as_(self.committee).get(url + "?as=markdown").content.decode()
        self.assertIn("Schema change on pos-sales-nightly", markdown)

    def test_the_owner_acknowledges_or_objects_and_it_is_audited(self):
        first = self.file().json()
        url = self.url("notices", first["id"])
        response = self.as_(self.engineer).post(url + "acknowledge/", {"reason": "planned"})
        self.assertEqual(response.json()["status"], "acknowledged")
        self.assertEqual(response.json()["responded_by"], "engineer")
        self.assert_error(self.as_(self.engineer).post(url + "object/", {"reason": "x"}), 400)
        second = self.file().json()
        url = self.url("notices", second["id"], "object")
        self.assert_error(self.as_(self.committee).post(url, {}), 400, path="reason")
        response = self.as_(self.committee).post(url, {"reason": "CDP needs 30 days"})
        self.assertEqual(response.json()["status"], "objected")
        records = ChangeRecord.objects.filter(
            object_type="vendors.changenotice", object_id=str(second["id"])
        )
        self.assertEqual(sorted(r.action for r in records), ["create", "transition"])

    def test_the_vendor_cannot_answer_its_own_notice(self):
        notice = self.file().json()
        url = self.url("notices", notice["id"], "acknowledge")
        self.assert_error(self.as_(self.vendor).post(url), 403)
        self.assert_error(self.as_(self.other_vendor).post(url), 404)
        self.assert_error(self.as_(self.other_engineer).post(url), 403)

    def test_other_vendors_and_outsiders_cannot_see_the_notice(self):
        notice = self.file().json()
        for user in (self.other_vendor, self.outsider, self.consumer):
            with self.subTest(user=user.username):
                self.assert_error(self.as_(user).get(self.url("notices", notice["id"])), 404)
                self.assertEqual(self.as_(user).get(self.url("notices")).json()["count"], 0)
        self.assertEqual(self.as_(self.vendor).get(self.url("notices")).json()["count"], 1)

    def test_changes_must_name_fields_the_contract_carries(self):
        body = self.assert_error(
            self.file(
                changes=[
                    {"change": "removed", "field": "crm:public.contacts.email"},
                    {"change": "renamed", "field": "pos:sales.transactions.amount"},
                    {"change": "added", "field": "pos:sales.transactions.amount"},
                    {"change": "retyped", "field": "not a ref"},
                    {"change": "exploded", "field": "pos:sales.transactions.amount"},
                ]
            ),
            400,
            code="invalid",
        )
        paths = {e["path"]: e["message"] for e in body["errors"]}
        self.assertEqual(paths, {"changes[4].change": paths["changes[4].change"]})
        body = self.assert_error(
            self.file(
                changes=[
                    {"change": "removed", "field": "crm:public.contacts.email"},
                    {"change": "renamed", "field": "pos:sales.transactions.amount"},
                    {"change": "added", "field": "pos:sales.transactions.amount"},
                    {"change": "retyped", "field": "not a ref"},
                ]
            ),
            400,
        )
        paths = {e["path"]: e["message"] for e in body["errors"]}
        self.assertEqual(
            paths["changes[0].field"],
            "crm:public.contacts.email is not a field this contract carries.",
        )
        self.assertEqual(paths["changes[1].new_name"], "A rename needs new_name.")
        self.assertEqual(paths["changes[2].field"], "pos:sales.transactions.amount already exists.")
        self.assertIn("changes[3].field", paths)

    def test_a_notice_needs_changes_and_a_date(self):
        response = self.as_(self.vendor).post(
            self.url("notices"), {"contract": "pos-sales-nightly", "changes": []}
        )
        body = self.assert_error(response, 400)
        self.assertIn("effective_date", [e["path"] for e in body["errors"]])
