"""OpenAPI generation: every operation documents the shared error shape for its 4xx codes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema

from core.api.serializers import ErrorSerializer


class AutoSchema(BaseAutoSchema):
    def get_tags(self):
        # /api/v1/<area>/...: group operations by area (catalog, lineage, consult, ...).
        parts = [p for p in self._tokenize_path() if p not in ("api", "v1")]
        return parts[:1] or super().get_tags()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404"]
        if self.method in ("PUT", "PATCH", "DELETE"):
            codes.append("412")
        if self.method == "DELETE":
            codes.append("409")
        for code in codes:
            responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code))
        return responses


class HashedTokenScheme(OpenApiAuthenticationExtension):
    """Says truthfully that both `Token` and `Bearer` prefixes are accepted."""

    target_class = "core.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'An API token with the prefix "Token" or "Bearer" '
            "(`Authorization: Token <key>` or `Authorization: Bearer <key>`).",
        }
