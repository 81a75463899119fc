"""The schema says what the API does: what it refuses, and what it answers.

Found by the Schemathesis run (tests/test_schema_conformance.py); each case here pins one fix
that is not obvious from the code it changed.
"""

from __future__ import annotations

from django.test import TestCase
from drf_spectacular.generators import SchemaGenerator

from tests.catalog.helpers import SYSTEMS_URL, CatalogTestCase


class RefusedInputTests(CatalogTestCase):
    def test_an_offset_that_is_not_a_whole_number_is_a_400_naming_it(self):
        # REST framework used to answer the first page as if no offset had been given.
        response = self.as_(self.engineer).get(SYSTEMS_URL + "?offset=null")
        body = self.assert_error(response, 400, code="invalid", path="offset")
        self.assertIn("whole number", body["message"])

    def test_a_limit_of_zero_is_a_400(self):
        self.assert_error(self.as_(self.engineer).get(SYSTEMS_URL + "?limit=0"), 400, path="limit")

    def test_a_limit_above_the_maximum_still_answers_the_largest_page(self):
        response = self.as_(self.engineer).get(SYSTEMS_URL + "?limit=5000&offset=0")
        self.assertEqual(response.status_code, 200)

    def test_an_empty_date_filter_is_a_400_not_an_unfiltered_list(self):
        response = self.as_(self.engineer).get(SYSTEMS_URL + "?updated_since=")
        self.assert_error(response, 400, code="invalid", path="updated_since")

    def test_an_empty_free_text_filter_is_still_no_filter(self):
        response = self.as_(self.engineer).get(SYSTEMS_URL + "?q=")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["count"], 2)

    def test_a_decimal_where_a_whole_number_filter_belongs_is_a_400(self):
        response = self.as_(self.engineer).get("/api/v1/catalog/datasets/?system_id=1.5")
        self.assert_error(response, 400, path="system_id")

    def test_a_number_where_a_text_column_belongs_is_a_400(self):
        payload = {"key": "app", "name": "App", "kind": "ecommerce", "technical_contact": 5}
        response = self.as_(self.engineer).post(SYSTEMS_URL, payload, format="json")
        self.assert_error(response, 400, path="technical_contact")

    def test_a_number_where_a_boolean_column_belongs_is_a_400(self):
        response = self.as_(self.admin).post(
            "/api/v1/consult/purposes/",
            {"key": "p1", "name": "P", "description": "", "active": 0},
            format="json",
        )
        self.assert_error(response, 400, path="active")

    def test_graph_edge_types_given_empty_is_a_400(self):
        response = self.as_(self.engineer).get("/api/v1/lineage/graph/cycles/?types=")
        self.assert_error(response, 400, path="types")


def _schema() -> dict:
    return SchemaGenerator().get_schema(public=True)


class SchemaShapeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.schema = _schema()
        cls.components = cls.schema["components"]["schemas"]

    def response_of(self, path: str, method: str = "get", code: str = "200") -> dict:
        operation = self.schema["paths"][path][method]
        return operation["responses"][code]["content"]["application/json"]["schema"]

    def test_a_read_only_relation_that_may_be_empty_is_nullable(self):
        self.assertTrue(self.components["Definition"]["properties"]["replaced_by"]["nullable"])
        self.assertTrue(self.components["Notice"]["properties"]["responded_by"]["nullable"])
        self.assertTrue(self.components["EtlJob"]["properties"]["current_version"]["nullable"])

    def test_a_read_only_choice_of_a_blank_column_may_read_empty(self):
        tax = self.components["Version"]["properties"]["tax"]
        refs = [item.get("$ref", "") for item in tax["oneOf"]]
        self.assertIn("#/components/schemas/BlankEnum", refs)

    def test_actions_that_answer_a_list_are_documented_as_a_plain_array(self):
        for path in (
            "/api/v1/governance/definitions/{key}/history/",
            "/api/v1/governance/definitions/{key}/versions/",
            "/api/v1/vendors/vendors/{key}/users/",
            "/api/v1/governance/conflicts/",
        ):
            with self.subTest(path=path):
                self.assertEqual(self.response_of(path)["type"], "array")
        self.assertIn("count", self.components["PaginatedSourceSystemList"]["properties"])

    def test_a_reference_is_written_as_id_or_key_and_read_as_an_object(self):
        read = self.components["Mapping"]["properties"]["field"]
        self.assertEqual(read, {"$ref": "#/components/schemas/FieldRef"})
        written = self.components["MappingRequest"]["properties"]["field"]
        self.assertEqual([o["type"] for o in written["oneOf"]], ["integer", "string"])
        system = self.components["Dataset"]["properties"]["system"]
        self.assertIn("BriefSystem", str(system))

    def test_a_strict_body_refuses_unknown_keys_in_its_schema(self):
        self.assertIs(self.components["BulkUpsertRequest"]["additionalProperties"], False)

    def test_writes_document_409_and_bodies_document_415(self):
        operation = self.schema["paths"]["/api/v1/governance/reviews/{id}/vote/"]["post"]
        self.assertLessEqual({"409", "415"}, set(operation["responses"]))
        patch = self.schema["paths"]["/api/v1/consult/policies/{id}/"]["patch"]
        self.assertLessEqual({"409", "412", "415"}, set(patch["responses"]))
