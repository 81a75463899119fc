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

The stateful phase (`test_linked_operations_answer_as_their_schema_says`) follows the links the
schema declares (core/api/schema.py `link_created_objects`: each create answering 201 links to
the detail, update, delete and workflow operations of what it created, by its `id` or `key`;
each delete to the detail of what it deleted):
Hypothesis's state machine runs 100 scenarios of up to 10 calls, as the same administrator
through the same WSGI wrapper, each scenario in a savepoint rolled back after it, with the same
checks plus the stateful ones (a created object is found, a deleted one is gone; in a trial
that made a system's delete a no-op, 100 scenarios did not happen to read one back). It found
that a number written for a definition's text field was stored as text, and that an empty
`?as=` on a committee's agenda answered JSON instead of a 400. In it, half
the valid bodies of a create or an update name objects of the demo where they name one (a
dataset's system, a mapping's field), so chains go on past the create. Schemathesis would also
add links of its own (dependency analysis of the schema, Location headers seen at run time);
the test turns that off and follows only the declared ones, which the run time can cover.

Left out, and why: `positive_data_acceptance`, which expects every schema-valid body to be
accepted; here a valid shape naming an object that does not exist or a step the workflow
forbids is the documented 400, and a duplicate key the documented 409. The operations that
revoke a token, in the stateful phase (in the others they run with a token of their own).

A failure prints the request as curl; `-k "POST and /lineage/check/"` reruns one operation,
`-k linked` the stateful phase.
"""

from __future__ import annotations

import functools
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

from catalog.models import Dataset, Field, SourceSystem
from config.wsgi import application
from consult import snapshot
from consult.models import Classification
from core.audit import Actor
from core.services import issue_token
from governance.models import FieldDefinition
from vendors.models import IntegrationContract, Vendor

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
    if path == "/api/v1/consult/definitions/{key}/sources/":
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


@functools.cache
def existing_references() -> dict[str, list]:
    """Values naming objects of the demo for the references a request body may carry, by the
    body property's name: keys where the schema says a string, ids where it allows an integer."""

    def first(queryset, attr="key"):
        return list(queryset.order_by("pk").values_list(attr, flat=True)[:10])

    systems = first(SourceSystem.objects)
    definitions = first(FieldDefinition.objects)
    return {
        "system": systems,
        "source_system": systems,
        "target_system": systems,
        "dataset": first(Dataset.objects, "pk"),
        "field": first(Field.objects, "pk"),
        "definition": definitions,
        "definition_key": definitions,
        "classification": first(Classification.objects),
        "vendor": first(Vendor.objects),
        "contract": first(IntegrationContract.objects),
        "user": first(get_user_model().objects, "username"),
    }


def with_existing_references(case):
    """In the stateful phase, half the valid bodies of a create or an update name objects of the
    demo where they name one (a dataset's system, a mapping's field and definition, ...): the
    chains that start from a create then go on beyond its 400."""
    operation = schema.raw_schema["paths"][case.operation.path][case.method.lower()]
    content = operation.get("requestBody", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    components = schema.raw_schema["components"]["schemas"]
    properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
    references = existing_references()
    names = [n for n in references if n in properties and references[n]]
    if not names or not isinstance(case.body, dict):
        return st.just(case)

    def typed_reference(name, value):
        declared = properties[name]
        if "oneOf" in declared or declared.get("type") == "integer":
            return value
        return str(value)

    def named(values):
        case.body = {**case.body, **values}
        return case

    chosen = st.fixed_dictionaries(
        {n: st.sampled_from(references[n]).map(lambda v, n=n: typed_reference(n, v)) for n in names}
    )
    return st.one_of(st.just(case), chosen.map(named))


@schema.hook
def flatmap_case(context, case):
    """Half the valid cases of an operation on one object name an object that exists (and, in
    the stateful phase, half the valid bodies name the objects they refer to)."""
    meta = case.meta
    if (
        meta is not None
        and meta.phase.name == TestPhase.STATEFUL
        and meta.generation.mode.is_positive
        and case.method in ("POST", "PUT", "PATCH")
    ):
        return with_existing_references(case)
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


# The stateful phase: chains of calls along the schema's links (a create, then the detail,
# update, delete and workflow operations of what it created), the token-revoking operations left
# out (they would revoke the token every later step uses).
stateful_schema = schema.exclude(
    func=lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in REVOKES_TOKEN
)
# Only the links the schema declares: Schemathesis would otherwise add its own guesses
# (dependency analysis, Location headers), hundreds of them, which dilute the budget below.
stateful_schema.config.phases.stateful.inference.algorithms = []
STATEFUL_SETTINGS = settings(
    max_examples=100,
    stateful_step_count=10,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def test_linked_operations_answer_as_their_schema_says(world, db):
    token = world["token"]

    class Workflow(stateful_schema.as_state_machine()):
        def setup(self):
            # Each scenario in a savepoint rolled back after it: what one scenario created is
            # gone for the next, as the demo was before the first.
            self._scenario = transaction.atomic()
            self._scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self._scenario.__exit__(None, None, None)
            super().teardown()

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                headers=kwargs["headers"],  # the token is ours, not generated: probe without it
                excluded_checks=[positive_data_acceptance],
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    Workflow.run(settings=STATEFUL_SETTINGS)
