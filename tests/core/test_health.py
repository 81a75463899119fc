"""Health, the OpenAPI schema and the interactive docs answer without a login."""

from __future__ import annotations

from django.test import TestCase


class PublicEndpointTests(TestCase):
    def test_health_is_ok_without_authentication(self):
        response = self.client.get("/api/v1/health/")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["status"], "ok")
        self.assertIn(body["database"], ("sqlite", "postgresql"))
        self.assertIn("X-Request-ID", response.headers)

    def test_health_ignores_a_bad_token(self):
        response = self.client.get("/api/v1/health/", HTTP_AUTHORIZATION="Token nonsense")
        self.assertEqual(response.status_code, 200)

    def test_schema_is_openapi_3_and_documents_the_error_shape(self):
        response = self.client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        self.assertEqual(response.status_code, 200)
        schema = response.json()
        self.assertTrue(schema["openapi"].startswith("3."))
        self.assertIn("/api/v1/catalog/systems/{key}/bulk/", schema["paths"])
        self.assertEqual(
            set(schema["components"]["schemas"]["Error"]["properties"]),
            {"status", "code", "message", "errors"},
        )
        delete = schema["paths"]["/api/v1/catalog/datasets/{id}/"]["delete"]["responses"]
        self.assertLessEqual({"401", "403", "404", "409", "412"}, set(delete))

    def test_docs_page_is_served(self):
        response = self.client.get("/api/docs/")
        self.assertEqual(response.status_code, 200)
        self.assertIn(b"swagger", response.content.lower())
