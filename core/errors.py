"""The one domain error. Services, workflows and commands raise a `DomainError` (or a subclass)
that carries its HTTP status, a stable machine code, a sentence for people and, where the
problem has several parts, one `{"path", "message"}` item per part. The API renders it once, in
the one error shape (core.api.errors); the web pages show its message next to the field it
names; management commands print it. Pure: no Django here.

A failure has the same code wherever it happens:

| status | code | meaning |
| --- | --- | --- |
| 400 | `invalid` | the request or payload breaks a rule; `errors` lists every problem |
| 400 | `illegal_transition` | a workflow step not allowed from the current status (`allowed`) |
| 403 | `permission_denied` | the caller may see the object but not do this to it |
| 404 | `not_found` | nothing the caller may see has that name |
| 409 | `conflict` | the request clashes with the current state (a duplicate key, say) |
| 409 | `frozen` | the object can no longer be edited in its state |
| 409 | `review_closed`, `already_voted` | a vote that cannot be counted |
| 409 | `protected` | other objects depend on the one to delete (`dependants`) |
| 412 | `precondition_failed` | `If-Match` names an older version of the object |
| 413 | `too_large` | the request is larger than a limit (the limit is named) |
| 422 | `parse_timeout` | parsing the request's SQL ran past its time limit (named); stopped |
"""

from __future__ import annotations

from typing import Any, Self


class DomainError(Exception):
    """A refusal with a status, a code, a message and, optionally, itemised errors and extra
    keys that the error body carries (e.g. `allowed` for an illegal transition)."""

    status: int = 400
    code: str = "invalid"
    default_message: str = "Invalid request."

    def __init__(
        self,
        message: str = "",
        errors: list[dict[str, Any]] | None = None,
        *,
        code: str | None = None,
        **extra: Any,
    ) -> None:
        self.message = message or self.default_message
        self.errors = [dict(e) for e in (errors or [])]
        if code is not None:
            self.code = code
        self.extra = extra
        super().__init__(self.message)

    @classmethod
    def at(cls, path: str, message: str, **extra: Any) -> Self:
        """One problem at one path, with the path in the summary message."""
        where = f"{path}: " if path else ""
        return cls(f"{where}{message}", [{"path": path, "message": message}], **extra)

    def as_dict(self) -> dict[str, Any]:
        """The error body: {"status", "code", "message", "errors", **extra}."""
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "errors": self.errors,
            **self.extra,
        }


class Invalid(DomainError):
    """The request breaks a rule (400). Give one error item per problem."""

    status, code = 400, "invalid"


class PermissionDenied(DomainError):
    status, code = 403, "permission_denied"
    default_message = "You do not have permission to perform this action."


class NotFound(DomainError):
    status, code = 404, "not_found"
    default_message = "Not found."


class Conflict(DomainError):
    status, code = 409, "conflict"
    default_message = "The request conflicts with the current state."


class PreconditionFailed(DomainError):
    status, code = 412, "precondition_failed"
    default_message = "The object changed since you read it; fetch it again and retry."


class TooLarge(DomainError):
    status, code = 413, "too_large"
    default_message = "The request is too large."


def summary(errors: list[dict[str, Any]]) -> str:
    """One sentence for a list of problems: the first, and how many more."""
    if not errors:
        return "Invalid request."
    first = errors[0]
    where = f"{first['path']}: " if first.get("path") else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}{first['message']}{more}"


class BulkRejected(Invalid):
    """A request of many rows with bad ones: every problem is listed, nothing was written."""

    def __init__(self, errors: list[dict[str, Any]], message: str = "", **extra: Any) -> None:
        message = message or f"{len(errors)} problem(s) in the request; nothing was written."
        super().__init__(message, errors, **extra)
