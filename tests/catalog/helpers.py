"""A small catalog shared by the catalog and audit tests, and the checks every endpoint repeats.

System `pos` is registered (and so maintained) by the engineer, `crm` by the other engineer.
"""

from __future__ import annotations

from urllib.parse import quote

from catalog.models import Dataset, Field, SourceSystem
from catalog.services import create_dataset, create_field, create_system
from core.audit import Actor
from tests.personas import PersonaTestCase

API = "/api/v1/catalog/"
SYSTEMS_URL = API + "systems/"
DATASETS_URL = API + "datasets/"
FIELDS_URL = API + "fields/"


def system_url(key: str, suffix: str = "") -> str:
    return f"{SYSTEMS_URL}{quote(key, safe='')}/{suffix}"


def dataset_url(ref) -> str:
    return f"{DATASETS_URL}{quote(str(ref), safe=':.')}/"


def field_url(ref) -> str:
    return f"{FIELDS_URL}{quote(str(ref), safe=':.')}/"


def add_system(user, key: str, **extra) -> SourceSystem:
    return create_system(Actor(user), {"key": key, "name": extra.pop("name", key.upper()), **extra})


def add_dataset(user, system: SourceSystem, name: str, **extra) -> Dataset:
    return create_dataset(Actor(user), {"system": system, "name": name, **extra})


def add_field(user, dataset: Dataset, name: str, ordinal: int = 1, **extra) -> Field:
    return create_field(
        Actor(user), {"dataset": dataset, "name": name, "ordinal": ordinal, **extra}
    )


class CatalogTestCase(PersonaTestCase):
    """The personas plus two systems owned by different engineers, each with a dataset and
    fields."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.pos = add_system(
            cls.engineer,
            "pos",
            name="Point of sale",
            kind="pos",
            owning_team="Store systems",
            technical_contact="ops@pos.example",
        )
        cls.transactions = add_dataset(
            cls.engineer, cls.pos, "sales.transactions", description="Till receipts"
        )
        cls.amount = add_field(
            cls.engineer,
            cls.transactions,
            "amount",
            ordinal=2,
            data_type="numeric(12,2)",
            description="Gross amount, tax included",
        )
        cls.crm = add_system(
            cls.other_engineer,
            "crm",
            name="Customer relations",
            kind="crm",
            environment="staging",
            owning_team="Customer team",
        )
        cls.contacts = add_dataset(cls.other_engineer, cls.crm, "public.contacts", kind="view")
        cls.email = add_field(
            cls.other_engineer, cls.contacts, "email", data_type="varchar(200)", nullable=False
        )

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

    def assert_listed(self, response, expected) -> None:
        """The page holds exactly the objects named in `expected` (by their `ref` or `key`)."""
        self.assertEqual(response.status_code, 200, response.content[:2000])
        names = [row.get("ref", row.get("key")) for row in response.json()["results"]]
        self.assertEqual(sorted(names), sorted(expected))


class EndpointRulesMixin:
    """The checks every catalog endpoint must pass: anonymous, no permission,
    permission on one object but not another, bad input, success, ETag/If-Match.

    A subclass (also a CatalogTestCase) names the engineer's object, the other engineer's object,
    a valid creation payload and an update."""

    list_url: str
    model: type

    def owned(self):
        """The engineer's object (under system pos)."""
        raise NotImplementedError

    def others(self):
        """The other engineer's object (under system crm)."""
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

    # Anonymous ------------------------------------------------------------------------------
    def test_anonymous_caller_is_refused_on_every_method(self):
        client = self.as_(None)
        url = self.url_of(self.owned())
        for method, target in [
            ("get", self.list_url),
            ("post", self.list_url),
            ("get", url),
            ("put", url),
            ("patch", url),
            ("delete", url),
        ]:
            with self.subTest(method=method, url=target):
                response = getattr(client, method)(target, {})
                self.assert_error(response, 401, code="not_authenticated")
        self.assertTrue(self.model.objects.filter(pk=self.owned().pk).exists())

    # No permission at all -------------------------------------------------------------------
    def test_outsider_sees_an_empty_list(self):
        response = self.as_(self.outsider).get(self.list_url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["count"], 0)
        self.assertEqual(response.json()["results"], [])

    def test_outsider_gets_404_for_every_detail_method(self):
        client = self.as_(self.outsider)
        url = self.url_of(self.owned())
        for method in ("get", "put", "patch", "delete"):
            with self.subTest(method=method):
                self.assert_error(getattr(client, method)(url, {}), 404, code="not_found")
        self.assertTrue(self.model.objects.filter(pk=self.owned().pk).exists())

    def test_vendor_without_catalog_grants_cannot_see_it_either(self):
        self.assertEqual(self.as_(self.vendor).get(self.list_url).json()["count"], 0)
        self.assert_error(self.as_(self.vendor).get(self.url_of(self.owned())), 404)

    # Permission on one object but not another -----------------------------------------------
    def test_other_engineer_can_read_but_not_change_the_engineers_object(self):
        client = self.as_(self.other_engineer)
        obj = self.owned()
        url = self.url_of(obj)
        self.assertEqual(client.get(url).status_code, 200)
        put = self.put_payload(obj)
        for method, payload in [("patch", self.patch_payload), ("put", put), ("delete", None)]:
            with self.subTest(method=method):
                self.assert_error(getattr(client, method)(url, payload), 403)
        obj.refresh_from_db()
        for key in self.patch_payload:
            self.assertNotEqual(getattr(obj, key), self.patch_payload[key])

    def test_engineer_may_change_its_own_object_but_not_the_other_engineers(self):
        client = self.as_(self.engineer)
        self.assertEqual(
            client.patch(self.url_of(self.owned()), self.patch_payload).status_code, 200
        )
        self.assert_error(client.patch(self.url_of(self.others()), self.patch_payload), 403)

    def test_committee_member_can_read_but_not_change(self):
        client = self.as_(self.committee)
        self.assertEqual(client.get(self.url_of(self.owned())).status_code, 200)
        self.assert_error(client.patch(self.url_of(self.owned()), self.patch_payload), 403)

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
