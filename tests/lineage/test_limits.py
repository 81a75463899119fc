"""The work of one request that parses SQL is bounded: bytes and statements are refused at once
(413), the whole parse runs in a worker process that is killed at the total time (422), and the
next request is served by a fresh worker. Nothing is recorded by a refused request."""

from __future__ import annotations

import os
import signal
import time

from django.test import SimpleTestCase, override_settings

from catalog.models import Dataset
from lineage.models import EtlJobVersion
from lineage.parsing import count_statements, pool
from tests.lineage.helpers import API, LineageTestCase

# The audit's script: 12,429 INSERT ... SELECT statements, about 1.99 MB.
STATEMENT = (
    "INSERT INTO dw.customer (customer_id, email_hash, tier) SELECT c.contact_id, "
    "MD5(c.email), UPPER(c.tier) FROM public.contacts c WHERE c.contact_id > {i};"
)
HUGE = "\n".join(STATEMENT.format(i=i) for i in range(12_429))

SMALL = "INSERT INTO dw.customer (tier) SELECT c.tier FROM public.contacts c;"

# A T-SQL statement that does not parse and sends the parser's compound-assignment retry into a
# regular expression that backtracks for minutes inside C code, where the per-statement
# (thread) time limit cannot interrupt it; then enough statements, within the limits, to run
# past the total time on their own.
PATHOLOGICAL = "\n".join(
    ["UPDATE dw.customer SET tier = " + "a" * 60_000 + " WHERE (;"]
    + [SMALL.replace("c.tier", f"c.tier || '{i}'") for i in range(998)]
)


class RequestLimitTests(LineageTestCase):
    def check(self, sql, user=None, job="load_customer"):
        return self.as_(user or self.consumer).post(
            API + "check/", {"job": job, "sql": sql}, format="json"
        )

    def submit(self, sql, user=None, job="load_customer"):
        return self.as_(user or self.engineer).post(
            f"{API}jobs/{job}/submit/", {"sql": sql}, format="json"
        )

    def test_the_audits_two_megabyte_script_is_refused_at_once_naming_the_byte_limit(self):
        self.assertGreater(len(HUGE), 1_900_000)
        started = time.monotonic()
        body = self.assert_error(self.check(HUGE), 413, code="too_large", path="sql")
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(
            body["limit"], {"name": "LINEAGE_SQL_MAX_BYTES", "max": 524_288, "value": len(HUGE)}
        )
        self.assertIn("LINEAGE_SQL_MAX_BYTES", body["message"])
        self.assertIn("/api/v1/lineage/submissions/", body["message"])

    @override_settings(LINEAGE_SQL_MAX_STATEMENTS=100)
    def test_a_script_of_more_statements_than_allowed_is_refused_at_once_naming_the_limit(self):
        sql = "\n".join(STATEMENT.format(i=i) for i in range(101))
        versions = EtlJobVersion.objects.count()
        for response in (self.check(sql), self.submit(sql)):
            body = self.assert_error(response, 413, code="too_large", path="sql")
            self.assertEqual(
                body["limit"], {"name": "LINEAGE_SQL_MAX_STATEMENTS", "max": 100, "value": 101}
            )
        self.assertEqual(EtlJobVersion.objects.count(), versions)
        self.assertEqual(self.check(sql[: sql.rindex("\n")]).status_code, 200)

    def test_a_submission_over_a_limit_records_nothing(self):
        versions, datasets = EtlJobVersion.objects.count(), Dataset.objects.count()
        sql = HUGE.replace("dw.customer", "dw.brand_new")
        self.assert_error(self.submit(sql), 413, code="too_large")
        self.assertEqual(EtlJobVersion.objects.count(), versions)
        self.assertEqual(Dataset.objects.count(), datasets)

    def test_a_statement_running_past_the_total_time_is_stopped_and_the_next_request_served(self):
        job = self.add_job(self.engineer, "tsql_job", dialect="tsql")
        self.assertEqual(self.check(SMALL, job=job.key).status_code, 200)  # a warm worker
        (before,) = pool().pids()
        versions, datasets = EtlJobVersion.objects.count(), Dataset.objects.count()
        fresh = PATHOLOGICAL.replace("dw.customer", "dw.fresh")
        with override_settings(LINEAGE_PARSE_SECONDS=2):
            for call in (
                lambda: self.check(PATHOLOGICAL, job=job.key),
                lambda: self.submit(fresh, job=job.key),
            ):
                started = time.monotonic()
                body = self.assert_error(call(), 422, code="parse_timeout", path="sql")
                self.assertLess(time.monotonic() - started, 15)  # unstopped: minutes
                self.assertEqual(body["limit"], {"name": "LINEAGE_PARSE_SECONDS", "max": 2})
                self.assertIn("2 s", body["message"])
        self.assertEqual(
            (EtlJobVersion.objects.count(), Dataset.objects.count()), (versions, datasets)
        )
        with self.assertRaises(ProcessLookupError):
            os.kill(before, 0)  # the worker that was stuck is gone
        body = self.check(SMALL, job=job.key).json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(
            [(e["source"], e["target"]) for e in body["edges_added"]],
            [("crm:public.contacts.tier", "dw:dw.customer.tier")],
        )
        self.assertNotIn(before, pool().pids())

    def test_a_worker_that_died_between_requests_is_replaced(self):
        self.assertEqual(self.check(SMALL).status_code, 200)
        for pid in pool().pids():
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        body = self.check(SMALL).json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(len(pool().pids()), 1)

    def test_a_script_within_the_limits_is_parsed_as_before(self):
        response = self.submit(SMALL)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["status"], "ok")


class CountStatementsTests(SimpleTestCase):
    def test_statements_are_counted_between_semicolons_outside_strings_names_and_comments(self):
        cases = {
            "": 0,
            " ; ;\n": 0,
            "SELECT 1": 1,
            "SELECT 1;": 1,
            "SELECT 1; SELECT 2": 2,
            "SELECT ';' ; SELECT 'it''s;'": 2,
            'SELECT "a;b" FROM t; -- one; two\nSELECT 2;': 2,
            "SELECT 1 /* ; ; */; SELECT [x;y] FROM t": 2,
            "SELECT 1; -- the end;": 1,
            "SELECT 1; /* unterminated ; SELECT 2": 1,
            "SELECT 'unterminated ; SELECT 2": 1,
            "DO $body$ BEGIN x; END $body$; SELECT 2": 2,
            "SELECT $1; SELECT `a;b`": 2,
            "CREATE PROCEDURE p AS BEGIN INSERT INTO a SELECT 1; DELETE FROM b; END;": 3,
        }
        for sql, expected in cases.items():
            with self.subTest(sql=sql):
                self.assertEqual(count_statements(sql), expected)

    def test_counting_is_linear_whatever_the_script_holds(self):
        size = 524_288  # LINEAGE_SQL_MAX_BYTES: no request counts more
        for hostile in ("/*", "'", "$a", "-", ";", "$" + "a" * 63, "[", "/*/"):
            hostile = hostile * (size // len(hostile))
            started = time.monotonic()
            count_statements(hostile)
            self.assertLess(time.monotonic() - started, 2, hostile[:10])
