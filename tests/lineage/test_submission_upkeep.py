"""A submission whose worker died is answered as failed (`503 worker_lost`, in the error shape)
instead of `running` for ever; finished submissions are forgotten after the retention."""

from __future__ import annotations

import datetime
import signal
import subprocess
import sys
import time
import unittest
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from lineage.models import EtlJob, SqlSubmission
from lineage.tasks import fail_stale, this_worker
from tests.lineage import test_submissions as submissions
from tests.lineage.helpers import LineageTestCase, fast_passwords

STATEMENT, SUBMISSIONS = submissions.STATEMENT, submissions.SUBMISSIONS


def dead_pid() -> int:
    """The id of a process of this host that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


class StaleSubmissionTests(LineageTestCase):
    def setUp(self):
        super().setUp()
        self.job = EtlJob.objects.get(key="load_customer")

    def running(self, worker: str, seconds_ago: float = 0) -> SqlSubmission:
        at = timezone.now() - datetime.timedelta(seconds=seconds_ago)
        return SqlSubmission.objects.create(
            job=self.job, action="check", sql="SELECT 1;", submitted_by=self.engineer,
            status="running", phase="columns", statements_done=1, statements_total=2,
            started_at=at, heartbeat_at=at, worker=worker,
        )  # fmt: skip

    def poll(self, submission) -> dict:
        response = self.as_(self.engineer).get(f"{SUBMISSIONS}{submission.pk}/")
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def assert_lost(self, body: dict) -> None:
        self.assertEqual(body["status"], "failed", body)
        error = body["error"]
        self.assertEqual((error["status"], error["code"]), (503, "worker_lost"))
        self.assertIn("Submit it again", error["message"])
        self.assertEqual(error["errors"], [])
        self.assertIsNotNone(body["finished_at"])

    def test_a_submission_whose_worker_process_is_gone_is_failed_at_the_next_poll(self):
        host = this_worker().rsplit(":", 1)[0]
        submission = self.running(f"{host}:{dead_pid()}")
        self.assert_lost(self.poll(submission))
        self.assertEqual(SqlSubmission.objects.get(pk=submission.pk).status, "failed")

    def test_a_submission_whose_worker_runs_stays_running(self):
        submission = self.running(this_worker())
        self.assertEqual(self.poll(submission)["status"], "running")

    @override_settings(LINEAGE_SUBMISSION_STALE_SECONDS=60)
    def test_a_worker_of_another_host_is_lost_when_its_heartbeat_is_too_old(self):
        fresh = self.running("elsewhere:123", seconds_ago=30)
        old = self.running("elsewhere:124", seconds_ago=90)
        self.assertEqual(self.poll(fresh)["status"], "running")
        self.assert_lost(self.poll(old))
        listed = self.as_(self.engineer).get(SUBMISSIONS).json()["results"]
        self.assertEqual(
            {s["id"]: s["status"] for s in listed}, {fresh.pk: "running", old.pk: "failed"}
        )

    def test_a_poll_fails_only_the_callers_own_submissions(self):
        other = self.running(f"{this_worker().rsplit(':', 1)[0]}:{dead_pid()}")
        other.submitted_by = self.other_engineer
        other.save()
        self.as_(self.engineer).get(SUBMISSIONS)
        self.assertEqual(SqlSubmission.objects.get(pk=other.pk).status, "running")
        self.assertEqual(fail_stale(), 1)
        self.assertEqual(SqlSubmission.objects.get(pk=other.pk).status, "failed")

    def test_a_finished_or_queued_submission_is_left_alone(self):
        done = self.running("elsewhere:1", seconds_ago=10_000)
        done.status = "done"
        done.save()
        queued = SqlSubmission.objects.create(
            job=self.job, action="check", sql="SELECT 1;", submitted_by=self.engineer
        )
        self.assertEqual(fail_stale(), 0)
        self.assertEqual(SqlSubmission.objects.get(pk=done.pk).status, "done")
        self.assertEqual(SqlSubmission.objects.get(pk=queued.pk).status, "queued")


class PruneTests(LineageTestCase):
    def test_the_command_fails_stale_submissions_then_forgets_old_finished_ones(self):
        job = EtlJob.objects.get(key="load_customer")
        now = timezone.now()

        def add(status, finished_days_ago=None, **extra):
            finished = (
                None
                if finished_days_ago is None
                else now - datetime.timedelta(days=finished_days_ago)
            )
            return SqlSubmission.objects.create(
                job=job, action="check", sql="SELECT 1;", submitted_by=self.engineer,
                status=status, finished_at=finished, **extra,
            ).pk  # fmt: skip

        old_done, old_failed = add("done", 40), add("failed", 31)
        recent_done, queued = add("done", 10), add("queued")
        lost = add("running", heartbeat_at=now - datetime.timedelta(days=2), worker="elsewhere:9")
        out = StringIO()
        call_command("prune_submissions", stdout=out)
        self.assertIn("failed_stale=1 deleted=2", out.getvalue())
        left = dict(SqlSubmission.objects.values_list("pk", "status"))
        self.assertEqual(left, {recent_done: "done", queued: "queued", lost: "failed"})
        self.assertNotIn(old_done, left)
        self.assertNotIn(old_failed, left)
        call_command("prune_submissions", "--days", "5", stdout=StringIO())
        self.assertEqual(
            dict(SqlSubmission.objects.values_list("pk", "status")),
            {queued: "queued", lost: "failed"},  # failed just now
        )


@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "the worker process needs a server DB")
@fast_passwords
class KilledWorkerTests(TransactionTestCase):
    """The real thing: `manage.py db_worker` killed with SIGKILL in the middle of a parse."""

    serialized_rollback = True  # the role groups and permissions come back after the flush
    setUp = submissions.WorkerProcessTests.setUp
    start_worker = submissions.WorkerProcessTests.start_worker

    def test_the_poll_shows_the_killed_workers_submission_as_failed(self):
        sql = "\n".join(STATEMENT.format(i=i) for i in range(4_000))
        response = self.client.post(
            SUBMISSIONS, {"job": "load_customer", "sql": sql, "action": "submit"}, format="json"
        )
        self.assertEqual(response.status_code, 202, response.content)
        url = response.headers["Location"]
        worker = self.start_worker()
        try:
            deadline = time.monotonic() + 120
            body = self.client.get(url).json()
            while body["progress"]["statements_done"] == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
                body = self.client.get(url).json()
            self.assertEqual(body["status"], "running", body)
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(30)
        body = self.client.get(url).json()
        self.assertEqual(body["status"], "failed", body)
        self.assertEqual((body["error"]["status"], body["error"]["code"]), (503, "worker_lost"))
        self.assertIsNone(body["version"])
