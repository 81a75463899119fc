"""What a policy's `resource_key` names, per kind: checked and normalised when a policy is
saved, and resolved to the catalog object whose owners may approve it."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from catalog.models import Dataset, Field, SourceSystem
from catalog.refs import RefError, parse_dataset_ref, parse_field_ref
from governance.consult import adapters
from governance.consult.choices import ResourceKind


def resolve_resource(kind: str, key: str) -> str:
    """The normalised key; a ValidationError when it names nothing."""
    key = (key or "").strip()
    if kind == ResourceKind.DEFINITION:
        if not adapters.definition_exists(key):
            raise ValidationError(f"No definition with key {key!r}.")
        return key
    if kind == ResourceKind.CLASSIFICATION:
        from governance.consult.models import Classification

        if not Classification.objects.filter(key=key).exists():
            raise ValidationError(f"No classification {key!r}.")
        return key
    obj = catalog_object(kind, key)
    if obj is None:
        raise ValidationError(f"No {kind} {key!r} in the catalog.")
    return obj.ref if kind != ResourceKind.SYSTEM else obj.key


def catalog_object(kind: str, key: str):
    """The system, dataset or field a key names, or None (also for other kinds)."""
    try:
        if kind == ResourceKind.SYSTEM:
            return SourceSystem.objects.filter(key=key.strip().lower()).first()
        if kind == ResourceKind.DATASET:
            ref = parse_dataset_ref(key)
            return (
                Dataset.objects.select_related("system")
                .filter(system__key=ref.system, name=ref.dataset)
                .first()
            )
        if kind == ResourceKind.FIELD:
            ref = parse_field_ref(key)
            return (
                Field.objects.select_related("dataset__system")
                .filter(dataset__system__key=ref.system, dataset__name=ref.dataset, name=ref.column)
                .first()
            )
    except RefError as exc:
        raise ValidationError(str(exc)) from exc
    return None
