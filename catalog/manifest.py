"""Reading catalog manifests (JSON, YAML or CSV) into plain dicts, remembering the line each
entry came from so that errors can name it. No database access here.

JSON / YAML:
    systems:
      - key: pos
        name: Point of sale
        kind: pos
        datasets:
          - name: sales.transactions
            fields:
              - {name: amount, data_type: "numeric(12,2)", nullable: false}

CSV, one row per field (header required; only system, dataset and field are mandatory):
    system,system_name,system_kind,dataset,dataset_kind,dataset_description,field,ordinal,
    data_type,nullable,description
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CSV_REQUIRED = ("system", "dataset", "field")
CSV_COLUMNS = {
    "system",
    "system_name",
    "system_kind",
    "dataset",
    "dataset_kind",
    "dataset_description",
    "field",
    "ordinal",
    "data_type",
    "nullable",
    "description",
}


class ManifestError(Exception):
    """Problems with a manifest; each is (line or None, message)."""

    def __init__(self, path: str, problems: list[tuple[int | None, str]]):
        self.path = path
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(
            f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}"
            for line, message in self.problems
        )


@dataclass
class Manifest:
    systems: list[dict]
    # JSON-path-like location ("systems[0].datasets[2].fields[1]") -> 1-based line
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int | None:
        """The line of `path` or of its nearest enclosing entry."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(str(path), [(None, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ManifestError(str(path), [(None, f"not UTF-8 text ({exc.reason})")]) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _load_csv(str(path), text)
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ManifestError(str(path), [(exc.lineno, f"invalid JSON: {exc.msg}")]) from None
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else None
            raise ManifestError(str(path), [(line, f"invalid YAML: {exc}")]) from None
    else:
        raise ManifestError(
            str(path), [(None, "unknown file type; use .json, .yaml, .yml or .csv")]
        )
    if not isinstance(data, dict) or not isinstance(data.get("systems"), list):
        raise ManifestError(str(path), [(1, "expected an object with a 'systems' list")])
    return Manifest(systems=data["systems"], lines=_yaml_lines(text))


def _yaml_lines(text: str) -> dict[str, int]:
    """Map entry paths to lines by composing the text as YAML (JSON is read the same way)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}

    def walk(node, path: str) -> None:
        if path:
            lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                walk(value_node, f"{path}.{key}" if path else str(key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{path}[{index}]")

    if root is not None:
        walk(root, "")
    return lines


def _parse_bool(value: str) -> bool | str:
    lowered = value.strip().lower()
    if lowered in ("", "true", "yes", "y", "1"):
        return True
    if lowered in ("false", "no", "n", "0"):
        return False
    return value


def _load_csv(path: str, text: str) -> Manifest:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise ManifestError(path, [(1, f"missing column(s) in the header: {', '.join(missing)}")])
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown:
        raise ManifestError(path, [(1, f"unknown column(s) in the header: {', '.join(unknown)}")])
    problems: list[tuple[int | None, str]] = []
    systems: dict[str, dict] = {}
    lines: dict[str, int] = {}
    system_index: dict[str, int] = {}
    dataset_index: dict[tuple[str, str], int] = {}
    for row in reader:
        line = reader.line_num
        if None in row or any(v is None for v in row.values()):
            problems.append((line, f"expected {len(header)} columns"))
            continue
        for column in CSV_REQUIRED:
            if not row[column].strip():
                problems.append((line, f"'{column}' is empty"))
        if any(not row[c].strip() for c in CSV_REQUIRED):
            continue
        key = row["system"].strip()
        if key not in systems:
            system_index[key] = len(systems)
            systems[key] = {"key": key, "datasets": []}
            lines[f"systems[{system_index[key]}]"] = line
        system = systems[key]
        if row.get("system_name"):
            system["name"] = row["system_name"].strip()
        if row.get("system_kind"):
            system["kind"] = row["system_kind"].strip()
        s_i = system_index[key]
        dkey = (key, row["dataset"].strip().lower())
        if dkey not in dataset_index:
            dataset_index[dkey] = len(system["datasets"])
            entry = {"name": row["dataset"].strip(), "fields": []}
            if row.get("dataset_kind"):
                entry["kind"] = row["dataset_kind"].strip()
            if row.get("dataset_description"):
                entry["description"] = row["dataset_description"].strip()
            system["datasets"].append(entry)
            lines[f"systems[{s_i}].datasets[{dataset_index[dkey]}]"] = line
        d_i = dataset_index[dkey]
        dataset = system["datasets"][d_i]
        field_entry: dict = {"name": row["field"].strip()}
        if row.get("ordinal", "").strip():
            try:
                field_entry["ordinal"] = int(row["ordinal"])
            except ValueError:
                problems.append((line, f"ordinal {row['ordinal']!r} is not a whole number"))
        if row.get("data_type", "").strip():
            field_entry["data_type"] = row["data_type"].strip()
        if "nullable" in row:
            nullable = _parse_bool(row["nullable"])
            if isinstance(nullable, str):
                problems.append((line, f"nullable {nullable!r} is not true/false"))
            else:
                field_entry["nullable"] = nullable
        if row.get("description", "").strip():
            field_entry["description"] = row["description"].strip()
        lines[f"systems[{s_i}].datasets[{d_i}].fields[{len(dataset['fields'])}]"] = line
        dataset["fields"].append(field_entry)
    if problems:
        raise ManifestError(path, problems)
    return Manifest(systems=list(systems.values()), lines=lines)
