"""/api/v1/lineage/submissions/: a script too large for one request is queued (202), run by the
database task backend's worker (`manage.py db_worker`, run here for real) and polled for its
progress and outcome, with the rights of the synchronous endpoints."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import unittest

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase, override_settings
from django_tasks_db.models import DBTaskResult
from guardian.shortcuts import remove_perm
from rest_framework.test import APIClient

from catalog.models import Dataset
from catalog.services import import_systems
from core.audit import Actor
from lineage.models import EtlJobVersion, SqlSubmission
from tests.lineage.helpers import API, CATALOG, CUSTOMER_SQL, LineageTestCase, fast_passwords
from tests.personas import PERSONAS, make_user

SUBMISSIONS = API + "submissions/"
STATEMENT = (
    "INSERT INTO dw.customer (customer_id, tier) "
    "SELECT c.contact_id, UPPER(c.tier) FROM public.contacts c WHERE c.contact_id > {i};"
)
# More statements than one request may parse (LINEAGE_SQL_MAX_STATEMENTS, 1,000).
LARGE = "\n".join(STATEMENT.format(i=i) for i in range(1_200))
SMALL = "\n".join(STATEMENT.format(i=i) for i in range(3))


def run_worker() -> None:
    """The database backend's worker, as `manage.py db_worker --batch` runs it: every queued
    task, then exit. Its signal handlers are put back afterwards (it installs its own)."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command(
            "db_worker", batch=True, reload=False, interval=0, startup_delay=False, verbosity=0
        )
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


class Calls:
    def post(self, sql, action="check", user=None, job="load_customer"):
        return self.as_(user or self.engineer).post(
            SUBMISSIONS, {"job": job, "sql": sql, "action": action}, format="json"
        )

    def poll(self, response, user=None) -> dict:
        got = self.as_(user or self.engineer).get(response.headers["Location"])
        self.assertEqual(got.status_code, 200, got.content)
        return got.json()


class SubmissionRequestTests(Calls, LineageTestCase):
    """What is answered at once: refusals, rights, bad bodies (no worker needed)."""

    @override_settings(LINEAGE_ASYNC_SQL_MAX_STATEMENTS=1_000)
    def test_a_script_beyond_the_task_limits_is_refused_at_once_and_nothing_is_queued(self):
        body = self.assert_error(self.post(LARGE), 413, code="too_large", path="sql")
        self.assertEqual(
            body["limit"],
            {"name": "LINEAGE_ASYNC_SQL_MAX_STATEMENTS", "max": 1_000, "value": 1_200},
        )
        self.assertFalse(SqlSubmission.objects.exists())
        self.assertFalse(DBTaskResult.objects.exists())

    def test_anonymous_caller_gets_401(self):
        client = self.as_(None)
        self.assert_error(client.get(SUBMISSIONS), 401, code="not_authenticated")
        self.assert_error(
            client.post(SUBMISSIONS, {"job": "load_customer", "sql": SMALL, "action": "check"}),
            401,
        )
        submission = self.post(SMALL).json()
        self.assert_error(client.get(submission["url"]), 401)

    def test_a_job_the_caller_cannot_see_is_404_and_one_it_cannot_change_403_for_submit(self):
        self.assert_error(self.post(SMALL, user=self.outsider), 404)
        self.assert_error(self.post(SMALL, user=self.vendor, action="submit"), 404)
        self.assert_error(self.post(SMALL, job="nope"), 404)
        # another engineer reads the job (check) but may not change it (submit)
        self.assertEqual(self.post(SMALL, user=self.other_engineer).status_code, 202)
        self.assert_error(self.post(SMALL, user=self.other_engineer, action="submit"), 403)
        self.assertEqual(SqlSubmission.objects.count(), 1)

    def test_a_caller_sees_only_its_own_submissions(self):
        mine = self.post(SMALL).json()
        theirs = self.post(SMALL, user=self.other_engineer).json()
        self.assert_error(self.as_(self.other_engineer).get(mine["url"]), 404)
        self.assert_error(self.as_(self.committee).get(mine["url"]), 404)
        listed = self.as_(self.engineer).get(SUBMISSIONS).json()
        self.assertEqual([s["id"] for s in listed["results"]], [mine["id"]])
        self.assertEqual(self.as_(self.admin).get(theirs["url"]).status_code, 200)

    def test_bad_bodies_are_400_naming_the_field(self):
        client = self.as_(self.engineer)
        for body, path in [
            ({"job": "load_customer", "sql": SMALL}, "action"),
            ({"job": "load_customer", "sql": SMALL, "action": "delete"}, "action"),
            ({"job": "load_customer", "sql": "  ", "action": "check"}, "sql"),
            ({"job": "load_customer", "sql": 12, "action": "check"}, "sql"),
            ({"sql": SMALL, "action": "check"}, "job"),
        ]:
            with self.subTest(body=body):
                self.assert_error(client.post(SUBMISSIONS, body, format="json"), 400, path=path)
        self.assertFalse(SqlSubmission.objects.exists())


