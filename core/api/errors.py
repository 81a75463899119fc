"""One error shape for the whole API:

    {"status": 400, "code": "invalid", "message": "a sentence for people",
     "errors": [{"path": "datasets[2].fields[0].name", "message": "..."}], ...extra}

Every 4xx goes through `exception_handler`, so clients parse one format."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The object changed since you read it; fetch it again and retry."
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "This request must carry an If-Match header."
    default_code = "precondition_required"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail=None, code=None, **extra):
        super().__init__(detail, code)
        self.extra = extra


class RequestError(exceptions.APIException):
    """A 400 with a list of errors, for service-level validation (bulk operations)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(
        self, message: str, errors: list[dict] | None = None, code: str = "invalid", **extra
    ):
        super().__init__(message, code)
        self.errors = errors or []
        self.extra = extra


def flatten(detail, path: str = "") -> list[dict]:
    """Turn DRF's nested error detail into a flat list of {path, message}."""
    out: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            key_path = (
                path
                if key in ("non_field_errors", "__all__")
                else (f"{path}.{key}" if path else str(key))
            )
            out.extend(flatten(value, key_path))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out.extend({"path": path, "message": str(item)} for item in detail)
        else:
            for index, item in enumerate(detail):
                out.extend(flatten(item, f"{path}[{index}]"))
    else:
        out.append({"path": path, "message": str(detail)})
    return out


def _summary(errors: list[dict]) -> str:
    if not errors:
        return "Invalid request."
    first = errors[0]
    where = f"{first['path']}: " if first["path"] else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}{first['message']}{more}"


def error_body(status_code: int, code: str, message: str, errors=None, **extra) -> dict:
    body = {"status": status_code, "code": code, "message": message, "errors": errors or []}
    body.update(extra)
    return body


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ProtectedError | RestrictedError):
        objs = list(
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        )
        exc = Conflict(
            "Cannot delete: other objects depend on this one. Remove or move them first.",
            code="protected",
            dependants=[
                {"type": f"{o._meta.app_label}.{o._meta.model_name}", "id": o.pk, "name": str(o)}
                for o in objs[:100]
            ],
            dependants_count=len(objs),
        )
    elif isinstance(exc, OverflowError | DataError):
        # A number or value the database cannot hold (a 30-digit id in a filter, say).
        exc = exceptions.ValidationError(
            {"non_field_errors": ["A value in the request is out of range for the database."]}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    extra = dict(getattr(exc, "extra", {}) or {})
    if isinstance(exc, RequestError):
        errors = exc.errors
        message = str(exc.detail)
        code = exc.detail.code if hasattr(exc.detail, "code") else "invalid"
    elif isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        message = _summary(errors)
        code = "invalid"
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        errors = []
        message = str(detail)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.ParseError):
            code = "malformed_request"
    response.data = error_body(response.status_code, str(code), message, errors, **extra)
    return response


def error_response(status_code: int, code: str, message: str, errors=None, **extra) -> Response:
    return Response(error_body(status_code, code, message, errors, **extra), status=status_code)


def not_found_view(request, exception=None):
    """handler404: API paths answer in the API's error shape; other paths get Django's page."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body(404, "not_found", f"No API endpoint at {request.path}."), status=404
        )
    return page_not_found(request, exception)
