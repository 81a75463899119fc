"""The people and services every test talks about, created once per test class, and the kits
every endpoint is checked with.

committee member, steward, engineer (and a second engineer), vendor, consumer service, outsider,
administrator. `EndpointPermissionKit` checks each API operation against every persona;
`EndpointRulesMixin` checks what a governed CRUD endpoint does beyond who may call it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.test import APIClient, APITestCase

from consult import snapshot
from core.audit import Actor
from core.services import issue_token

PERSONAS = {
    "committee": "committee",
    "steward": "steward",
    "engineer": "engineer",
    "other_engineer": "engineer",
    "vendor": "vendor",
    "consumer": "consumer",
    "outsider": None,
}


def make_user(username: str, role: str | None = None, **extra):
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


class PersonaTestCase(APITestCase):
    """APITestCase with the shared personas as attributes (self.steward, self.engineer, ...)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for attr, role in PERSONAS.items():
            setattr(cls, attr, make_user(attr, role))
        cls.admin = get_user_model().objects.create_superuser(
            "admin", "admin@example.com", "pw-admin"
        )

    def client_for(self, user) -> APIClient:
        """A client that authenticates with a real API token of `user`."""
        _, raw = issue_token(Actor.system("tests"), user, name="test")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    def as_(self, user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    def assert_error(self, response, status_code: int, *, code=None, path=None) -> dict:
        """The one error shape: status, code, message and a list of {path, message}."""
        self.assertEqual(response.status_code, status_code, response.content[:2000])
        body = response.json()
        self.assertEqual(body["status"], status_code)
        self.assertIsInstance(body["code"], str)
        self.assertTrue(body["message"])
        self.assertIsInstance(body["errors"], list)
        for item in body["errors"]:
            self.assertLessEqual({"path", "message"}, set(item))
            self.assertTrue(item["message"])
        if code is not None:
            self.assertEqual(body["code"], code)
        if path is not None:
            self.assertIn(path, [item["path"] for item in body["errors"]], body)
        return body


# The permission kit --------------------------------------------------------------------------
#
# Every API operation is listed once, in the permission table of its app's tests
# (tests/<app>/test_permissions.py), with the personas for whom it succeeds and those who may
# read its target. The rule (README, STYLE.md) then gives every other persona's answer:
# anonymous 401; a persona that may not read the target 404 on a detail URL, and does not find
# it on a list; one that may read it but not do this, 403. tests/test_project.py fails when an
# operation of the committed schema is in no table.

ANONYMOUS = "anonymous"
PERSONA_NAMES = (ANONYMOUS, "outsider", *[p for p in PERSONAS if p != "outsider"], "admin")
EVERYONE = frozenset(PERSONA_NAMES) - {ANONYMOUS}
ROLES = frozenset(name for name, role in PERSONAS.items() if role)
NOBODY = frozenset()
# Every role but vendors reads the whole catalog and its lineage (vendors: what contracts carry).
READS_CATALOG = (ROLES - {"vendor"}) | {"admin"}


def personas(*names: str) -> frozenset[str]:
    unknown = set(names) - set(PERSONA_NAMES)
    assert not unknown, f"unknown personas {unknown}"
    return frozenset(names)


@dataclass(frozen=True)
class Op:
    """One API operation and who may do it.

    `url` is the concrete URL (or a function of the test case giving it); `may` the personas
    for whom it succeeds with `success`; `reads` those who may read its target (default: `may`
    for reads; for writes, `may` plus whoever the role grants reading, given explicitly).
    For a list, `shows(test)` gives (key, value) of the row the target makes (or a predicate
    over the whole body): readers find it, others do not. `body` is the JSON sent (or a
    function of the test case)."""

    method: str
    path: str
    url: str | Callable
    may: frozenset[str]
    reads: frozenset[str] | None = None
    success: int = 200
    body: dict | list | Callable | None = None
    shows: Callable | None = None
    collection: bool = False  # a create or a list: no target to hide (403, not 404)
    # A create that names its parent in the body: a caller who may not read the parent is told
    # it does not exist, as for a parent that does not (400 at that key).
    parent_readers: frozenset[str] | None = None
    # Answers the rule alone does not give, each with its reason where the table is written.
    answers: tuple[tuple[str, int], ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return self.method.upper(), self.path

    def readers(self) -> frozenset[str]:
        return (self.reads if self.reads is not None else frozenset()) | self.may

    def expected(self, persona: str) -> int:
        """The status the rule gives `persona`."""
        if persona in dict(self.answers):
            return dict(self.answers)[persona]
        if persona in self.may:
            return self.success
        if persona == ANONYMOUS:
            return 401
        if self.method.upper() == "GET" and self.shows is not None:
            return 200  # a list: the target is filtered out
        if self.parent_readers is not None and persona not in self.parent_readers:
            return 400
        if persona not in self.readers() and not self.collection:
            return 404
        return 403


def read(path: str, url, who: frozenset[str], **extra) -> Op:
    """A GET that `who` may do (everyone else: 404, or filtered out of a list)."""
    return Op("get", path, url, may=who, **extra)


class EndpointPermissionKit:
    """Mix into a PersonaTestCase with a world and `OPS`, a list of `Op`: one test per
    operation checks every persona's status (and, for lists, what it finds). Each persona's
    request runs in its own rolled-back savepoint, so one persona's success does not change
    what the next one finds."""

    OPS: list[Op] = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for op in cls.OPS:
            slug = re.sub(r"[^a-z0-9]+", "_", op.path.removeprefix("/api/v1/").lower()).strip("_")
            name = f"test_{op.method.lower()}_{slug}_answers_every_persona_as_the_rule_says"
            assert not hasattr(cls, name) or name in cls.__dict__, name
            setattr(cls, name, _persona_test(op))

    def persona(self, name: str):
        return None if name == ANONYMOUS else getattr(self, name)

    def answer(self, op: Op, persona: str):
        client = self.as_(self.persona(persona))
        url = op.url(self) if callable(op.url) else op.url
        body = op.body(self) if callable(op.body) else op.body
        if op.method.lower() == "get":
            return client.get(url, body or {})
        return getattr(client, op.method.lower())(url, body or {}, format="json")

    def check_persona(self, op: Op, persona: str) -> None:
        with transaction.atomic():
            response = self.answer(op, persona)
            transaction.set_rollback(True)
        forget_caches()
        expected = op.expected(persona)
        self.assertEqual(response.status_code, expected, response.content[:600])
        if op.shows is not None and expected == 200:
            shown = op.shows(self)
            body = response.json()
            if callable(shown):
                found = shown(body)
            else:
                key, value = shown
                rows = body["results"] if isinstance(body, dict) and "results" in body else body
                found = any(_row_value(row, key) == value for row in rows)
            self.assertEqual(found, persona in op.readers(), f"{shown!r} in {body!r:.600}")
        if expected >= 400:
            self.assertEqual(response.json()["status"], expected)


def _row_value(row, key: str):
    for part in key.split("."):
        row = row.get(part) if isinstance(row, dict) else None
    return row


def _persona_test(op: Op):
    def test(self):
        for persona in PERSONA_NAMES:
            with self.subTest(persona=persona):
                self.check_persona(op, persona)

    test.__doc__ = f"{op.method.upper()} {op.path}: {', '.join(sorted(op.may)) or 'nobody'}"
    return test


def forget_caches() -> None:
    """Per-process caches keyed by a version a rolled-back savepoint can hand out again."""
    snapshot.clear()


class EndpointRulesMixin:
    """What every governed CRUD endpoint must do beyond who may call it (that is the table of
    `EndpointPermissionKit`): bad input, success, ETag/If-Match, 404 on a missing object.

    A subclass (also a PersonaTestCase) names the engineer's object, a valid creation payload
    and an update."""

    list_url: str
    model: type

    def owned(self):
        """The engineer's object (under system pos)."""
        raise NotImplementedError

    def url_of(self, obj) -> str:
        raise NotImplementedError

    def create_payload(self) -> dict:
        raise NotImplementedError

    def deletable(self):
        """A fresh object of the engineer's with nothing depending on it."""
        raise NotImplementedError

    patch_payload: dict
    bad_patch: tuple[dict, str]  # payload, path of the error it must report

    # A nested parent is read as a brief object and written as its natural key.
    parent_key: tuple[str, str] | None = None

    def put_payload(self, obj) -> dict:
        body = self.as_(self.engineer).get(self.url_of(obj)).json()
        writable = {k: v for k, v in body.items() if k not in ("id", "url", "ref")}
        if self.parent_key:
            name, key = self.parent_key
            writable[name] = writable[name][key]
        return {**writable, **self.patch_payload}

    # Success ----------------------------------------------------------------------------------
    def test_engineer_creates_one(self):
        response = self.as_(self.engineer).post(self.list_url, self.create_payload())
        self.assertEqual(response.status_code, 201, response.content)
        self.assertTrue(self.model.objects.filter(pk=response.json()["id"]).exists())
        detail = self.as_(self.engineer).get(response.json()["url"])
        self.assertEqual(detail.status_code, 200)

    def test_engineer_patches_its_own_object(self):
        response = self.as_(self.engineer).patch(self.url_of(self.owned()), self.patch_payload)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertIn("ETag", response.headers)
        obj = self.model.objects.get(pk=self.owned().pk)
        for key, value in self.patch_payload.items():
            self.assertEqual(getattr(obj, key), value)
            self.assertEqual(response.json()[key], value)

    def test_engineer_puts_its_own_object(self):
        obj = self.owned()
        response = self.as_(self.engineer).put(self.url_of(obj), self.put_payload(obj))
        self.assertEqual(response.status_code, 200, response.content)
        obj.refresh_from_db()
        for key, value in self.patch_payload.items():
            self.assertEqual(getattr(obj, key), value)

    def test_engineer_deletes_its_own_object(self):
        obj = self.deletable()
        response = self.as_(self.engineer).delete(self.url_of(obj))
        self.assertEqual(response.status_code, 204, response.content)
        self.assertFalse(self.model.objects.filter(pk=obj.pk).exists())

    def test_deleting_a_missing_object_is_404(self):
        obj = self.deletable()
        url = self.url_of(obj)
        self.assertEqual(self.as_(self.engineer).delete(url).status_code, 204)
        self.assert_error(self.as_(self.engineer).delete(url), 404)

    # Bad input --------------------------------------------------------------------------------
    def test_bad_update_is_400_naming_the_field(self):
        payload, path = self.bad_patch
        response = self.as_(self.engineer).patch(self.url_of(self.owned()), payload)
        body = self.assert_error(response, 400, code="invalid", path=path)
        self.assertIn(path, body["message"])

    def test_bad_create_is_400_and_creates_nothing(self):
        count = self.model.objects.count()
        response = self.as_(self.engineer).post(self.list_url, {})
        body = self.assert_error(response, 400, code="invalid", path="name")
        self.assertTrue(body["errors"])
        self.assertEqual(self.model.objects.count(), count)

    def test_malformed_json_is_400(self):
        response = self.as_(self.engineer).post(
            self.list_url, data="{not json", content_type="application/json"
        )
        self.assert_error(response, 400, code="malformed_request")

    # ETag / If-Match ---------------------------------------------------------------------------
    def test_retrieve_sends_an_etag_that_changes_with_the_object(self):
        client = self.as_(self.engineer)
        url = self.url_of(self.owned())
        first = client.get(url)
        self.assertRegex(first.headers["ETag"], r'^"[0-9a-f]{32}"$')
        self.assertEqual(client.get(url).headers["ETag"], first.headers["ETag"])
        updated = client.patch(url, self.patch_payload)
        self.assertNotEqual(updated.headers["ETag"], first.headers["ETag"])
        self.assertEqual(client.get(url).headers["ETag"], updated.headers["ETag"])

    def test_write_with_the_current_etag_succeeds(self):
        client = self.as_(self.engineer)
        url = self.url_of(self.owned())
        etag = client.get(url).headers["ETag"]
        response = client.patch(url, self.patch_payload, HTTP_IF_MATCH=etag)
        self.assertEqual(response.status_code, 200, response.content)
        obj = self.deletable()
        etag = client.get(self.url_of(obj)).headers["ETag"]
        self.assertEqual(client.delete(self.url_of(obj), HTTP_IF_MATCH=etag).status_code, 204)

    def test_stale_if_match_is_412_for_patch_put_and_delete(self):
        client = self.as_(self.engineer)
        obj = self.deletable()
        url = self.url_of(obj)
        stale = client.get(url).headers["ETag"]
        put = self.put_payload(obj)
        # Someone else changes it in between.
        self.assertEqual(client.patch(url, self.patch_payload).status_code, 200)
        current = client.get(url).json()
        for method, payload in [
            ("patch", {"description": "lost update"}),
            ("put", {**put, "description": "lost update"}),
            ("delete", None),
        ]:
            with self.subTest(method=method):
                response = getattr(client, method)(url, payload, HTTP_IF_MATCH=stale)
                self.assert_error(response, 412, code="precondition_failed")
        self.assertEqual(client.get(url).json(), current)