@fast_passwords
class SubmissionWorkerTests(Calls, TransactionTestCase):
    """Submissions run by the worker, committed as in production (the worker's own
    transactions and connection handling need a real commit)."""

    serialized_rollback = True  # the role groups and permissions come back after the flush
    assert_error = LineageTestCase.assert_error
    as_ = LineageTestCase.as_

    def setUp(self):
        for attr, role in PERSONAS.items():
            setattr(self, attr, make_user(attr, role))
        import_systems(Actor.system("tests"), CATALOG, remove_missing=False)
        LineageTestCase.grant_systems(self.engineer, "dw")
        self.customer_job = LineageTestCase.add_job(self.engineer, "load_customer", CUSTOMER_SQL)

    def test_a_large_check_is_queued_run_by_the_worker_and_its_poll_shows_the_report(self):
        self.assert_error(
            self.as_(self.consumer).post(
                API + "check/", {"job": "load_customer", "sql": LARGE}, format="json"
            ),
            413,
            code="too_large",
        )
        response = self.post(LARGE, user=self.consumer)
        self.assertEqual(response.status_code, 202, response.content)
        queued = response.json()
        self.assertEqual(response.headers["Location"], queued["url"])
        self.assertIs(type(response.headers["Location"]), str)  # WSGI servers take only str
        self.assertEqual(queued["status"], "queued")
        self.assertEqual(
            queued["progress"], {"phase": "", "statements_done": 0, "statements_total": None}
        )
        self.assertEqual(self.poll(response, self.consumer)["status"], "queued")
        task = DBTaskResult.objects.get(id=SqlSubmission.objects.get().task_id)
        self.assertEqual(task.status, "READY")

        run_worker()

        done = self.poll(response, self.consumer)
        self.assertEqual(done["status"], "done", done)
        self.assertEqual(
            done["progress"],
            {"phase": "saving", "statements_done": 1_200, "statements_total": 1_200},
        )
        self.assertEqual(done["error"], None)
        report = done["result"]
        self.assertEqual(report["status"], "ok")
        self.assertTrue(report["breaking"])  # email_hash loses its lineage
        self.assertEqual(report["lineage_lost"], ["dw:dw.customer.email_hash"])
        self.assertIsNotNone(done["started_at"])
        self.assertIsNotNone(done["finished_at"])
        self.assertEqual(DBTaskResult.objects.get(id=task.id).status, "SUCCESSFUL")

    def test_a_large_submission_records_a_version_when_the_worker_has_run_it(self):
        versions = EtlJobVersion.objects.count()
        response = self.post(LARGE, action="submit")
        self.assertEqual(response.status_code, 202, response.content)
        self.assertEqual(EtlJobVersion.objects.count(), versions)
        run_worker()
        done = self.poll(response)
        self.assertEqual(done["status"], "done", done)
        version = EtlJobVersion.objects.get(pk=done["version"]["id"])
        self.assertEqual(version.sql, LARGE)
        self.assertEqual(version.submitted_by, self.engineer)
        self.assertEqual(done["version"]["status"], "ok")
        self.assertEqual(done["version"]["number"], 2)
        self.assertTrue(done["version"]["url"].endswith(f"/api/v1/lineage/versions/{version.pk}/"))
        self.customer_job.refresh_from_db()
        self.assertEqual(self.customer_job.current_version, version)

    def test_a_submission_that_fails_reports_the_error_in_words_and_records_nothing(self):
        versions, datasets = EtlJobVersion.objects.count(), Dataset.objects.count()
        # The engineers may not change crm: the SQL writes into it.
        response = self.post(
            "INSERT INTO public.contacts (email) SELECT email FROM dw.customer;", action="submit"
        )
        run_worker()
        failed = self.poll(response)
        self.assertEqual(failed["status"], "failed")
        self.assertEqual(failed["error"]["status"], 403)
        self.assertEqual(failed["error"]["code"], "permission_denied")
        self.assertIn("'crm'", failed["error"]["message"])
        self.assertEqual(failed["version"], None)
        self.assertEqual(
            (EtlJobVersion.objects.count(), Dataset.objects.count()), (versions, datasets)
        )

    def test_a_submission_whose_rights_were_withdrawn_before_it_ran_fails_with_404(self):
        response = self.post(CUSTOMER_SQL, action="submit")
        for perm in ("view_etljob", "change_etljob", "delete_etljob"):
            remove_perm(f"lineage.{perm}", self.engineer, self.customer_job)
        self.engineer.groups.clear()
        versions = EtlJobVersion.objects.count()
        run_worker()
        submission = SqlSubmission.objects.get()
        self.assertEqual((submission.status, submission.error["status"]), ("failed", 404))
        self.assertEqual(EtlJobVersion.objects.count(), versions)
        engineer = get_user_model().objects.get(pk=self.engineer.pk)  # no cached permissions
        self.assert_error(self.as_(engineer).get(response.headers["Location"]), 404)


