"""What people read: the contract document (Markdown and printable HTML), the responsibility
overview, and the contracts behind a lineage edge."""

from lineage.models import LineageEdge
from tests.vendors.helpers import VendorTestCase, payload
from vendors.models import ContractVersion


class DocumentTests(VendorTestCase):
    def test_markdown_document_has_the_raci_as_a_table(self):
        response = self.as_(self.vendor).get(self.url("contracts", "pos-sales-nightly", "document"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/markdown; charset=utf-8")
        text = response.content.decode()
        self.assertTrue(
            text.startswith("# POS sales, nightly — integration contract pos-sales-nightly@1\n")
        )
        self.assertIn("Status: **Active**", text)
        self.assertIn("| Activity | Responsible | Accountable | Consulted | Informed |", text)
        self.assertIn("| Error handling | POS Systems Ltd | POS Systems Ltd | — | — |", text)
        self.assertIn("| Loading | POS Systems Ltd | Data Platform | — | — |", text)
        self.assertIn("| Availability | 99.5 | % |  |", text)
        self.assertIn("| 1 | Pat Desk | desk@posco.example |  | 1 hours |", text)
        self.assertIn("| 2 | Store IT manager |  |  | 4 hours |", text)
        self.assertIn("- `pos:sales.transactions`", text)
        self.assertIn("Implemented by ETL jobs: `load_pos`", text)
        self.assertIn("| Schema change notice | 30 days |", text)

    def test_html_a_vendor_writes_is_shown_as_text_in_the_markdown_document(self):
        url = self.url("contracts", "pos-sales-nightly")
        client = self.as_(self.vendor)
        response = client.patch(url, {"description": "<script>alert(1)</script> & more"})
        self.assertEqual(response.status_code, 200, response.content)
        draft = client.post(
            self.url("versions"),
            payload("pos-sales-nightly", self.pos_contact.pk,
                    schedule='<img src=x onerror="alert(2)">', quarantine="<b>bold</b>"),
            format="json",
        )  # fmt: skip
        self.assertEqual(draft.status_code, 201, draft.content)
        number = draft.json()["number"]
        text = client.get(f"{url}document/", {"version": number}).content.decode()
        self.assertNotIn("<script", text)
        self.assertNotIn("<img", text)
        self.assertNotIn("<b>", text)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more", text)
        self.assertIn('| Schedule | &lt;img src=x onerror="alert(2)"&gt; |', text)
        self.assertIn("| Quarantine of bad records | &lt;b&gt;bold&lt;/b&gt; |", text)

    def test_printable_page_is_html_with_the_raci_table(self):
        response = self.as_(self.engineer).get(
            self.url("contracts", "pos-sales-nightly", "printable")
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/html; charset=utf-8")
        html = response.content.decode()
        self.assertIn('<table class="raci">', html)
        self.assertIn(
            '<tr><th scope="row">Error handling</th><td>POS Systems Ltd</td>'
            "<td>POS Systems Ltd</td><td>—</td><td>—</td></tr>",
            html,
        )
        self.assertIn("@media print", html)

    def test_a_given_version_or_the_latest_draft_can_be_rendered(self):
        client = self.as_(self.other_vendor)
        response = client.get(self.url("contracts", "crm-contacts-sync", "document"))
        self.assertIn("Status: **Draft**", response.content.decode())
        self.assertIn("| Error handling | — | — | — | — |", response.content.decode())
        url = self.url("contracts", "crm-contacts-sync", "document") + "?version=9"
        self.assert_error(client.get(url), 404)

    def test_a_client_may_ask_for_markdown_by_media_type(self):
        response = self.as_(self.vendor).get(
            self.url("contracts", "pos-sales-nightly", "document"), HTTP_ACCEPT="text/markdown"
        )
        self.assertEqual(response.status_code, 200)


class ResponsibilityOverviewTests(VendorTestCase):
    def test_who_is_accountable_for_error_handling_on_every_interface_feeding_the_cdp(self):
        response = self.as_(self.committee).get(
            self.url("responsibilities") + "?activity=error_handling&feeds=cdp"
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            response.json()["results"],
            [
                {
                    "contract": "pos-sales-nightly",
                    "contract_name": "POS sales, nightly",
                    "vendor": "posco",
                    "vendor_name": "POS Systems Ltd",
                    "version": 1,
                    "status": "active",
                    "source_system": "pos",
                    "target_system": "dw",
                    "activity": "error_handling",
                    "accountable": "POS Systems Ltd",
                    "responsible": ["POS Systems Ltd"],
                    "consulted": [],
                    "informed": [],
                }
            ],
        )

    def test_without_an_activity_every_activity_is_listed(self):
        response = self.as_(self.engineer).get(self.url("responsibilities"))
        self.assertEqual(response.json()["count"], 9)

    def test_nothing_feeds_a_system_without_lineage_from_a_contract(self):
        response = self.as_(self.engineer).get(self.url("responsibilities") + "?feeds=crm")
        self.assertEqual(response.json()["count"], 0)

    def test_the_vendor_sees_its_own_rows_only(self):
        self.assertEqual(self.as_(self.vendor).get(self.url("responsibilities")).json()["count"], 9)
        self.assertEqual(
            self.as_(self.other_vendor).get(self.url("responsibilities")).json()["count"], 0
        )

    def test_bad_parameters_are_400(self):
        client = self.as_(self.engineer)
        body = self.assert_error(
            client.get(self.url("responsibilities") + "?activity=juggling"), 400, path="activity"
        )
        self.assertIn("error_handling", body["message"])
        self.assert_error(
            client.get(self.url("responsibilities") + "?feeds=nowhere"), 400, path="feeds"
        )


class LineageContractTests(VendorTestCase):
    def test_engineer_sees_the_contract_behind_a_lineage_edge(self):
        edge = LineageEdge.objects.get(job__key="load_pos", source=self.amount)
        response = self.as_(self.engineer).get(self.url("lineage", edge.pk))
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(
            body["edge"],
            {
                "id": edge.pk,
                "source": "pos:sales.transactions.amount",
                "target": "dw:staging.pos_transactions.gross_amount",
                "job": "load_pos",
            },
        )
        self.assertEqual(
            [(r["contract"], r["vendor"], r["reason"]) for r in body["results"]],
            [("pos-sales-nightly", "posco", "carries the field")],
        )

    def test_an_edge_is_traced_to_a_contract_through_its_job(self):
        edge = LineageEdge.objects.get(job__key="build_profile")
        client = self.as_(self.engineer)
        self.assertEqual(client.get(self.url("lineage", edge.pk)).json()["results"], [])
        ContractVersion.objects.filter(pk=self.pos_v1.pk).update(
            lineage_jobs=["load_pos", "build_profile"]
        )
        body = client.get(self.url("lineage", edge.pk)).json()
        self.assertEqual(
            [(r["contract"], r["reason"]) for r in body["results"]],
            [("pos-sales-nightly", "implemented by the job")],
        )

    def test_a_field_ref_finds_the_contract(self):
        response = self.as_(self.steward).get(self.url("lineage", "pos:sales.transactions.amount"))
        self.assertEqual([r["vendor"] for r in response.json()["results"]], ["posco"])
        self.assertIsNone(response.json()["edge"])

    def test_drafts_stand_behind_nothing(self):
        response = self.as_(self.engineer).get(self.url("lineage", "crm:public.contacts.email"))
        self.assertEqual(response.json()["results"], [])

    def test_unknown_edge_or_field_is_404_and_a_bad_ref_400(self):
        client = self.as_(self.engineer)
        self.assert_error(client.get(self.url("lineage", "999999")), 404)
        self.assert_error(client.get(self.url("lineage", "pos:sales.nope.x")), 404)
        self.assert_error(client.get(self.url("lineage", "no-colon")), 400, path="ref")
