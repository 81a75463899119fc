"""One error shape for the whole API:

    {"status": 400, "code": "invalid", "message": "a sentence for people",
     "errors": [{"path": "datasets[2].fields[0].name", "message": "..."}], ...extra}

Every error goes through `exception_handler`: the domain's own `DomainError` (core.errors),
REST framework's exceptions, Django's validation and permission errors, and the database's
refusals, so clients parse one format and the same failure has the same code everywhere."""

from __future__ import annotations

import functools
import re

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views.defaults import bad_request, page_not_found, permission_denied, server_error
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.api.parsers import max_body_bytes, too_large
from core.errors import Conflict, DomainError, Invalid, NotFound, summary

# REST framework's own codes, renamed where ours are clearer.
_DRF_CODES = {"parse_error": "malformed_request"}


def flatten(detail, path: str = "") -> list[dict]:
    """Turn DRF's or Django's nested error detail into a flat list of {path, message}."""
    out: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                key_path = path
            elif isinstance(key, int):  # a ListField's errors are keyed by index
                key_path = f"{path}[{key}]"
            else:
                key_path = f"{path}.{key}" if path else str(key)
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


def validation_error(exc: DjangoValidationError) -> Invalid:
    """A model's `full_clean()` refusal as the domain's 400."""
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    errors = flatten(detail)
    return Invalid(summary(errors), errors)


# The codes of a uniqueness refusal: Django's `unique` fields and `unique_together`, REST
# framework's UniqueValidator and UniqueTogetherValidator, and every UniqueConstraint of the
# project (each declares `violation_error_code="unique"`; tests/core/test_conflicts.py checks).
UNIQUE_CODES = frozenset({"unique", "unique_together"})


def _codes(detail) -> list:
    """The code of every error in REST framework's nested detail or a Django ValidationError."""
    if isinstance(detail, DjangoValidationError):
        if hasattr(detail, "error_dict"):
            return [e.code for errors in detail.error_dict.values() for e in errors]
        return [e.code for e in detail.error_list]
    if isinstance(detail, dict):
        return [code for value in detail.values() for code in _codes(value)]
    if isinstance(detail, list):
        return [code for item in detail for code in _codes(item)]
    return [getattr(detail, "code", None)]


def already_exists(error: DomainError) -> Conflict:
    """A refusal whose every problem is a clash with a row that exists (a duplicate key, a
    second active version) as the 409 it is, with the same message and items. The request is
    well formed; the state of the server refuses it, as it refuses the loser of two
    simultaneous creates (IntegrityError below), so both answer alike."""
    return Conflict(error.message, error.errors)


def _or_conflict(error: DomainError, codes: list) -> DomainError:
    if codes and all(code in UNIQUE_CODES for code in codes):
        return already_exists(error)
    return error  # a duplicate among other problems is listed with them, in the 400


def _unique_violation(exc: IntegrityError) -> Conflict:
    """The loser of a race on a unique key, told what a request made a moment later is told: the
    constraint's own message and path when the database names a constraint of ours (PostgreSQL
    does), else a general sentence at the column the database names."""
    diag = getattr(exc.__cause__, "diag", None)
    constraint = unique_constraints().get(getattr(diag, "constraint_name", None))
    message = constraint is not None and constraint.get_violation_error_message()
    if message and constraint.violation_error_message != constraint.default_violation_error_message:
        # Django files a single-field uniqueness under that field, the others under none.
        path = constraint.fields[0] if len(constraint.fields) == 1 else ""
        return Conflict.at(path, str(message))
    # PostgreSQL's detail reads "Key (key)=(orders) already exists."
    columns = re.match(r"Key \(([^)]*)\)=", getattr(diag, "message_detail", None) or "")
    path = columns.group(1) if columns and "," not in columns.group(1) else ""
    return Conflict.at(
        path,
        "Already exists: a row with the same key was created at the same moment; read it, and "
        "retry only if you meant another one.",
    )


@functools.cache
def unique_constraints() -> dict:
    """Every UniqueConstraint of the installed models by its name."""
    from django.apps import apps
    from django.db.models import UniqueConstraint

    return {
        c.name: c
        for model in apps.get_models()
        for c in model._meta.constraints
        if isinstance(c, UniqueConstraint)
    }


