"""Decision-log retention: old decisions leave the log only into an archive file, with an audit
record; the change feed is pruned without a worker missing a change."""

from __future__ import annotations

import datetime
import hashlib
import io
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from consult.models import AccessPolicy, DecisionChange, DecisionLog
from consult.retention import archive_decisions, prune_changes, read_archive
from consult.services import transition_policy
from core.audit import Actor
from core.errors import Conflict
from core.models import ChangeRecord
from tests.consult.helpers import ConsultTestCase
from tests.consult.test_refresh import MEMBER_ID, Worker

NOW = timezone.now()


def logged(consumer, days_ago: int, ref: str = MEMBER_ID) -> DecisionLog:
    return DecisionLog.objects.create(
        at=NOW - datetime.timedelta(days=days_ago), consumer=consumer,
        consumer_name=consumer.get_username(), purpose="analytics", field_ref=ref,
        decision="allow", reasons=[{"code": "allowed_by_policy"}], policy_ids=[1],
        catalog_version=7, request_id=f"r{days_ago}",
    )  # fmt: skip


class ArchiveTests(ConsultTestCase):
    def setUp(self):
        super().setUp()
        self.dir = Path(tempfile.mkdtemp())
        self.old = [logged(self.consumer, 500), logged(self.consumer, 401)]
        self.recent = logged(self.consumer, 10)

    def test_old_decisions_move_to_the_archive_file_and_the_rest_stay(self):
        path = self.dir / "decisions.jsonl.gz"
        archive = archive_decisions(Actor(self.admin), NOW - datetime.timedelta(days=400), path)
        self.assertEqual((archive.rows, archive.first_id, archive.last_id),
                         (2, self.old[0].pk, self.old[1].pk))  # fmt: skip
        self.assertEqual(list(DecisionLog.objects.values_list("pk", flat=True)), [self.recent.pk])
        rows = list(read_archive(path))
        self.assertEqual([r["id"] for r in rows], [d.pk for d in self.old])
        self.assertEqual(rows[0]["field_ref"], MEMBER_ID)
        self.assertEqual(rows[0]["reasons"], [{"code": "allowed_by_policy"}])
        self.assertEqual(archive.sha256, hashlib.sha256(path.read_bytes()).hexdigest())
        record = ChangeRecord.objects.get(object_type="consult.decisionlog")
        self.assertEqual(record.actor_name, "admin")
        self.assertEqual(record.after["rows"], 2)
        self.assertEqual(record.after["sha256"], archive.sha256)

    def test_an_existing_archive_is_never_overwritten_and_nothing_moves(self):
        path = self.dir / "decisions.jsonl.gz"
        path.write_bytes(b"earlier archive")
        with self.assertRaises(Conflict):
            archive_decisions(Actor(self.admin), NOW, path)
        self.assertEqual(path.read_bytes(), b"earlier archive")
        self.assertEqual(DecisionLog.objects.count(), 3)

    def test_nothing_to_archive_writes_an_empty_file_and_keeps_the_log(self):
        path = self.dir / "none.jsonl.gz"
        archive = archive_decisions(Actor(self.admin), NOW - datetime.timedelta(days=900), path)
        self.assertEqual(archive.rows, 0)
        self.assertEqual(list(read_archive(path)), [])
        self.assertEqual(DecisionLog.objects.count(), 3)

    def test_the_command_archives_by_age_and_prints_what_it_did(self):
        out = io.StringIO()
        path = self.dir / "by-age.jsonl.gz"
        call_command("consult_retention", "--keep-days", "400", "--to", str(path), stdout=out)
        self.assertIn('"rows": 2', out.getvalue())
        self.assertEqual(DecisionLog.objects.count(), 1)

    def test_the_command_refuses_a_bad_day(self):
        with self.assertRaisesMessage(CommandError, "is not a day"):
            call_command("consult_retention", "--before", "last year", stdout=io.StringIO())

    def test_the_database_still_refuses_a_plain_delete_or_update(self):
        if connection.vendor != "postgresql":
            self.skipTest("the append-only trigger is PostgreSQL's")
        for sql in (
            "DELETE FROM consult_decisionlog",
            "UPDATE consult_decisionlog SET decision = 'deny'",
        ):
            with (
                self.subTest(sql=sql),
                self.assertRaises(DatabaseError),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
        self.assertEqual(DecisionLog.objects.count(), 3)


class PruneChangesTests(ConsultTestCase):
    def test_a_worker_behind_the_cut_still_sees_the_change_it_had_not_applied(self):
        behind = Worker(self.consumer)
        self.assertEqual(behind.decide(MEMBER_ID)["decision"], "allow")
        policy = AccessPolicy.objects.get(resource_kind="system", resource_key="pos")
        transition_policy(Actor(self.admin), policy, "revoke", reason="contract ended")
        # The revocation's feed row goes; the worker has not applied it yet.
        self.assertGreater(prune_changes(keep_versions=0), 0)
        self.assertFalse(DecisionChange.objects.exclude(kind="all").exists())
        self.assertEqual(behind.decide(MEMBER_ID)["decision"], "deny")

    def test_nothing_recent_is_pruned(self):
        policy = AccessPolicy.objects.get(resource_kind="system", resource_key="pos")
        transition_policy(Actor(self.admin), policy, "revoke", reason="contract ended")
        rows = DecisionChange.objects.count()
        self.assertEqual(prune_changes(keep_versions=1000), 0)
        self.assertEqual(DecisionChange.objects.count(), rows)