@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "the worker process needs a server DB")
@fast_passwords
class WorkerProcessTests(TransactionTestCase):
    """`manage.py db_worker` as its own process, as deployed, while the caller polls. On SQLite
    the test database lives in this process's memory, where no other process can reach it."""

    serialized_rollback = True  # the role groups and permissions come back after the flush

    def setUp(self):
        import_systems(Actor.system("tests"), CATALOG, remove_missing=False)
        self.engineer = make_user("engineer", "engineer")
        LineageTestCase.grant_systems(self.engineer, "dw")
        LineageTestCase.add_job(self.engineer, "load_customer", CUSTOMER_SQL)
        self.client = APIClient()
        self.client.force_authenticate(self.engineer)

    def start_worker(self) -> subprocess.Popen:
        db = connection.settings_dict
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        url = f"postgres://{db['USER']}@{host}/{db['NAME']}"
        env = {**os.environ, "DATABASE_URL": url, "TESTING": "1"}
        return subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--batch", "--no-reload", "--interval",
             "0", "--no-startup-delay", "--verbosity", "0"],
            cwd=settings.BASE_DIR, env=env,
        )  # fmt: skip

    def test_the_poll_shows_queued_then_statements_done_out_of_the_total_then_the_result(self):
        sql = "\n".join(STATEMENT.format(i=i) for i in range(2_000))
        response = self.client.post(
            SUBMISSIONS, {"job": "load_customer", "sql": sql, "action": "submit"}, format="json"
        )
        self.assertEqual(response.status_code, 202, response.content)
        url = response.headers["Location"]
        seen = [self.client.get(url).json()]
        worker = self.start_worker()
        try:
            deadline = time.monotonic() + 300
            while seen[-1]["status"] not in ("done", "failed") and time.monotonic() < deadline:
                time.sleep(0.1)
                seen.append(self.client.get(url).json())
            self.assertEqual(worker.wait(60), 0)
        finally:
            if worker.poll() is None:
                worker.kill()
        self.assertEqual(seen[0]["status"], "queued")
        running = [s["progress"] for s in seen if s["status"] == "running"]
        self.assertTrue(
            any(0 < p["statements_done"] < p["statements_total"] == 2_000 for p in running),
            running,
        )
        self.assertEqual(seen[-1]["status"], "done", seen[-1])
        self.assertEqual(seen[-1]["version"]["status"], "ok")
        self.assertEqual(EtlJobVersion.objects.get(pk=seen[-1]["version"]["id"]).sql, sql)
