"""What happened to one field, from the audit trail: its own records (an edit through the API
or the admin) and the records of the bulk requests that created or changed it (one per dataset,
naming the field among others; catalog.services.bulk_audit). Only records the caller may read."""

from __future__ import annotations

from catalog.models import Field
from core.audit import about, object_type
from core.choices import ChangeAction
from core.models import ChangeRecord
from core.permissions import readable_changes

HISTORY_ROWS = 20
_QUIET = {"id", "created_at", "updated_at", "dataset_id"}


def _entry(summary: dict | None, field_id: int) -> dict | None:
    for entry in ((summary or {}).get("fields") or {}).values():
        if isinstance(entry, dict) and entry.get("id") == field_id:
            return entry
    return None


def _changes(action: str, before: dict | None, after: dict | None) -> list[tuple]:
    """[(attribute, before, after)] worth showing: what a change set or altered."""
    before, after = before or {}, after or {}
    if action == ChangeAction.DELETE:
        return []
    if action == ChangeAction.CREATE:
        return [(k, None, v) for k, v in after.items() if k not in _QUIET and v not in ("", [])]
    keys = [k for k in {**before, **after} if k not in _QUIET]
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def field_history(user, field: Field, limit: int = HISTORY_ROWS) -> list[dict]:
    """The newest `limit` changes of `field` the caller may read: when, who, why, the action
    and [(attribute, before, after)]; `bulk` is the number of fields the request changed in
    the dataset when the change came in a bulk record."""
    records = readable_changes(
        user, ChangeRecord.objects.filter(about(object_type(Field), field.pk))
    ).order_by("-id")[:limit]
    rows = []
    for record in records:
        if record.object_type == object_type(Field):
            action, before, after, bulk = record.action, record.before, record.after, None
        else:
            before, after = _entry(record.before, field.pk), _entry(record.after, field.pk)
            action = ChangeAction.UPDATE if before is not None else ChangeAction.CREATE
            bulk = sum(((record.after or {}).get("field_counts") or {}).values()) or None
        rows.append(
            {
                "record": record,
                "action": action,
                "changes": _changes(action, before, after),
                "bulk": bulk,
            }
        )
    return rows
