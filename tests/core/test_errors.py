"""The one error shape, also for failures that happen below the API code."""

from tests.personas import PersonaTestCase


class ErrorShapeTests(PersonaTestCase):
    def test_a_number_too_large_for_the_database_is_a_400_not_a_500(self):
        response = self.as_(self.engineer).get(
            "/api/v1/catalog/fields/?dataset_id=99999999999999999999999"
        )
        # SQLite cannot bind the number (400); PostgreSQL compares it as numeric and finds nothing.
        self.assertIn(response.status_code, (200, 400))
        if response.status_code == 400:
            body = response.json()
            self.assertEqual(body["code"], "invalid")
            self.assertIn("out of range", body["message"])
        else:
            self.assertEqual(response.json()["count"], 0)

    def test_an_unknown_api_path_answers_in_the_error_shape(self):
        response = self.as_(self.engineer).get("/api/v1/no-such-thing/")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(
            response.json(),
            {
                "status": 404,
                "code": "not_found",
                "message": "No API endpoint at /api/v1/no-such-thing/.",
                "errors": [],
            },
        )

    def test_an_unknown_page_outside_the_api_is_an_ordinary_404(self):
        response = self.client.get("/no-such-page/")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("application/json", response["Content-Type"])

    def test_a_form_encoded_body_is_refused_in_the_error_shape(self):
        response = self.as_(self.engineer).post(
            "/api/v1/catalog/systems/",
            "key=x&name=y",
            content_type="application/x-www-form-urlencoded",
        )
        self.assertEqual(response.status_code, 415)
        self.assertEqual(response.json()["code"], "unsupported_media_type")

    def test_a_boolean_filter_with_a_value_that_is_not_a_boolean_is_a_400(self):
        response = self.as_(self.engineer).get("/api/v1/catalog/fields/?discovered=maybe")
        self.assertEqual(response.status_code, 400)
        body = response.json()
        self.assertEqual(body["errors"][0]["path"], "discovered")
        self.assertIn("use true or false", body["errors"][0]["message"])
        ok = self.as_(self.engineer).get("/api/v1/catalog/fields/?discovered=false")
        self.assertEqual(ok.status_code, 200)
