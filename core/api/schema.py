"""OpenAPI generation: every operation documents the shared error shape for its 4xx codes."""

import re

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from rest_framework.mixins import ListModelMixin

from core.api.serializers import ErrorSerializer


class AutoSchema(BaseAutoSchema):
    def get_tags(self):
        # /api/v1/<area>/...: group operations by area (catalog, lineage, consult, ...).
        parts = [p for p in self._tokenize_path() if p not in ("api", "v1")]
        return parts[:1] or super().get_tags()

    def _get_paginator(self):
        # Only the list action pages its answer (ListModelMixin); the other actions and views
        # that answer a list (history, versions, users, conflicts, ...) answer a plain array.
        if not isinstance(self.view, ListModelMixin):
            return None
        if getattr(self.view, "action", "list") != "list":
            return None
        return super()._get_paginator()

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "response"
            and "enum" in schema
            and "" not in schema["enum"]
            and _may_read_blank(field)
        ):
            # A read-only choice loses REST framework's allow_blank, not the column's blank.
            schema["enum"] = [*schema["enum"], ""]
        return schema

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and _may_read_null(field):
            meta["nullable"] = True
        return meta

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            # A duplicate key, an object frozen in its state, a second vote, dependants of
            # what is deleted: every write can clash with the current state.
            codes.append("409")
        if self.method in ("PUT", "PATCH", "DELETE"):
            codes.append("412")
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            codes.append("415")  # the API reads JSON only (REST_FRAMEWORK's parsers)
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


def _may_read_null(field) -> bool:
    """Whether a serializer field can read back null: REST framework answers null for any field
    whose source crosses an empty nullable relation or ends on a nullable column, whatever the
    field's own type, so a read-only `SlugRelatedField` on a nullable foreign key is nullable."""
    if getattr(field, "default", None) is None and "default" in getattr(field, "_kwargs", {}):
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    for attr in getattr(field, "source_attrs", None) or []:
        if model is None:
            return False
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return False
        if model_field.null:
            return True
        model = model_field.related_model
    return False


def _may_read_blank(field) -> bool:
    """Whether a serializer field can read back "": its column is a blank=True text column."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    attrs = getattr(field, "source_attrs", None) or []
    for index, attr in enumerate(attrs):
        try:
            model_field = model._meta.get_field(attr) if model is not None else None
        except FieldDoesNotExist:
            return False
        if model_field is None:
            return False
        if index == len(attrs) - 1:
            return model_field.blank and not model_field.is_relation
        model = model_field.related_model
    return False


class RefFieldExtension(OpenApiSerializerFieldExtension):
    """A reference field is written as an id or a natural key and read back as an object (or
    the key): two schemas, one per direction, so neither the request nor the response lies."""

    target_class = "core.api.serializers.RefField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if direction == "response":
            if field.read_serializer is None:
                return {"type": "string"}
            return auto_schema.resolve_serializer(field.read_serializer, direction).ref
        reference = {"type": "string"}
        if field.reference_example:
            reference["example"] = field.reference_example
        return {
            "oneOf": [{"type": "integer"}, reference],
            "description": f"{field.expected[0].upper()}{field.expected[1:]}.",
        }


class StrictSerializerExtension(OpenApiSerializerExtension):
    """A strict body refuses keys it does not know; its schema says so."""

    target_class = "core.api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


def link_created_objects(result, generator, request, public):
    """drf-spectacular postprocessing hook: OpenAPI links from each create operation to the
    operations on the object it created, so that clients (and Schemathesis's stateful phase)
    know that the 201's `id` or `key` is the path parameter of the object's detail, update,
    delete and workflow operations.

    A create (POST answering 201 with an object) links to every operation under a detail path
    `.../{name}/` whose parameter `name` is a property of the created object and which is
    either its own collection's detail path (`/systems/` -> `/systems/{key}/`) or a detail path
    whose GET answers the same component or its `...Detail` (`/jobs/{key}/submit/` answers an
    EtlJobVersion, `/lineage/versions/{id}/` an EtlJobVersionDetail). Paths
    under a detail path (`/{key}/submit/`, `/{key}/versions/{number}/`) are linked with the
    same parameter; any further parameter is left to the client. A delete answering 2xx links to
    the GET of the same path with the same parameter (`$request.path.<name>`): what it deleted
    is then gone."""
    paths = result.get("paths", {})
    schemas = result.get("components", {}).get("schemas", {})

    def component(operation, code):
        content = operation.get("responses", {}).get(code, {}).get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        return ref.rsplit("/", 1)[-1] or None

    # Detail paths: ".../{name}/" with one parameter, and the component their GET answers.
    details = {}
    for path, operations in paths.items():
        names = re.findall(r"\{([^}]+)\}", path)
        if len(names) == 1 and path.endswith(f"{{{names[0]}}}/"):
            details[path] = (names[0], component(operations.get("get", {}), "200"))

    for path, operations in paths.items():
        create = operations.get("post")
        if create is None or "201" not in create.get("responses", {}):
            continue
        created = component(create, "201")
        properties = schemas.get(created, {}).get("properties", {}) if created else {}
        links = {}
        for detail, (name, answers) in details.items():
            if name not in properties:
                continue
            if detail != f"{path}{{{name}}}/" and answers not in (created, f"{created}Detail"):
                continue
            for target_path, target_operations in paths.items():
                if not target_path.startswith(detail):
                    continue
                for method, target in target_operations.items():
                    if method not in _METHODS or "operationId" not in target:
                        continue
                    links[target["operationId"]] = {
                        "operationId": target["operationId"],
                        "parameters": {name: f"$response.body#/{name}"},
                        "description": f"The `{name}` of the created object is the "
                        f"`{name}` of {method.upper()} {target_path}.",
                    }
        if links:
            create["responses"]["201"]["links"] = dict(sorted(links.items()))

    # A delete links to the detail of what it deleted, which then answers 404.
    for detail, (name, _) in details.items():
        delete, get = paths[detail].get("delete"), paths[detail].get("get")
        if delete is None or get is None or "operationId" not in get:
            continue
        for code, response in delete.get("responses", {}).items():
            if code.startswith("2"):
                response["links"] = {
                    get["operationId"]: {
                        "operationId": get["operationId"],
                        "parameters": {name: f"$request.path.{name}"},
                        "description": f"The deleted object's detail (GET {detail}), now a 404.",
                    }
                }
    return result


_METHODS = {"get", "put", "patch", "delete", "post"}
