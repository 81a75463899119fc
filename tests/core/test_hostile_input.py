"""Input no endpoint can store or parse is refused at the door, in the one error shape: NUL and
lone surrogates anywhere in a JSON body, nesting deep enough to exhaust Python's stack, and
bodies over the size limit; and errors that happen outside the API code answer in the same
shape."""

from __future__ import annotations

import json

from django.test import override_settings

from tests.personas import PersonaTestCase

CONSULT_URL = "/api/v1/consult/"
SYSTEMS_URL = "/api/v1/catalog/systems/"


class HostileJsonTests(PersonaTestCase):
    def post(self, user, url, body: str):
        return self.as_(user).post(url, body, content_type="application/json")

    def assert_error(self, response, status: int, code: str, path: str | None = None) -> dict:
        self.assertEqual(response.status_code, status, response.content)
        self.assertEqual(response["Content-Type"], "application/json")
        body = response.json()
        self.assertEqual((body["status"], body["code"]), (status, code))
        if path is not None:
            self.assertEqual(body["errors"][0]["path"], path)
        return body

    def test_a_consult_field_with_a_nul_character_is_a_400_naming_it(self):
        response = self.post(
            self.consumer,
            CONSULT_URL,
            '{"purpose": "profile_unification", "fields": ["pos:sales.t\\u0000x.amount"]}',
        )
        body = self.assert_error(response, 400, "invalid", "fields[0]")
        self.assertIn("U+0000", body["message"])

    def test_a_consult_field_with_a_lone_surrogate_is_a_400_naming_it(self):
        response = self.post(
            self.consumer,
            CONSULT_URL,
            '{"purpose": "profile_unification", "fields": ["ok:a.b", "pos:sales.\\ud800.x"]}',
        )
        body = self.assert_error(response, 400, "invalid", "fields[1]")
        self.assertIn("U+D800", body["message"])

    def test_a_nul_character_in_a_purpose_is_a_400(self):
        response = self.post(
            self.consumer, CONSULT_URL, '{"purpose": "profile\\u0000", "fields": ["a:b.c"]}'
        )
        self.assert_error(response, 400, "invalid", "purpose")

    def test_a_nul_character_inside_free_json_is_refused_before_it_reaches_the_database(self):
        # Obligations are free JSON stored as jsonb: PostgreSQL cannot hold \u0000 there.
        response = self.post(
            self.committee,
            "/api/v1/consult/classifications/",
            '{"key": "pii.x", "name": "X", "obligations": [{"type": "mask\\u0000"}]}',
        )
        self.assert_error(response, 400, "invalid", "obligations[0].type")

    def test_a_nul_character_in_a_key_of_an_object_is_a_400(self):
        response = self.post(self.engineer, SYSTEMS_URL, '{"key": "s", "na\\u0000me": "x"}')
        body = self.assert_error(response, 400, "invalid")
        self.assertIn("U+0000", body["message"])

    def test_json_nested_five_thousand_levels_is_a_400_not_a_crash(self):
        for user, url in ((self.consumer, CONSULT_URL), (self.engineer, SYSTEMS_URL)):
            response = self.post(user, url, "[" * 5000 + "]" * 5000)
            body = self.assert_error(response, 400, "invalid")
            self.assertIn("nested more than 64 levels", body["message"])

    def test_json_nested_deeper_than_the_limit_but_parseable_is_a_400_with_its_path(self):
        response = self.post(self.engineer, SYSTEMS_URL, '{"a": ' + "[" * 70 + "]" * 70 + "}")
        body = self.assert_error(response, 400, "invalid")
        self.assertTrue(body["errors"][0]["path"].startswith("a[0][0]"))

    def test_a_nul_character_in_a_query_parameter_is_a_400_naming_it(self):
        response = self.as_(self.committee).get("/api/v1/consult/decisions/?field=a%00b")
        body = self.assert_error(response, 400, "invalid", "field")
        self.assertIn("U+0000", body["message"])

    @override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
    def test_a_body_over_the_size_limit_is_a_413_in_the_error_shape_naming_the_limit(self):
        big = '{"key": "s", "name": "' + "x" * 2000 + '"}'
        response = self.post(self.engineer, SYSTEMS_URL, big)
        body = self.assert_error(response, 413, "too_large")
        self.assertEqual(body["limit"], 1000)
        self.assertIn("1,000 bytes", body["message"])

    def test_a_body_that_is_not_utf8_is_a_400(self):
        response = self.as_(self.engineer).post(
            SYSTEMS_URL, b'{"key": "\xff"}', content_type="application/json"
        )
        self.assert_error(response, 400, "malformed_request")


@override_settings(DEBUG=False)
class ErrorPagesTests(PersonaTestCase):
    def test_a_server_error_under_the_api_is_json_in_the_error_shape(self):
        from core.api.errors import server_error_view

        request = self.client.get("/api/v1/health/").wsgi_request
        response = server_error_view(request)
        self.assertEqual(response.status_code, 500)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(json.loads(response.content)["code"], "server_error")

    def test_a_bad_request_raised_below_the_api_is_json_under_the_api(self):
        # A Host header the settings do not allow is refused by Django before any view runs.
        response = self.client.get("/api/v1/health/", HTTP_HOST="evil.example")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(response.json()["status"], 400)

    def test_pages_outside_the_api_keep_django_error_pages(self):
        response = self.client.get("/no-such-page/", HTTP_HOST="evil.example")
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("application/json", response["Content-Type"])
