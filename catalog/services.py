"""Operations that change the catalog. Each is one transaction and leaves audit records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from catalog.choices import DatasetKind, DescriptionSource, Status
from catalog.models import Dataset, Field, SourceSystem
from core.audit import Actor, Group, record_groups, snapshot
from core.choices import ChangeAction
from core.errors import BulkRejected
from core.services import create_object, delete_object, update_object

SYSTEM_OWNER_PERMS = ("view_sourcesystem", "change_sourcesystem", "delete_sourcesystem")


# Systems, datasets, fields one at a time -------------------------------------------------------


@transaction.atomic
def create_system(actor: Actor, data: dict) -> SourceSystem:
    system = create_object(actor, SourceSystem, data)
    # Whoever registers a system may maintain it (and its datasets and fields).
    if actor.user_or_none is not None:
        for perm in SYSTEM_OWNER_PERMS:
            assign_perm(f"catalog.{perm}", actor.user_or_none, system)
    return system


def update_system(actor: Actor, system: SourceSystem, data: dict) -> SourceSystem:
    return update_object(actor, system, data)


def delete_system(actor: Actor, system: SourceSystem) -> None:
    delete_object(actor, system)


def create_dataset(actor: Actor, data: dict) -> Dataset:
    return create_object(actor, Dataset, data)


def _written(obj, data: dict) -> dict:
    """A description changed in the catalog is a person's: a database comment no longer
    replaces it (see DescriptionSource)."""
    if "description" in data and (data["description"] or "") != obj.description:
        return {**data, "description_source": DescriptionSource.WRITTEN}
    return data


def update_dataset(actor: Actor, dataset: Dataset, data: dict) -> Dataset:
    return update_object(actor, dataset, _written(dataset, data))


def delete_dataset(actor: Actor, dataset: Dataset) -> None:
    delete_object(actor, dataset)


def create_field(actor: Actor, data: dict) -> Field:
    return create_object(actor, Field, data)


def update_field(actor: Actor, field_obj: Field, data: dict) -> Field:
    return update_object(actor, field_obj, _written(field_obj, data))


def delete_field(actor: Actor, field_obj: Field) -> None:
    delete_object(actor, field_obj)


class SystemService:
    create = staticmethod(create_system)
    update = staticmethod(update_system)
    delete = staticmethod(delete_system)


class DatasetService:
    create = staticmethod(create_dataset)
    update = staticmethod(update_dataset)
    delete = staticmethod(delete_dataset)


class FieldService:
    create = staticmethod(create_field)
    update = staticmethod(update_field)
    delete = staticmethod(delete_field)


# Bulk upsert ----------------------------------------------------------------------------------

DATASET_KEYS = {"name", "kind", "description", "status", "fields", "owners", "tags"}
FIELD_KEYS = {"name", "ordinal", "data_type", "nullable", "description", "status", "tags", "tests"}
DATASET_ATTRS = ("kind", "description", "status", "owners", "tags")
FIELD_ATTRS = ("ordinal", "data_type", "nullable", "description", "status", "tags", "tests")


@dataclass
class Counts:
    datasets: int = 0
    fields: int = 0

    def as_dict(self) -> dict:
        return {"datasets": self.datasets, "fields": self.fields}


@dataclass
class BulkResult:
    system: str
    created: Counts = field(default_factory=Counts)
    updated: Counts = field(default_factory=Counts)
    unchanged: Counts = field(default_factory=Counts)
    removed: Counts = field(default_factory=Counts)
    # descriptions written in the catalog that a different database comment did not replace
    kept_descriptions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "system": self.system,
            "created": self.created.as_dict(),
            "updated": self.updated.as_dict(),
            "unchanged": self.unchanged.as_dict(),
            "removed": self.removed.as_dict(),
        }

    def summary(self) -> str:
        """One line for people: `pos: created 2 datasets / 10 fields, updated ...`."""
        parts = [
            f"{what} {counts.datasets} datasets / {counts.fields} fields"
            for what, counts in (
                ("created", self.created),
                ("updated", self.updated),
                ("unchanged", self.unchanged),
                ("removed", self.removed),
            )
        ]
        return f"{self.system}: " + ", ".join(parts)


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"": exc.messages}


def _err(errors: list[dict], path: str, message: str) -> None:
    errors.append({"path": path, "message": message})


def validate_bulk(
    system: SourceSystem, datasets
) -> tuple[list[tuple[Dataset, list[Field]]], list[dict]]:
    """Check every row with the models' own rules; return unsaved instances and all errors."""
    errors: list[dict] = []
    rows: list[tuple[Dataset, list[Field]]] = []
    if not isinstance(datasets, list):
        _err(errors, "datasets", "Expected a list of datasets.")
        return rows, errors
    seen_datasets: dict[str, int] = {}
    for d_index, raw in enumerate(datasets):
        d_path = f"datasets[{d_index}]"
        if not isinstance(raw, dict):
            _err(errors, d_path, "Expected an object.")
            continue
        unknown = sorted(set(raw) - DATASET_KEYS)
        if unknown:
            _err(errors, d_path, f"Unknown key(s): {', '.join(unknown)}.")
        dataset = Dataset(
            system=system,
            name=raw.get("name") if isinstance(raw.get("name"), str) else "",
            kind=raw.get("kind", DatasetKind.TABLE),
            description=raw.get("description") or "",
            status=raw.get("status", Status.ACTIVE),
            owners=raw.get("owners") or [],
            tags=raw.get("tags") or [],
        )
        dataset._given = set(raw)
        if "name" in raw and not isinstance(raw["name"], str):
            _err(errors, f"{d_path}.name", "Must be a string.")
        try:
            dataset.full_clean(
                exclude=["system"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            for key, messages in _messages(exc).items():
                for message in messages:
                    _err(
                        errors,
                        f"{d_path}.{key}" if key and key != "__all__" else d_path,
                        message,
                    )
        if dataset.name:
            if dataset.name in seen_datasets:
                _err(
                    errors,
                    f"{d_path}.name",
                    f"Dataset {dataset.name!r} appears twice "
                    f"(also at datasets[{seen_datasets[dataset.name]}]).",
                )
            else:
                seen_datasets[dataset.name] = d_index
        fields: list[Field] = []
        raw_fields = raw.get("fields", [])
        if not isinstance(raw_fields, list):
            _err(errors, f"{d_path}.fields", "Expected a list of fields.")
            raw_fields = []
        seen_fields: dict[str, int] = {}
        for f_index, raw_field in enumerate(raw_fields):
            f_path = f"{d_path}.fields[{f_index}]"
            if not isinstance(raw_field, dict):
                _err(errors, f_path, "Expected an object.")
                continue
            unknown = sorted(set(raw_field) - FIELD_KEYS)
            if unknown:
                _err(errors, f_path, f"Unknown key(s): {', '.join(unknown)}.")
            name = raw_field.get("name")
            if "name" in raw_field and not isinstance(name, str):
                _err(errors, f"{f_path}.name", "Must be a string.")
                name = ""
            nullable = raw_field.get("nullable", True)
            if not isinstance(nullable, bool):
                _err(errors, f"{f_path}.nullable", "Must be true or false.")
                nullable = True
            ordinal = raw_field.get("ordinal", f_index + 1)
            if isinstance(ordinal, bool) or not isinstance(ordinal, int) or ordinal < 0:
                _err(errors, f"{f_path}.ordinal", "Must be a whole number, 0 or more.")
                ordinal = f_index + 1
            field_obj = Field(
                name=name or "",
                ordinal=ordinal,
                data_type=raw_field.get("data_type") or "",
                nullable=nullable,
                description=raw_field.get("description") or "",
                status=raw_field.get("status", Status.ACTIVE),
                tags=raw_field.get("tags") or [],
                tests=raw_field.get("tests") or [],
            )
            field_obj._given = set(raw_field) | {"ordinal"}
            try:
                field_obj.full_clean(
                    exclude=["dataset"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                for key, messages in _messages(exc).items():
                    for message in messages:
                        _err(
                            errors,
                            f"{f_path}.{key}" if key and key != "__all__" else f_path,
                            message,
                        )
            if field_obj.name:
                if field_obj.name in seen_fields:
                    _err(
                        errors,
                        f"{f_path}.name",
                        f"Field {field_obj.name!r} appears twice in this dataset "
                        f"(also at fields[{seen_fields[field_obj.name]}]).",
                    )
                else:
                    seen_fields[field_obj.name] = f_index
            fields.append(field_obj)
        rows.append((dataset, fields))
    return rows, errors


@transaction.atomic
def bulk_upsert(
    actor: Actor,
    system: SourceSystem,
    datasets,
    remove_missing: bool = False,
    *,
    remove_scope: Callable[[str], bool] | None = None,
    from_comments: bool = False,
) -> BulkResult:
    """Create or update one system's datasets and fields in one go. All or nothing: any bad row
    raises BulkRejected listing every bad row, and nothing is written. Running it twice
    with the same payload changes nothing the second time. With `remove_missing`, registered
    (not discovered) datasets and fields absent from the payload are marked `removed`; with
    `remove_scope`, only datasets whose name it accepts (the part of the system that was read).
    With `from_comments` the payload's descriptions are database comments: they fill empty
    descriptions and replace those that came from a comment, never one written in the
    catalog (those are listed in `kept_descriptions`)."""
    # One upsert of a system at a time: a client retrying a slow request must find the first
    # attempt's rows (and change nothing), not collide with them on the unique keys.
    system = SourceSystem.objects.select_for_update().get(pk=system.pk)
    rows, errors = validate_bulk(system, datasets)
    if errors:
        raise BulkRejected(errors)
    result = BulkResult(system=system.key)
    source = DescriptionSource.COMMENT if from_comments else DescriptionSource.WRITTEN
    for dataset, fields in rows:
        for obj in (dataset, *fields):
            obj.description_source = source if obj.description else DescriptionSource.WRITTEN
    apply = partial(_apply, from_comments=from_comments, kept=result.kept_descriptions)
    audit: list[tuple[str, object, dict | None, dict | None]] = []

    existing = {d.name: d for d in Dataset.objects.filter(system=system)}
    new_datasets, changed_datasets = [], []
    for dataset, _ in rows:
        current = existing.get(dataset.name)
        if current is None:
            new_datasets.append(dataset)
            continue
        before = snapshot(current)
        if apply(current, dataset, DATASET_ATTRS, clear_discovered=True):
            changed_datasets.append((current, before))
        else:
            result.unchanged.datasets += 1
    Dataset.objects.bulk_create(new_datasets, batch_size=1000)
    if changed_datasets:
        Dataset.objects.bulk_update(
            [d for d, _ in changed_datasets],
            [*DATASET_ATTRS, "description_source", "discovered", "updated_at"],
            batch_size=1000,
        )
    result.created.datasets = len(new_datasets)
    result.updated.datasets = len(changed_datasets)
    audit.extend((ChangeAction.CREATE, d, None, snapshot(d)) for d in new_datasets)
    audit.extend((ChangeAction.UPDATE, d, b, snapshot(d)) for d, b in changed_datasets)

    by_name = {**existing, **{d.name: d for d in new_datasets}}
    payload_ids = {by_name[d.name].pk for d, _ in rows}
    existing_fields: dict[tuple[int, str], Field] = {}
    if existing:
        for f in Field.objects.filter(
            dataset_id__in=[by_name[d.name].pk for d, _ in rows if d.name in existing]
        ):
            existing_fields[(f.dataset_id, f.name)] = f
    new_fields, changed_fields = [], []
    seen_field_keys = set()
    for dataset, fields in rows:
        saved = by_name[dataset.name]
        for field_obj in fields:
            key = (saved.pk, field_obj.name)
            seen_field_keys.add(key)
            current = existing_fields.get(key)
            if current is None:
                field_obj.dataset = saved
                new_fields.append(field_obj)
                continue
            before = snapshot(current)
            if apply(current, field_obj, FIELD_ATTRS, clear_discovered=True):
                changed_fields.append((current, before))
            else:
                result.unchanged.fields += 1
    Field.objects.bulk_create(new_fields, batch_size=2000)
    result.created.fields = len(new_fields)

    removed_datasets, removed_fields = [], []
    if remove_missing:
        for current in existing.values():
            if (
                current.pk not in payload_ids
                and not current.discovered
                and current.status != Status.REMOVED
                and (remove_scope is None or remove_scope(current.name))
            ):
                before = snapshot(current)
                current.status = Status.REMOVED
                # bulk_update skips auto_now: set it, so `updated_since` sees the removal.
                current.updated_at = timezone.now()
                removed_datasets.append((current, before))
        # A removed dataset's registered fields are removed with it.
        orphaned = Field.objects.filter(
            dataset_id__in=[d.pk for d, _ in removed_datasets], discovered=False
        ).exclude(status=Status.REMOVED)
        candidates = [*existing_fields.items(), *(((f.dataset_id, f.name), f) for f in orphaned)]
        for key, current in candidates:
            if (
                key not in seen_field_keys
                and not current.discovered
                and current.status != Status.REMOVED
            ):
                before = snapshot(current)
                current.status = Status.REMOVED
                current.updated_at = timezone.now()
                removed_fields.append((current, before))
        if removed_datasets:
            Dataset.objects.bulk_update([d for d, _ in removed_datasets], ["status", "updated_at"])
    all_changed_fields = changed_fields + removed_fields
    if all_changed_fields:
        Field.objects.bulk_update(
            [f for f, _ in all_changed_fields],
            [*FIELD_ATTRS, "description_source", "discovered", "updated_at"],
            batch_size=2000,
        )
    result.updated.fields = len(changed_fields)
    result.removed.datasets = len(removed_datasets)
    result.removed.fields = len(removed_fields)
    audit.extend((ChangeAction.CREATE, f, None, snapshot(f)) for f in new_fields)
    audit.extend((ChangeAction.UPDATE, f, b, snapshot(f)) for f, b in all_changed_fields)
    audit.extend((ChangeAction.UPDATE, d, b, snapshot(d)) for d, b in removed_datasets)
    for d in by_name.values():
        d.system = system  # each record names its dataset as `system:name`, without a query
    datasets_by_id = {d.pk: d for d in by_name.values()}
    removed_ids = {f.pk for f, _ in removed_fields}
    record_groups(actor, bulk_audit(audit, datasets_by_id, removed_ids), audit)
    return result


# What a bulk request's audit trail stores: one record per dataset it touched, instead of one
# full snapshot per field (a 1M-field ingest wrote 1M rows, three times the field table). The
# record is about the dataset; its `before`/`after` hold the dataset's own attributes that
# changed (all of them for a new dataset) and, under "fields", each field touched by name: a new
# field's attributes, a changed field's changed attributes before and after. "field_counts"
# counts them (always there: it tells this kind of record from a single object's). Each field
# gets a ChangeLink to the record, so its history finds it.

_NOT_AUDITED = {"id", "created_at", "updated_at"}
_CREATED_LEAVES_OUT = {*_NOT_AUDITED, "system_id", "dataset_id", "name"}


def _created(after: dict) -> dict:
    """A new row's attributes worth reading: no timestamps, parents or empty values."""
    out = {
        k: v for k, v in after.items() if k not in _CREATED_LEAVES_OUT and v not in ("", [], None)
    }
    if not after.get("description"):
        out.pop("description_source", None)
    if not after.get("discovered"):
        out.pop("discovered", None)
    return out


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if k not in _NOT_AUDITED and before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def bulk_audit(
    changes: list, datasets_by_id: dict[int, Dataset], removed_field_ids: set[int]
) -> list[Group]:
    """The audit records of one bulk request (see above), from its per-object changes."""
    groups: dict[int, Group] = {}

    def group(dataset) -> Group:
        found = groups.get(dataset.pk)
        if found is None:
            counts = {"created": 0, "updated": 0, "removed": 0}
            found = groups[dataset.pk] = Group(
                ChangeAction.UPDATE, dataset, {}, {"field_counts": counts}
            )
        return found

    for action, obj, before, after in changes:
        if isinstance(obj, Dataset):
            g = group(obj)
            if action == ChangeAction.CREATE:
                g.action, g.before = ChangeAction.CREATE, None
                g.after.update(_created(after))
            else:
                old, new = _diff(before, after)
                g.before.update(old)
                g.after.update(new)
    for action, obj, before, after in changes:
        if not isinstance(obj, Field):
            continue
        g = group(datasets_by_id[obj.dataset_id])
        g.members.append(obj)
        counts = g.after["field_counts"]
        if action == ChangeAction.CREATE:
            g.after.setdefault("fields", {})[obj.name] = {"id": obj.pk, **_created(after)}
            counts["created"] += 1
            continue
        old, new = _diff(before, after)
        if g.before is not None:
            g.before.setdefault("fields", {})[obj.name] = {"id": obj.pk, **old}
        g.after.setdefault("fields", {})[obj.name] = {"id": obj.pk, **new}
        counts["removed" if obj.pk in removed_field_ids else "updated"] += 1
    for g in groups.values():
        g.before = g.before or None
    return list(groups.values())


def _apply(
    current, incoming, attrs, clear_discovered: bool, from_comments: bool = False, kept=None
) -> bool:
    """Copy the attributes the payload gave from incoming to current; True if anything changed.
    An attribute left out of the payload keeps its value; a removed entry that reappears is
    active again. A description follows DescriptionSource (see bulk_upsert)."""
    changed = False
    given = getattr(incoming, "_given", set(attrs))
    for attr in attrs:
        if attr not in given:
            continue
        value = getattr(incoming, attr)
        if attr == "description":
            changed |= _apply_description(current, value, from_comments, kept)
            continue
        if getattr(current, attr) != value:
            setattr(current, attr, value)
            changed = True
    if "status" not in given and current.status == Status.REMOVED:
        current.status = Status.ACTIVE
        changed = True
    if clear_discovered and current.discovered:
        # Registered now: it is no longer only known from lineage.
        current.discovered = False
        changed = True
    if changed:
        current.updated_at = timezone.now()
    return changed


def _apply_description(current, value: str, from_comments: bool, kept) -> bool:
    if value == current.description:
        return False
    if not from_comments:
        current.description, current.description_source = value, DescriptionSource.WRITTEN
        return True
    if current.description and current.description_source != DescriptionSource.COMMENT:
        if value and kept is not None:
            kept.append(str(current))  # a person's words win over the database's comment
        return False
    current.description = value
    current.description_source = DescriptionSource.COMMENT if value else DescriptionSource.WRITTEN
    return True


# Import of many systems (manifests, introspection) -------------------------------------------


@transaction.atomic
def import_systems(
    actor: Actor, systems: list, remove_missing: bool = True, on_system=None
) -> list[BulkResult]:
    """Create or update systems with their datasets and fields, all or nothing. Every problem in
    every system is collected (paths like `systems[1].datasets[0].fields[3].name`) and raised
    together as BulkRejected before anything is written. `on_system(key)` is called after
    each system is written (progress bars)."""
    errors: list[dict] = []
    plans: list[tuple[SourceSystem, bool, dict, list]] = []
    seen: dict[str, int] = {}
    claimed: dict[str, str] = {}  # OpenLineage namespace -> the system of this import naming it
    if not isinstance(systems, list):
        raise BulkRejected([{"path": "systems", "message": "Expected a list."}])
    for s_index, raw in enumerate(systems):
        s_path = f"systems[{s_index}]"
        if not isinstance(raw, dict):
            _err(errors, s_path, "Expected an object.")
            continue
        unknown = sorted(set(raw) - SYSTEM_IMPORT_KEYS)
        if unknown:
            _err(errors, s_path, f"Unknown key(s): {', '.join(unknown)}.")
        key = str(raw.get("key") or "").strip().lower()
        if not key:
            _err(errors, f"{s_path}.key", "A system needs a key.")
            continue
        if key in seen:
            _err(errors, f"{s_path}.key", f"System {key!r} appears twice.")
            continue
        seen[key] = s_index
        attrs = {k: raw[k] for k in SYSTEM_ATTRS if k in raw}
        system = SourceSystem.objects.filter(key=key).first()
        created = system is None
        candidate = (
            SourceSystem(key=key, name=key) if created else SourceSystem.objects.get(pk=system.pk)
        )
        for k, v in attrs.items():
            setattr(candidate, k, v if v is not None else "")
        try:
            candidate.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for field_name, messages in _messages(exc).items():
                for message in messages:
                    _err(errors, f"{s_path}.{field_name}", message)
        for name in (
            candidate.openlineage_namespaces
            if isinstance(candidate.openlineage_namespaces, list)
            else []
        ):
            if name in claimed and claimed[name] != key:
                _err(
                    errors,
                    f"{s_path}.openlineage_namespaces",
                    f"{name!r} is also listed by system {claimed[name]!r} in this import.",
                )
            claimed.setdefault(name, key)
        rows = raw.get("datasets", [])
        _, dataset_errors = validate_bulk(candidate, rows)
        for problem in dataset_errors:
            errors.append(
                {
                    "path": f"{s_path}.{problem['path']}",
                    "message": problem["message"],
                }
            )
        plans.append((candidate, created, attrs, rows))
    if errors:
        raise BulkRejected(errors)
    results = []
    for candidate, created, attrs, rows in plans:
        if created:
            system = create_system(actor, {"key": candidate.key, "name": candidate.name, **attrs})
        else:
            system = SourceSystem.objects.get(key=candidate.key)
            if attrs:
                system = update_system(actor, system, attrs)
        results.append(bulk_upsert(actor, system, rows, remove_missing=remove_missing))
        if on_system is not None:
            on_system(system.key)
    return results


SYSTEM_ATTRS = (
    "name",
    "kind",
    "description",
    "environment",
    "lifecycle",
    "owning_team",
    "technical_contact",
    "openlineage_namespaces",
    "openlineage_database",
)
SYSTEM_IMPORT_KEYS = {"key", "datasets", *SYSTEM_ATTRS}
