"""A database connection that the server dropped (restart, failover, an operator's
pg_terminate_backend) costs no request a 500: the request that finds it dead runs again, once,
on a new connection."""

from __future__ import annotations

import unittest
import unittest.mock

import pytest
from django.db import connection, connections
from django.test import TransactionTestCase, override_settings
from rest_framework.test import APIClient

from catalog.models import SourceSystem
from tests.personas import make_user

SYSTEMS_URL = "/api/v1/catalog/systems/"


def terminate(pid: int) -> None:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "pg_terminate_backend is PostgreSQL's")
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class DroppedConnectionTests(TransactionTestCase):
    serialized_rollback = True

    def setUp(self):
        self.client = APIClient()
        self.client.force_authenticate(make_user("eng", "engineer"))
        self.assertEqual(self.client.get(SYSTEMS_URL).status_code, 200)

    def drop_this_connection(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        terminate(pid)

    def test_a_read_after_the_database_dropped_the_connection_succeeds(self):
        self.drop_this_connection()
        response = self.client.get(SYSTEMS_URL)
        self.assertEqual(response.status_code, 200, response.content)

    def test_a_write_after_the_database_dropped_the_connection_is_applied_once(self):
        self.drop_this_connection()
        response = self.client.post(SYSTEMS_URL, {"key": "after", "name": "After"}, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(SourceSystem.objects.filter(key="after").count(), 1)

    def test_a_consult_after_the_database_dropped_the_connection_is_answered_and_logged(self):
        from consult.models import DecisionLog

        consumer = APIClient()
        consumer.force_authenticate(make_user("cdp", "consumer"))
        self.drop_this_connection()
        response = consumer.post(
            "/api/v1/consult/",
            {"purpose": "profile_unification", "fields": ["a:b.c"]},
            format="json",
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(DecisionLog.objects.count(), 1)

    def test_a_connection_lost_again_during_the_retry_is_a_503_in_the_error_shape(self):
        from core import middleware

        calls = []
        discard = middleware._discard_connections

        def drop_again():
            discard()
            calls.append(1)
            if len(calls) == 1:  # the retry's new connection is dropped as soon as it is made
                connection.ensure_connection()
                self.drop_this_connection()

        middleware._discard_connections = drop_again
        self.addCleanup(setattr, middleware, "_discard_connections", discard)
        self.drop_this_connection()
        response = self.client.get(SYSTEMS_URL)
        self.assertEqual(response.status_code, 503, response.content)
        self.assertEqual(response.json()["code"], "database_unavailable")
        self.assertEqual(response["Retry-After"], "1")
        self.assertEqual(self.client.get(SYSTEMS_URL).status_code, 200)


@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "the backend is PostgreSQL's")
class HealthCheckTests(TransactionTestCase):
    """core.db.postgresql: the check before each request's first query makes no round trip on a
    healthy connection and still finds one the server ended."""

    serialized_rollback = True  # the role groups and permissions come back after the flush

    def backend_pid(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    def test_a_healthy_connection_is_usable_without_a_query(self):
        from django.db.backends.postgresql import base

        self.backend_pid()
        with unittest.mock.patch.object(base.DatabaseWrapper, "is_usable") as asked:
            self.assertTrue(connection.is_usable())
        asked.assert_not_called()

    def test_a_connection_the_server_ended_is_not_usable_and_is_replaced(self):
        import time

        pid = self.backend_pid()
        terminate(pid)
        for _ in range(50):  # the server's goodbye reaches the socket
            if not connection.is_usable():
                break
            time.sleep(0.05)
        self.assertFalse(connection.is_usable())
        connection.health_check_done = False
        connection.close_if_health_check_failed()
        self.assertNotEqual(self.backend_pid(), pid)