def as_domain_error(exc: Exception) -> DomainError | None:
    """Any exception the API answers with a 4xx, as a DomainError; None for the others."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, DjangoValidationError):
        return _or_conflict(validation_error(exc), _codes(exc))
    if isinstance(exc, ProtectedError | RestrictedError):
        objs = list(
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        )
        return Conflict(
            "Cannot delete: other objects depend on this one. Remove or move them first.",
            code="protected",
            dependants=[
                {"type": f"{o._meta.app_label}.{o._meta.model_name}", "id": o.pk, "name": str(o)}
                for o in objs[:100]
            ],
            dependants_count=len(objs),
        )
    if isinstance(exc, IntegrityError):
        # A uniqueness or reference rule the validation passed but a simultaneous write broke
        # (two creates of one key at the same moment): the loser is told, not a 500.
        if sqlstate(exc) == "23505" or "UNIQUE constraint failed" in str(exc):
            return _unique_violation(exc)
        return Conflict(
            "The request conflicts with a change made at the same moment (a duplicate key or "
            "a removed reference); read the current state and retry if still needed."
        )
    if isinstance(exc, ObjectDoesNotExist):
        # The object was there when the request began and gone when it was locked (a delete
        # won the race).
        return NotFound("Not found: it was deleted meanwhile.")
    if isinstance(exc, RequestDataTooBig):
        return too_large(max_body_bytes() or 0)
    if isinstance(exc, OverflowError | DataError):
        # A number or value the database cannot hold (a 30-digit id in a filter, say).
        return Invalid("A value in the request is out of range for the database.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, exceptions.APIException):
        return _from_drf(exc)
    return None


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a database error (psycopg's, under Django's wrapper), or ""."""
    return getattr(exc.__cause__, "sqlstate", None) or getattr(exc, "sqlstate", None) or ""


def is_contention(exc: BaseException) -> bool:
    """A deadlock, a serialization failure or SQLite's busy database: the same request run again
    may well succeed."""
    return sqlstate(exc) in ("40001", "40P01") or "database is locked" in str(exc)


def _from_drf(exc: exceptions.APIException) -> DomainError:
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        error = DomainError(summary(errors), errors, code="invalid")
        error.status = exc.status_code
        return _or_conflict(error, _codes(exc.detail))
    else:
        code = getattr(exc.detail, "code", None) or exc.default_code
        error = DomainError(str(exc.detail), code=_DRF_CODES.get(str(code), str(code)))
    error.status = exc.status_code
    return error


def exception_handler(exc, context):
    error = as_domain_error(exc)
    if error is None:
        return None
    headers = {}
    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    return Response(error.as_dict(), status=error.status, headers=headers)


def error_body(status_code: int, code: str, message: str, errors=None, **extra) -> dict:
    return {
        "status": status_code,
        "code": code,
        "message": message,
        "errors": errors or [],
        **extra,
    }


def not_found_view(request, exception=None):
    """handler404: API paths answer in the API's error shape; other paths get Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body(404, "not_found", f"No API endpoint at {request.path}."), status=404
        )
    return page_not_found(request, exception)


def _api_or(default_view, status_code: int, code: str, message: str):
    """An error view that answers in the error shape under /api/ and with `default_view`
    (Django's page) elsewhere."""

    def view(request, exception=None, **kwargs):
        if not request.path.startswith("/api/"):
            return (
                default_view(request, exception) if exception is not None else default_view(request)
            )
        status_, code_, message_ = status_code, code, message
        if isinstance(exception, RequestDataTooBig):
            error = too_large(max_body_bytes() or 0)
            status_, code_, message_ = error.status, error.code, error.message
        return JsonResponse(error_body(status_, code_, message_), status=status_)

    return view


bad_request_view = _api_or(bad_request, 400, "malformed_request", "Bad request.")
permission_denied_view = _api_or(
    permission_denied, 403, "permission_denied", "You do not have permission."
)
# handler500: the exception itself is logged by Django before this view answers.
server_error_view = _api_or(
    server_error,
    500,
    "server_error",
    "The server failed to answer this request; it was logged. Retry later.",
)
