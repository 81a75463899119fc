"""Importing an ODCS document as a new draft version: the document is checked against the
standard's JSON schema, read as the version API's payload and then validated exactly as a
POST to versions/ is (what the caller may name, the RACI, the vendor's contacts), every
problem reported at its place in the document. Shared by the API and `manage.py contract_odcs`."""

from __future__ import annotations

from types import SimpleNamespace

from django.core.exceptions import ValidationError

from core.api.errors import flatten, validation_error
from core.audit import Actor
from core.errors import BulkRejected, PermissionDenied
from core.permissions import user_can
from vendors import odcs, services
from vendors.api.serializers import ContractVersionSerializer, positions_as_lists
from vendors.models import ContractVersion, IntegrationContract


def _rejected(problems: list[dict]) -> BulkRejected:
    return BulkRejected(
        problems, f"{len(problems)} problem(s) in the ODCS document; nothing was written."
    )


def import_document(actor: Actor, contract: IntegrationContract, doc) -> ContractVersion:
    """A new draft version of `contract` from the ODCS document `doc` (a parsed mapping).
    Refused as a whole, with every problem and its path, when anything is wrong."""
    user = actor.user_or_none
    if user is None or not user_can(user, "change", contract):
        raise PermissionDenied(f"You may not write versions of {contract}.")
    problems = odcs.schema_problems(doc)
    if problems:
        raise _rejected(problems)
    reading = odcs.Reading(doc, contract.vendor.contacts.all())
    payload = {**reading.payload, "contract": contract.key}
    # The serializer asks the request only for its user (what it may name), and a command
    # has no request.
    context = {"request": SimpleNamespace(user=user)}
    serializer = ContractVersionSerializer(data=payload, context=context)
    problems = list(reading.problems)
    if not reading.broken and not serializer.is_valid():
        problems += flatten(positions_as_lists(serializer.errors))
    if problems or reading.broken:
        raise _refused(reading, problems)
    data = dict(serializer.validated_data)
    data.pop("contract")
    try:
        return services.create_version(
            actor.with_reason(actor.reason or "imported from an ODCS document"), contract, data
        )
    except ValidationError as exc:
        raise _refused(reading, validation_error(exc).errors) from None


def _refused(reading, problems: list[dict]):
    """The refusal naming each problem once, at its place in the document."""
    return _rejected(_unique([{**p, "path": reading.locate(p["path"])} for p in problems]))


def _unique(problems: list[dict]) -> list[dict]:
    seen, out = set(), []
    for p in problems:
        if (p["path"], p["message"]) not in seen:
            seen.add((p["path"], p["message"]))
            out.append(p)
    return out
