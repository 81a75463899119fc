"""Simultaneous requests on PostgreSQL: the loser of a race is told in the error shape (409 or
404; a taken key is always a 409 `conflict`) or, for an idempotent upsert, simply succeeds;
never a 500. SQLite serialises whole transactions, so these races cannot happen there and the
tests are skipped."""

from __future__ import annotations

import threading
import unittest

import pytest
from django.db import connection
from django.test import TransactionTestCase, override_settings
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from catalog.models import Dataset, Field, SourceSystem
from core.audit import Actor
from core.models import ChangeRecord
from governance.models import FieldDefinition
from lineage import services as lineage_services
from tests.governance.helpers import DEFINITIONS_URL, GROSS
from tests.personas import make_user

SYSTEMS_URL = "/api/v1/catalog/systems/"
JOBS_URL = "/api/v1/lineage/jobs/"
ROUNDS = 5


def at_once(requests) -> list:
    """Run each (user, method, url, body) in its own thread, released together; the responses
    in the order given."""
    barrier = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def run(index, user, method, url, body):
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait()
            responses[index] = getattr(client, method)(url, body, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def codes(responses) -> list[int]:
    return sorted(r.status_code for r in responses)


@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "row locks are tested on PostgreSQL")
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class RaceTests(TransactionTestCase):
    serialized_rollback = True  # the role groups and permissions come back after the flush

    def setUp(self):
        self.engineers = [make_user(f"e{i}", "engineer") for i in range(3)]
        self.steward = make_user("s1", "steward")
        self.other_steward = make_user("s2", "steward")

    def assert_error_shape(self, response, status: int) -> None:
        body = response.json()
        self.assertEqual(body["status"], status, body)
        self.assertIn("message", body)

    def assert_conflict(self, responses) -> None:
        for r in responses:
            if r.status_code != 201:
                body = r.json()
                self.assertEqual((body["status"], body["code"]), (409, "conflict"), body)
                self.assertTrue(body["message"])

    def test_four_simultaneous_creates_of_one_key_are_one_201_and_three_409s(self):
        """On every kind of create with a unique key, whichever way the losers find out."""
        users = [*self.engineers, self.steward]
        purposes = [make_user(f"c{i}", "committee") for i in range(4)]
        system = SourceSystem.objects.create(key="dw", name="DW")
        for user in users:
            assign_perm("catalog.change_sourcesystem", user, system)
        creates = [
            (SYSTEMS_URL, users, lambda n: {"key": f"four{n}", "name": "Race"}),
            ("/api/v1/catalog/datasets/", users, lambda n: {"system": "dw", "name": f"s.t{n}"}),
            (JOBS_URL, users, lambda n: {"key": f"job_four{n}", "name": "Race", "system": "dw"}),
            ("/api/v1/consult/purposes/", purposes, lambda n: {"key": f"p{n}", "name": "Race"}),
        ]
        for url, who, body in creates:
            for n in range(ROUNDS):
                with self.subTest(url=url, round=n):
                    responses = at_once([(u, "post", url, body(n)) for u in who])
                    self.assertEqual(codes(responses), [201, 409, 409, 409], responses)
                    self.assert_conflict(responses)

    def test_two_simultaneous_creates_of_one_system_key_are_one_201_and_one_409(self):
        for n in range(ROUNDS):
            body = {"key": f"sys{n}", "name": "Race"}
            responses = at_once([(e, "post", SYSTEMS_URL, body) for e in self.engineers[:2]])
            # The loser is a 409 whether its validation already saw the winner's row or the
            # database refused its insert.
            self.assertEqual(codes(responses), [201, 409], responses)
            self.assert_conflict(responses)
            self.assertEqual(SourceSystem.objects.filter(key=f"sys{n}").count(), 1)
            self.assertEqual(
                ChangeRecord.objects.filter(object_type="catalog.sourcesystem", action="create")
                .filter(after__key=f"sys{n}")
                .count(),
                1,
            )

    def test_two_simultaneous_creates_of_one_definition_key_are_one_201_and_one_409(self):
        for n in range(ROUNDS):
            body = {**GROSS, "key": f"gross_{n}"}
            responses = at_once(
                [(u, "post", DEFINITIONS_URL, body) for u in (self.steward, self.other_steward)]
            )
            self.assertEqual(codes(responses), [201, 409], responses)
            self.assert_conflict(responses)
            self.assertEqual(FieldDefinition.objects.filter(key=f"gross_{n}").count(), 1)

    def test_three_identical_simultaneous_bulk_upserts_all_succeed_and_write_once(self):
        owner = self.engineers[0]
        client = APIClient()
        client.force_authenticate(owner)
        self.assertEqual(client.post(SYSTEMS_URL, {"key": "app", "name": "App"}).status_code, 201)
        for n in range(ROUNDS):
            payload = {
                "datasets": [
                    {"name": f"app.t{n}_{d}", "fields": [{"name": f"c{i}"} for i in range(30)]}
                    for d in range(5)
                ]
            }
            url = f"{SYSTEMS_URL}app/bulk/"
            responses = at_once([(owner, "post", url, payload)] * 3)
            self.assertEqual(codes(responses), [200, 200, 200], [r.content for r in responses])
            created = sorted(r.json()["created"]["fields"] for r in responses)
            self.assertEqual(created, [0, 0, 150])
        self.assertEqual(Dataset.objects.filter(system__key="app").count(), 5 * ROUNDS)
        self.assertEqual(Field.objects.filter(dataset__system__key="app").count(), 150 * ROUNDS)

    def race_patch_and_delete(self, url: str, patch: dict, user) -> list[int]:
        responses = at_once([(user, "patch", url, patch), (user, "delete", url, None)])
        for r in responses:
            if r.status_code >= 400:
                self.assert_error_shape(r, r.status_code)
        return [r.status_code for r in responses]

    def test_a_patch_racing_a_delete_of_a_system_is_never_a_500(self):
        owner = self.engineers[0]
        client = APIClient()
        client.force_authenticate(owner)
        for n in range(ROUNDS):
            key = f"gone{n}"
            self.assertEqual(client.post(SYSTEMS_URL, {"key": key, "name": "x"}).status_code, 201)
            patch_code, delete_code = self.race_patch_and_delete(
                f"{SYSTEMS_URL}{key}/", {"name": "renamed"}, owner
            )
            self.assertIn(patch_code, (200, 404, 409))
            self.assertIn(delete_code, (204, 404, 409))
            self.assertFalse(SourceSystem.objects.filter(key=key).exists())

    def test_a_patch_racing_a_delete_of_a_job_is_never_a_500(self):
        owner = self.engineers[0]
        system = SourceSystem.objects.create(key="dw", name="DW")
        assign_perm("catalog.change_sourcesystem", owner, system)
        for n in range(ROUNDS):
            job = lineage_services.create_job(
                Actor(owner), {"key": f"job{n}", "name": "Job", "system": system}
            )
            patch_code, delete_code = self.race_patch_and_delete(
                f"{JOBS_URL}{job.key}/", {"name": "renamed"}, owner
            )
            self.assertIn(patch_code, (200, 404, 409))
            self.assertIn(delete_code, (204, 404, 409))

    def test_two_simultaneous_deletes_are_one_204_and_one_404(self):
        owner = self.engineers[0]
        client = APIClient()
        client.force_authenticate(owner)
        self.assertEqual(client.post(SYSTEMS_URL, {"key": "twice", "name": "x"}).status_code, 201)
        responses = at_once([(owner, "delete", f"{SYSTEMS_URL}twice/", None)] * 2)
        self.assertEqual(codes(responses), [204, 404])
        deletes = ChangeRecord.objects.filter(object_type="catalog.sourcesystem", action="delete")
        self.assertEqual(deletes.count(), 1)
