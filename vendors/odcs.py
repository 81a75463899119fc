"""Contract versions as Open Data Contract Standard (ODCS v3) documents, and back.

The datasets and fields a version carries are the `schema` (objects and their properties), its
SLAs the `slaProperties`, the vendor's contacts the `team` and the escalation levels the
`support` channels. What ODCS has no place for (the interface, the RACI, error handling and the
escalation levels themselves) travels in `customProperties`, so that export, import and export
again give the same document. `support` and `team` are written for readers and other tools;
on import the escalation levels are read from `customProperties` alone."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

import yaml
from jsonschema import Draft201909Validator

from vendors.models import ContractVersion

API_VERSION = "v3.1.0"
CATALOG_REF = "catalogRef"
CARRIED_WHOLE = "carriedWhole"

INTERFACE = (
    "source_system",
    "target_system",
    "direction",
    "mechanism",
    "endpoint",
    "data_format",
    "schedule",
    "expected_volume",
    "lineage_jobs",
    "schema_change_notice_days",
    "effective_from",
    "effective_until",
)
ERROR_HANDLING = (
    "error_detection",
    "retry_attempts",
    "retry_backoff",
    "quarantine",
    "replay_procedure",
    "notify_party",
    "notify_within_minutes",
)
RACI = ("activity", "role", "party_kind", "party")
ESCALATION = (
    "level",
    "contact",
    "contact_email",
    "internal_contact",
    "response_time",
    "response_unit",
)
# What is null when left out on import (the rest is empty text).
NULLABLE = {"schema_change_notice_days", "retry_attempts", "notify_within_minutes", "level",
            "response_time", "effective_from", "effective_until"}  # fmt: skip
SLA_KEYS = {"metric": "property", "target": "value", "unit": "unit", "description": "description"}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@cache
def schema() -> dict:
    """The standard's own JSON schema, as shipped by the open-data-contract-standard package."""
    text = resources.files("open_data_contract_standard").joinpath("schema.json").read_text()
    return json.loads(text)


