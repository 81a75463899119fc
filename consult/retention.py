"""Keeping the decision log and the change feed from growing without end.

The decision log is append-only (a trigger refuses UPDATE and DELETE on PostgreSQL): the one way
rows leave it is `archive_decisions`, which writes every row older than a date to a compressed
JSON Lines file, makes the file durable, then deletes exactly those rows in one transaction that
says so to the trigger (`SET LOCAL consult.archiving = on`) and leaves an audit record naming the
file, the id range and the file's SHA-256. A failure at any point deletes nothing.

`prune_changes` drops the `DecisionChange` feed rows up to a cut-off version and leaves one
`all` row at that version, so a worker that had not yet applied a dropped row rebuilds its state
instead of missing a change."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from consult.models import DecisionChange, DecisionLog
from core.audit import Actor, current_catalog_version, jsonable
from core.choices import ChangeAction
from core.errors import Conflict, Invalid
from core.models import ChangeRecord

COLUMNS = (
    "id",
    "at",
    "consumer_id",
    "consumer_name",
    "simulated_by",
    "purpose",
    "field_ref",
    "field_id",
    "decision",
    "reasons",
    "policy_ids",
    "catalog_version",
    "request_id",
)
BATCH = 5000


@dataclass(frozen=True)
class Archive:
    rows: int
    first_id: int | None
    last_id: int | None
    path: str
    sha256: str

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "file": self.path,
            "sha256": self.sha256,
        }


def archive_decisions(actor: Actor, before: datetime.datetime, path: str | Path) -> Archive:
    """Move the decisions logged before `before` into the file at `path` (gzip, one JSON object
    a line, oldest first). The file must not exist: an archive is never overwritten."""
    path = Path(path)
    if path.exists():
        raise Conflict(f"{path} exists: an archive is never overwritten; choose another name.")
    if not path.parent.is_dir():
        raise Invalid(f"{path.parent} is not a directory.")
    with transaction.atomic():
        # The rows to move, fixed by id: a decision logged meanwhile is newer and stays.
        rows = DecisionLog.objects.filter(at__lt=before).order_by("id")
        last = rows.values_list("id", flat=True).last()
        count, first = 0, None
        partial = path.with_name(path.name + ".partial")
        try:
            with open(partial, "wb") as raw:
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
                    if last is not None:
                        for values in (
                            rows.filter(id__lte=last)
                            .values_list(*COLUMNS)
                            .iterator(chunk_size=BATCH)
                        ):
                            record = dict(zip(COLUMNS, map(jsonable, values), strict=True))
                            line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
                            out.write(line.encode())
                            first = record["id"] if first is None else first
                            count += 1
                raw.flush()
                os.fsync(raw.fileno())
            with open(partial, "rb") as written:
                sha256 = hashlib.file_digest(written, "sha256").hexdigest()
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        archive = Archive(count, first, last, str(path), sha256)
        if count:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL consult.archiving = on")
                cursor.execute(
                    f"DELETE FROM {DecisionLog._meta.db_table} WHERE id <= %s AND at < %s",
                    [last, connection.ops.adapt_datetimefield_value(before)],
                )
                deleted = cursor.rowcount
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL consult.archiving = off")
            if deleted != count:  # pragma: no cover - the rows are fixed by id and date
                raise Conflict(f"Archived {count} decisions but {deleted} matched; nothing moved.")
        ChangeRecord.objects.create(
            actor=actor.user_or_none,
            actor_name=actor.name,
            request_id=actor.request_id,
            action=ChangeAction.DELETE,
            object_type="consult.decisionlog",
            object_id=f"archive:{first or 0}-{last or 0}",
            object_repr=f"{count} decision(s) logged before {before:%Y-%m-%d %H:%M} archived",
            before=None,
            after={**archive.as_dict(), "before": before.isoformat()},
            reason=actor.reason or "decision log retention",
            catalog_version=current_catalog_version(),
        )
    return archive


def read_archive(path: str | Path):
    """The decisions in an archive file, as dicts (for a person or a test reading one back)."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


@transaction.atomic
def prune_changes(keep_versions: int) -> int:
    """Drop the change-feed rows of every catalog version but the last `keep_versions`; returns
    how many went. A worker that had applied less than the cut-off version finds the `all` row
    left at it and rebuilds; one that had applied it needs none of the dropped rows."""
    if keep_versions < 0:
        raise Invalid("keep_versions must be 0 or more.")
    cut = current_catalog_version() - keep_versions
    old = DecisionChange.objects.filter(catalog_version__lte=cut)
    if not old.exists():
        return 0
    deleted, _by_model = old.delete()
    DecisionChange.objects.create(catalog_version=cut, kind="all")
    return deleted
