"""The API fuzzed against its own committed OpenAPI schema (Schemathesis, in process, no server).

Every operation of `docs/openapi.yaml` is called through the WSGI app with generated valid and
invalid data (the examples, coverage and fuzzing phases; positive and negative modes), as an
administrator, who may reach every operation, over the retail demo. Every response goes
through Schemathesis's default checks: not a server error, a documented status code, the
documented content type and headers, a body that matches the documented schema, invalid data
refused (negative_data_rejection), a missing or wrong token refused (ignored_auth), and the
others that apply. Path parameters are drawn half the time from objects that exist, so detail,
update and workflow operations are exercised beyond their 404s. Each operation runs in its own
transaction, rolled back after it.

Left out, and why: `positive_data_acceptance`, which expects every schema-valid body to be
accepted; here a valid shape naming an object that does not exist or a step the workflow
forbids is the documented 400, and a duplicate key the documented 409. The stateful phase needs
links between operations, which the schema does not declare.

A failure prints the request as curl; `-k "POST and /lineage/check/"` reruns one operation.
"""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.urls import resolve
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import positive_data_acceptance

from catalog.models import Field
from config.wsgi import application
from consult import snapshot
from core.audit import Actor
from core.services import issue_token
from governance.models import FieldDefinition

ROOT = Path(__file__).resolve().parent.parent
schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")


def one_savepoint_per_request(environ, start_response):
    """The WSGI app, each request in a savepoint rolled back when the answer is an error. On its
    own connection a refused request (a value out of the database's range answered 400, say)
    leaves nothing behind; inside this module's transaction PostgreSQL would refuse every later
    statement."""
    statuses = []

    def recording_start_response(status, headers, exc_info=None):
        statuses.append(int(status.split()[0]))
        return start_response(status, headers, exc_info)

    with transaction.atomic():
        body = b"".join(application(environ, recording_start_response))
        if statuses and statuses[0] >= 400:
            transaction.set_rollback(True)
    return [body]


schema.app = one_savepoint_per_request
schema.config.update(base_url="http://localhost")
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=8, deterministic=True
)

# A revoked token fails the very next request: these run with a token of their own.
REVOKES_TOKEN = {("DELETE", "/api/v1/tokens/{id}/"), ("POST", "/api/v1/tokens/{id}/revoke/")}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The retail demo and an administrator's token, loaded once for the module and rolled back
    at its end so that the rest of the suite never sees them."""
    # Requests reach the WSGI app itself, whose request signals close a connection that is
    # inside a transaction (PostgreSQL's would be lost, and this module's data with it); Django's
    # test client unhooks them in the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            snapshot.clear()
            call_command("load_demo", "--no-tokens", stdout=StringIO())
            admin = get_user_model().objects.create_superuser("fuzz-admin", "fa@example.com", "pw")
            _, raw = issue_token(Actor.system("tests"), admin, name="schemathesis")
            yield {"admin": admin, "token": raw}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            snapshot.clear()
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def existing_path_parameters(path: str) -> list[dict]:
    """Path parameters naming objects of the demo for the operation at `path` (template)."""
    names = re.findall(r"\{([^}]+)\}", path)
    if not names:
        return []
    view = resolve(re.sub(r"\{[^}]+\}", "1", path)).func
    if path == "/api/v1/vendors/lineage/{ref}/":
        return [{"ref": f.ref} for f in Field.objects.select_related("dataset__system")[:10]]
    if path == "/api/v1/consult/definitions/{key}/sources":
        keys = FieldDefinition.objects.values_list("key", flat=True)[:10]
        return [{"key": key} for key in keys]
    cls = view.cls
    lookup = cls.lookup_field if cls.lookup_field != "pk" else "pk"
    found = cls.queryset.model._default_manager.order_by("pk").values_list(lookup, flat=True)[:10]
    return [{names[0]: value, **{name: 1 for name in names[1:]}} for value in found]


def typed(path: str, params: dict) -> dict:
    """`params` as the schema types them (an integer id, a string key)."""
    declared = {
        p["name"]: p.get("schema", {}).get("type")
        for op in schema.raw_schema["paths"][path].values()
        if isinstance(op, dict)
        for p in op.get("parameters", [])
        if p.get("in") == "path"
    }
    return {k: int(v) if declared.get(k) == "integer" else str(v) for k, v in params.items()}


@schema.hook
def flatmap_case(context, case):
    """Half the valid cases of an operation on one object name an object that exists."""
    meta = case.meta
    if not case.path_parameters or meta is None or meta.phase.name != TestPhase.FUZZING:
        return st.just(case)
    if meta.generation.mode.is_negative:
        return st.just(case)  # its invalid part may be the path: leave it to be refused
    choices = [typed(case.operation.path, p) for p in existing_path_parameters(case.operation.path)]
    if not choices:
        return st.just(case)

    def named(params):
        case.path_parameters = {**case.path_parameters, **params}
        return case

    return st.one_of(st.just(case), st.sampled_from(choices).map(named))


@schema.parametrize()
@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
def test_every_operation_answers_as_its_schema_says(case, world, db):
    token = world["token"]
    if (case.method, case.path) in REVOKES_TOKEN:
        _, token = issue_token(Actor.system("tests"), world["admin"], name="revoked by the case")
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"}, excluded_checks=[positive_data_acceptance]
    )
