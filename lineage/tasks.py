"""Background work of the lineage app, as django-tasks tasks: asynchronous SQL submissions.

`submit_async` records a submission and queues `run_submission` in the same transaction (with
the database backend the task row commits with the submission, or neither does); a worker
(`manage.py db_worker`) runs it: the parse within the larger task limits, progress written to
the submission as it goes, then the new version or the check's report, or the error in words.

A worker killed mid-run (kill -9, a restart, the machine lost) cannot say so: its submission
would stay `running` for ever. Each running submission names its worker (host and process id)
and carries a heartbeat, renewed with every progress report; `fail_stale` marks failed, with a
`503 worker_lost` error, every one whose worker process is gone from this host or whose heartbeat
is older than LINEAGE_SUBMISSION_STALE_SECONDS. A poll runs it for the caller's submissions, and
`manage.py prune_submissions` for all, before it forgets finished submissions older than
LINEAGE_SUBMISSION_RETENTION_DAYS."""

from __future__ import annotations

import datetime
import os
import socket

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from core.api.errors import as_domain_error
from core.audit import Actor
from core.errors import DomainError, NotFound, PermissionDenied
from core.permissions import user_can
from lineage.choices import SubmissionAction, SubmissionPhase, SubmissionStatus
from lineage.models import EtlJob, SqlSubmission
from lineage.parsing import ParseLimits
from lineage.queries import check_change
from lineage.services import submit_sql


def check_submission_rights(user, job: EtlJob, action: str) -> None:
    """As the synchronous endpoints: a check needs to read the job (else 404), a submission
    also to change it (else 403)."""
    if not user_can(user, "view", job):
        raise NotFound(f"No job {job.key!r} that you may read.")
    if action == SubmissionAction.SUBMIT and not user_can(user, "change", job):
        raise PermissionDenied(f"You may not change job {job.key!r}.")


def submit_async(user, job: EtlJob, action: str, sql: str) -> SqlSubmission:
    """Queue `sql` for `job`: refused at once (413) when larger than the task limits allow."""
    check_submission_rights(user, job, action)
    ParseLimits.for_tasks().check_size(sql)
    with transaction.atomic():
        submission = SqlSubmission.objects.create(
            job=job, action=action, sql=sql, submitted_by=user
        )
        queued = run_submission.enqueue(submission.pk)
        SqlSubmission.objects.filter(pk=submission.pk).update(task_id=str(queued.id))
    submission.refresh_from_db()
    return submission


def _progress(submission_id: int):
    def report(phase: str, done: int, total: int) -> None:
        if phase == SubmissionPhase.COLUMNS and done == total:
            phase = SubmissionPhase.SAVING if total else phase
        SqlSubmission.objects.filter(pk=submission_id).update(
            phase=phase, statements_done=done, statements_total=total, heartbeat_at=timezone.now()
        )

    return report


@task()
def run_submission(submission_id: int) -> str:
    """Parse a queued submission and record its outcome; returns its final status."""
    submission = (
        SqlSubmission.objects.select_related("job__system", "submitted_by")
        .filter(pk=submission_id, status=SubmissionStatus.QUEUED)
        .first()
    )
    if submission is None:  # its job was deleted, or another worker ran it
        return "gone"
    now = timezone.now()
    SqlSubmission.objects.filter(pk=submission_id).update(
        status=SubmissionStatus.RUNNING, started_at=now, heartbeat_at=now, worker=this_worker()
    )
    outcome: dict = {"status": SubmissionStatus.DONE}
    try:
        outcome |= _run(submission)
    except Exception as exc:
        error = as_domain_error(exc)
        if error is None:
            error = DomainError(
                f"The submission failed unexpectedly: {type(exc).__name__}: {exc}",
                code="internal_error",
            )
            error.status = 500
        outcome = {"status": SubmissionStatus.FAILED, "error": error.as_dict()}
        if error.status >= 500:
            _finish(submission_id, outcome)
            raise  # the task result records it too
    _finish(submission_id, outcome)
    return outcome["status"]


def _run(submission: SqlSubmission) -> dict:
    user, job = submission.submitted_by, submission.job
    check_submission_rights(user, job, submission.action)  # rights may have changed since
    limits = ParseLimits.for_tasks()
    report = _progress(submission.pk)
    if submission.action == SubmissionAction.CHECK:
        return {
            "result": check_change(
                job, submission.sql, submission.submitted_by, limits=limits, on_progress=report
            )
        }
    version = submit_sql(
        Actor(user), job, submission.sql, authorize=True, limits=limits, on_progress=report
    )
    return {"version": version}


def _finish(submission_id: int, outcome: dict) -> None:
    SqlSubmission.objects.filter(pk=submission_id).update(finished_at=timezone.now(), **outcome)


# Workers that died ---------------------------------------------------------------------------


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    """Whether process `pid` of this host still runs (a zombie, killed but not yet reaped by its
    parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def worker_lost() -> DomainError:
    error = DomainError(
        "The worker running this submission stopped before it finished (it was killed or "
        "restarted). Submit it again.",
        code="worker_lost",
    )
    error.status = 503
    return error


def fail_stale(submissions=None, now: datetime.datetime | None = None) -> int:
    """Mark failed the running `submissions` (default: all) whose worker is gone: its process
    no longer runs on this host, or its heartbeat is older than LINEAGE_SUBMISSION_STALE_SECONDS
    (a worker on another host, or a process id reused). Returns how many."""
    now = now or timezone.now()
    running = (SqlSubmission.objects if submissions is None else submissions).filter(
        status=SubmissionStatus.RUNNING
    )
    cutoff = now - datetime.timedelta(seconds=settings.LINEAGE_SUBMISSION_STALE_SECONDS)
    host = f"{socket.gethostname()}:"
    stale = []
    for pk, worker, heartbeat in running.values_list("pk", "worker", "heartbeat_at"):
        pid = worker.removeprefix(host)
        silent = heartbeat is None or heartbeat < cutoff
        gone = worker.startswith(host) and pid.isdigit() and not _alive(int(pid))
        if silent or gone:
            stale.append(pk)
    if not stale:
        return 0
    # Still running at the moment of the update: a worker that finished meanwhile wins.
    return SqlSubmission.objects.filter(pk__in=stale, status=SubmissionStatus.RUNNING).update(
        status=SubmissionStatus.FAILED, error=worker_lost().as_dict(), finished_at=now
    )


def prune_finished(days: float, now: datetime.datetime | None = None) -> int:
    """Delete the submissions that finished (done or failed) more than `days` ago, with their
    SQL; the versions they recorded stay. Returns how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    finished = Q(status__in=[SubmissionStatus.DONE, SubmissionStatus.FAILED])
    deleted, _ = SqlSubmission.objects.filter(finished, finished_at__lt=cutoff).delete()
    return deleted