def path_of(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def schema_problems(doc) -> list[dict]:
    """Every place where `doc` breaks the ODCS JSON schema, each with its path."""
    validator = Draft201909Validator(schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: (path_of(e.absolute_path), e.message))
    return [{"path": path_of(e.absolute_path), "message": e.message} for e in errors]


def parse(text: str) -> dict:
    """A YAML (or JSON, which is YAML) document; a ValueError says why it is not one."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"Not a YAML or JSON document: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError("An ODCS document is a mapping (apiVersion, kind, id, ...).")
    return doc


def dump(doc: dict, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


# Export ---------------------------------------------------------------------------------------


def _number(value) -> int | float:
    """An SLA target without trailing zeros: 99.5, not 99.500; 6, not 6.000."""
    value = Decimal(str(value)).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


LOGICAL_TYPES = (  # the first matching prefix of the lower-cased SQL type wins
    (("bool",), "boolean"),
    (("timestamp", "datetime"), "timestamp"),
    (("date",), "date"),
    (("time",), "time"),
    (("int", "bigint", "smallint", "tinyint", "integer", "serial"), "integer"),
    (("dec", "numeric", "number", "float", "double", "real", "money"), "number"),
    (("json", "struct", "object"), "object"),
    (("array",), "array"),
)


def logical_type(data_type: str) -> str:
    """The ODCS logical type of a catalog field's SQL type; text when unknown. The standard's
    3.2.0 schema requires one on every property in practice (its `map` rule applies to a
    property that has none), and `physicalType` keeps the exact type."""
    text = data_type.strip().lower()
    for prefixes, logical in LOGICAL_TYPES:
        if text.startswith(prefixes):
            return logical
    return "string"


def _compact(row: dict) -> dict:
    """Keys in camelCase, empty values left out (import reads them back as empty)."""
    return {camel(k): v for k, v in row.items() if v not in ("", None, [])}


def _text(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def export(version: ContractVersion) -> dict:
    """The version as an ODCS v3 document (a plain dict, ready for YAML or JSON)."""
    contract, vendor = version.contract, version.contract.vendor
    fields = list(version.fields.select_related("dataset__system").order_by("id"))
    whole = set(version.datasets.values_list("pk", flat=True))
    datasets = {f.dataset for f in fields} | set(version.datasets.select_related("system"))
    objects = []
    for dataset in sorted(datasets, key=lambda d: d.ref):
        obj = {"name": dataset.name, "physicalType": dataset.kind}
        if dataset.description:
            obj["description"] = dataset.description
        props = [
            {
                "name": f.name,
                "logicalType": logical_type(f.data_type),
                **({"physicalType": f.data_type} if f.data_type else {}),
                "required": not f.nullable,
                **({"description": f.description} if f.description else {}),
                "customProperties": [{"property": CATALOG_REF, "value": f.ref}],
            }
            for f in sorted(fields, key=lambda f: (f.ordinal, f.name))
            if f.dataset_id == dataset.pk
        ]
        if props:
            obj["properties"] = props
        obj["customProperties"] = [
            {"property": CATALOG_REF, "value": dataset.ref},
            {"property": CARRIED_WHOLE, "value": dataset.pk in whole},
        ]
        objects.append(obj)
    escalation = list(version.escalation.select_related("contact").order_by("level"))
    interface = {
        "source_system": version.source_system.key,
        "target_system": version.target_system.key,
        **{k: _text(getattr(version, k)) for k in INTERFACE[2:]},
    }
    doc = {
        "apiVersion": API_VERSION,
        "kind": "DataContract",
        "id": contract.key,
        "name": contract.name,
        "version": f"{version.number}.0.0",
        "status": version.status,
    }
    if contract.description:
        doc["description"] = {"purpose": contract.description}
    doc["schema"] = objects
    doc["slaProperties"] = [
        {"property": s.metric, "value": _number(s.target), "unit": s.unit}
        | ({"description": s.description} if s.description else {})
        for s in version.slas.order_by("metric", "id")
    ]
    doc["support"] = [_support(level) for level in escalation]
    contacts = vendor.contacts.order_by("escalation_level", "name", "id")
    doc["team"] = {
        "name": vendor.name,
        "members": [
            {"username": c.email or c.name, "name": c.name} | ({"role": c.role} if c.role else {})
            for c in contacts
        ],
    }
    raci = version.raci.order_by("activity", "role", "party_kind", "party")
    doc["customProperties"] = [
        {"property": "interface", "value": _compact(interface)},
        {"property": "raci", "value": [_compact(dict(zip(RACI, r, strict=True))) for r in
                                       raci.values_list(*RACI)]},
        {"property": "errorHandling",
         "value": _compact({k: getattr(version, k) for k in ERROR_HANDLING})},
        {"property": "escalation", "value": [_compact(_escalation(level)) for level in escalation]},
    ]  # fmt: skip
    return doc


def _escalation(level) -> dict:
    return {
        "level": level.level,
        "contact": level.contact.name if level.contact_id else "",
        "contact_email": level.contact.email if level.contact_id else "",
        "internal_contact": level.internal_contact,
        "response_time": level.response_time,
        "response_unit": level.response_unit,
    }


def _support(level) -> dict:
    item = {
        "channel": f"escalation-level-{level.level}",
        "scope": "issues",
        "description": f"Escalation level {level.level}: {level.contact_label}, answers within "
        f"{level.response_time} {level.response_unit}.",
    }
    email = level.contact.email if level.contact_id else ""
    if email:
        item |= {"tool": "email", "url": f"mailto:{email}"}
    return item


# Import ---------------------------------------------------------------------------------------


class Reading:
    """The document read as the version API's payload, remembering where in the document each
    part of the payload came from, so that a problem found later is reported at its place."""

    def __init__(self, doc: dict, contacts) -> None:
        self.doc, self.contacts = doc, list(contacts)
        self.payload: dict = {"datasets": [], "fields": []}
        self.where: dict[str, str] = {}
        self.problems: list[dict] = []
        # A part missing or of the wrong shape: what the version API would then say about its
        # contents would only repeat it.
        self.broken = False
        self._schema()
        self._slas()
        self._custom()

    def problem(self, path: str, message: str, broken: bool = False) -> None:
        self.problems.append({"path": path, "message": message})
        self.broken = self.broken or broken

    def _schema(self) -> None:
        for i, obj in enumerate(self.doc.get("schema") or []):
            custom = {p.get("property"): p.get("value") for p in obj.get("customProperties", [])}
            ref = custom.get(CATALOG_REF) or obj.get("physicalName") or obj.get("name")
            if custom.get(CARRIED_WHOLE) or not obj.get("properties"):
                self.where[f"datasets[{len(self.payload['datasets'])}]"] = f"schema[{i}]"
                self.payload["datasets"].append(ref)
            for j, prop in enumerate(obj.get("properties") or []):
                own = {p.get("property"): p.get("value") for p in prop.get("customProperties", [])}
                at = len(self.payload["fields"])
                self.where[f"fields[{at}]"] = f"schema[{i}].properties[{j}]"
                self.payload["fields"].append(own.get(CATALOG_REF) or f"{ref}.{prop.get('name')}")

    def _slas(self) -> None:
        rows = []
        for i, item in enumerate(self.doc.get("slaProperties") or []):
            self.where[f"slas[{i}]"] = f"slaProperties[{i}]"
            value = item.get("value")
            try:
                target = str(Decimal(str(value)))
            except InvalidOperation:
                target = value
            rows.append(
                {
                    "metric": item.get("property"),
                    "target": target,
                    "unit": item.get("unit") or "",
                    "description": item.get("description") or "",
                }
            )
        self.payload["slas"] = rows

    def _custom(self) -> None:
        custom = {}
        for i, item in enumerate(self.doc.get("customProperties") or []):
            custom[item.get("property")] = (i, item.get("value"))
        self._mapping(custom, "interface", INTERFACE)
        self._mapping(custom, "errorHandling", ERROR_HANDLING)
        self._rows(custom, "raci", "raci", RACI)
        self._rows(custom, "escalation", "escalation", ESCALATION)
        for index, row in enumerate(self.payload["escalation"]):
            self._contact(index, row)

    def _mapping(self, custom: dict, name: str, keys: tuple) -> None:
        i, value = custom.get(name, (None, {}))
        base = f"customProperties[{i}].value" if i is not None else "customProperties"
        if i is None:
            self.problem("customProperties", f"The custom property {name!r} is missing.", True)
        elif not isinstance(value, dict):
            keys_text = ", ".join(map(camel, keys))
            self.problem(base, f"{name!r} is a mapping of {keys_text}.", True)
            value = {}
        for key in keys:
            self.payload[key] = value.get(camel(key), None if key in NULLABLE else "")
            self.where[key] = f"{base}.{camel(key)}"
        if "lineage_jobs" in keys and not self.payload["lineage_jobs"]:
            self.payload["lineage_jobs"] = []
        self._unknown(base, value, keys)

    def _rows(self, custom: dict, name: str, target: str, keys: tuple) -> None:
        i, value = custom.get(name, (None, []))
        base = f"customProperties[{i}].value" if i is not None else "customProperties"
        if i is not None and not isinstance(value, list):
            self.problem(base, f"{name!r} is a list.", True)
            value = []
        self.where[target] = base
        rows = []
        for index, row in enumerate(value):
            self.where[f"{target}[{index}]"] = f"{base}[{index}]"
            if not isinstance(row, dict):
                self.problem(f"{base}[{index}]", "Expected a mapping.", True)
                row = {}
            rows.append({k: row.get(camel(k), None if k in NULLABLE else "") for k in keys})
            self._unknown(f"{base}[{index}]", row, keys)
        self.payload[target] = rows

    def _unknown(self, base: str, value: dict, keys: tuple) -> None:
        allowed = {camel(k) for k in keys}
        for key in value:
            if key not in allowed:
                self.problem(f"{base}.{key}", f"Unknown key; expected one of {sorted(allowed)}.")

    def _contact(self, index: int, row: dict) -> None:
        name, email = row.pop("contact"), row.pop("contact_email")
        row["contact"] = None
        if not (name or email):
            return
        found = [
            c
            for c in self.contacts
            if (not email or c.email == email) and (not name or c.name == name)
        ]
        if len(found) != 1:
            who = " ".join(x for x in (name, f"<{email}>" if email else "") if x)
            self.problem(
                f"{self.where[f'escalation[{index}]']}.contact",
                f"{who} is not a contact of this vendor."
                if not found
                else f"{who} names {len(found)} contacts of this vendor; give the e-mail too.",
            )
        else:
            row["contact"] = found[0].pk

    def locate(self, path: str) -> str:
        """The document path of a problem the version API reports at `path`."""
        if path in self.where:
            return self.where[path]
        match = re.match(r"^(\w+\[\d+\])\.(\w+)(.*)$", path)
        if match and match.group(1) in self.where:
            head, key, rest = match.groups()
            key = SLA_KEYS.get(key, key) if head.startswith("slas[") else camel(key)
            return f"{self.where[head]}.{key}{rest}"
        head = re.match(r"^(\w+)", path)
        if head and head.group(1) in self.where:
            return self.where[head.group(1)] + path[len(head.group(1)) :]
        return path
