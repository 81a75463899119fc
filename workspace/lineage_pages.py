"""What the lineage explorer and the pre-change check pages show, over the same services as the
API: the walk of /api/v1/lineage/graph/ (lineage.queries.walk, with its visibility rules) and
the check of POST /api/v1/lineage/check/ (lineage.queries.check_change), annotated with what
sits above lineage: approved definitions, classifications, the consumers who consulted a field
lately and the vendor contracts that carry it.

One result feeds the picture, the list and the CSV (`explore`). The picture is capped here, on
the server: a neighbourhood of 20,000 columns sends at most LINEAGE_PICTURE_CAP of them and
counts the rest as "+N more"."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from catalog.models import Dataset, Field
from consult.choices import ClassificationState
from consult.models import DecisionLog, FieldClassification
from core.choices import Role
from core.db import CHUNK
from core.pages import roles_of
from core.permissions import visible
from governance.choices import MappingStatus
from governance.models import FieldDefinition, FieldMapping
from governance.permissions import definitions_visible_to
from lineage import graph as g
from lineage import queries
from lineage.models import DatasetEdge, EtlJob, LineageEdge
from vendors.choices import VersionStatus
from vendors.models import ContractVersion, IntegrationContract

LIST_CAP = 500  # rows the page lists; the CSV has them all
CONSULTED_DAYS = 30
MAX_HOPS = 10
TYPES = {"all": g.ALL_TYPES, "direct": g.DIRECT}
IN_FORCE = (VersionStatus.APPROVED, VersionStatus.ACTIVE)
CSV_COLUMNS = [
    "direction",
    "ref",
    "depth",
    "path",
    "jobs",
    "definitions",
    "owners",
    "classifications",
    "consumers_last_30_days",
    "vendor_contracts",
]


# Page URLs (the design's fixed contract; some are built by other pages) -----------------------


def field_url(ref: str) -> str:
    return f"/catalog/fields/{quote(ref, safe=':')}/"


def dataset_url(ref: str) -> str:
    return f"/catalog/datasets/{quote(ref, safe=':')}/"


def job_url(key: str) -> str:
    return f"/lineage/jobs/{quote(key)}/"


def contract_url(key: str) -> str:
    return f"/vendors/contracts/{quote(key)}/"


def definition_url(key: str) -> str:
    return f"/definitions/{quote(key)}/"


def explorer_url(kind: str, ref: str, **params) -> str:
    return "/lineage/?" + urlencode({kind: ref, **params})


# The query ----------------------------------------------------------------------------------


@dataclass
class Query:
    kind: str  # "field" or "dataset"
    ref: str
    up: int = 1
    down: int = 1
    types: str = "all"

    @property
    def params(self) -> dict:
        return {self.kind: self.ref, "up": self.up, "down": self.down, "types": self.types}

    def url(self, **changes) -> str:
        params = {**self.params, **changes}
        return "/lineage/?" + urlencode(params)

    def api_url(self, direction: str) -> str:
        """The API question whose answer the list's rows of `direction` equal."""
        depth = self.up if direction == "upstream" else self.down
        return "/api/v1/lineage/graph/?" + urlencode(
            {self.kind: self.ref, "direction": direction, "depth": depth, "types": self.types}
        )


def read_query(params) -> Query | None:
    """The explorer's question from the URL's parameters; None when none is asked. Hops
    outside 0..MAX_HOPS are brought back into it; an unknown `types` reads as all."""
    for kind in ("field", "dataset"):
        ref = (params.get(kind) or "").strip()
        if not ref and params.get("kind") == kind:  # the page's own form: kind and ref
            ref = (params.get("ref") or "").strip()
        if ref:
            return Query(
                kind,
                ref,
                up=_hops(params.get("up"), 1),
                down=_hops(params.get("down"), 1),
                types=params.get("types") if params.get("types") in TYPES else "all",
            )
    return None


def _hops(value, default: int) -> int:
    try:
        return max(0, min(int(value), MAX_HOPS))
    except (TypeError, ValueError):
        return default


# The result ---------------------------------------------------------------------------------


@dataclass
class Row:
    direction: str
    ref: str
    depth: int
    path: list[str]
    jobs: list[str]
    node: int = 0
    definitions: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    classifications: list[str] = field(default_factory=list)
    consumers: list[str] = field(default_factory=list)
    contracts: list[str] = field(default_factory=list)
    description: str = ""
    lost: bool = False  # the pre-change check: would lose its lineage
    team: str = ""

    @property
    def url(self) -> str:
        return field_url(self.ref) if ":" in self.ref and "." in self.ref.split(":", 1)[1] else ""


@dataclass
class Result:
    query: Query
    node: Field | Dataset
    rows: list[Row]
    hidden: int  # nodes the caller may not read (by lineage or catalog rights), counted only
    hidden_edges: int
    partial: bool
    root: Row | None = None

    @property
    def is_field(self) -> bool:
        return self.query.kind == "field"

    def direction_rows(self, direction: str) -> list[Row]:
        return [r for r in self.rows if r.direction == direction]


def find(user, query: Query) -> Field | Dataset:
    """The field or dataset asked about: a 404 (NotFound) when unknown or hidden."""
    if query.kind == "field":
        return queries.find_field(user, query.ref)
    return queries.find_dataset(user, query.ref)


def explore(user, query: Query, *, annotate: bool = True) -> Result:
    """The walk the API answers for the same question, each direction with its own hops (0: not
    walked), less the rows the caller may not read in the catalog (counted in `hidden`), each
    row annotated with what governs it."""
    node = find(user, query)
    types = TYPES[query.types]
    rows: list[Row] = []
    hidden = hidden_edges = 0
    partial = False
    for direction, depth in (("upstream", query.up), ("downstream", query.down)):
        if not depth:
            continue
        answer = queries.walk(user, node, direction=direction, depth=depth, types=types)
        part = answer[direction]
        hidden += part["hidden"]["nodes"]
        hidden_edges += part["hidden"]["edges"]
        partial = partial or part["partial"]
        rows.extend(
            Row(direction, r["ref"], r["depth"], r["path"], r["jobs"]) for r in part["results"]
        )
    ids = _ids(query.kind, [r.ref for r in rows])
    readable = _readable(user, query.kind, set(ids.values()))
    kept = [r for r in rows if ids.get(r.ref) in readable]
    hidden += len({r.ref for r in rows} - {r.ref for r in kept})
    for row in kept:
        row.node = ids[row.ref]
    root = Row("", node.ref, 0, [node.ref], [], node=node.pk)
    if annotate:
        _annotate(user, query.kind, [root, *kept])
    return Result(query, node, kept, hidden, hidden_edges, partial or hidden > 0, root)


def _ids(kind: str, refs: list[str]) -> dict[str, int]:
    """{ref: id} for the refs a walk named: their datasets found first (few), then the
    columns of those datasets by name, matched here."""
    wanted = set(refs)
    pairs = {}
    for ref in wanted:
        system, _, rest = ref.partition(":")
        dataset = rest if kind == "dataset" else rest.rpartition(".")[0]
        pairs.setdefault((system, dataset), []).append(ref)
    datasets: dict[int, str] = {}
    keys = list(pairs)
    for start in range(0, len(keys), 200):
        condition = Q()
        for system, name in keys[start : start + 200]:
            condition |= Q(system__key=system, name=name)
        rows = Dataset.objects.filter(condition).values_list("pk", "system__key", "name")
        datasets.update({pk: f"{s}:{n}" for pk, s, n in rows})
    if kind == "dataset":
        return {ref: pk for pk, ref in datasets.items() if ref in wanted}
    out: dict[str, int] = {}
    ids = list(datasets)
    for start in range(0, len(ids), CHUNK):
        rows = Field.objects.filter(dataset_id__in=ids[start : start + CHUNK])
        for pk, dataset, name in rows.values_list("pk", "dataset_id", "name").iterator():
            ref = f"{datasets[dataset]}.{name}"
            if ref in wanted:
                out[ref] = pk
    return out


def _readable(user, kind: str, ids: set[int]) -> set[int]:
    if kind == "field":
        queryset = visible(user, Field.objects.all(), queries.FIELD_PARENTS)
    else:
        queryset = visible(user, Dataset.objects.all(), ("system",))
    out: set[int] = set()
    listed = list(ids)
    for start in range(0, len(listed), CHUNK):
        chunk = listed[start : start + CHUNK]
        out.update(queryset.filter(pk__in=chunk).values_list("pk", flat=True))
    return out


# What governs each row ----------------------------------------------------------------------


def _internal(user) -> bool:
    """Consumers' names are the company's business: not shown to vendors."""
    return user.is_superuser or bool(roles_of(user) - {Role.VENDOR})


def _annotate(user, kind: str, rows: list[Row]) -> None:
    ids = [r.node for r in rows]
    if kind == "field":
        fields = _by_chunks(
            ids,
            lambda chunk: Field.objects.filter(pk__in=chunk).values_list(
                "pk", "description", "dataset_id", "dataset__owners", "dataset__system__owning_team"
            ),
        )
        info = {pk: (desc, ds, owners, team) for pk, desc, ds, owners, team in fields}
        definitions = _definitions(user, ids)
        classes = _classifications(user, ids)
        consumers = _consumers(ids) if _internal(user) else {}
        contracts = _contracts(user, ids, {v[1] for v in info.values()}, info)
        for row in rows:
            desc, _ds, owners, team = info.get(row.node, ("", None, [], ""))
            row.description = desc
            row.owners = _owner_list(owners, team)
            row.definitions = definitions.get(row.node, [])
            row.classifications = classes.get(row.node, [])
            row.consumers = consumers.get(row.node, [])
            row.contracts = contracts.get(row.node, [])
        return
    datasets = _by_chunks(
        ids,
        lambda chunk: Dataset.objects.filter(pk__in=chunk).values_list(
            "pk", "description", "owners", "system__owning_team"
        ),
    )
    info = {pk: (desc, owners, team) for pk, desc, owners, team in datasets}
    contracts = _contracts(user, [], set(ids), {})
    for row in rows:
        desc, owners, team = info.get(row.node, ("", [], ""))
        row.description = desc
        row.owners = _owner_list(owners, team)
        row.contracts = contracts.get(row.node, [])


def _by_chunks(ids, query) -> list:
    out = []
    for start in range(0, len(ids), CHUNK):
        out.extend(query(ids[start : start + CHUNK]))
    return out


def _owner_list(owners, team: str) -> list[str]:
    names = [str(o) for o in (owners or []) if str(o).strip()]
    if team and team not in names:
        names.append(team)
    return names


def _definitions(user, ids: list[int]) -> dict[int, list[str]]:
    readable = definitions_visible_to(user, FieldDefinition.objects.all())
    out: dict[int, list[str]] = {}
    rows = _by_chunks(
        ids,
        lambda chunk: FieldMapping.objects.filter(
            field_id__in=chunk, status=MappingStatus.APPROVED, definition__in=readable
        ).values_list("field_id", "definition__key"),
    )
    for pk, key in sorted(rows, key=lambda r: r[1]):
        out.setdefault(pk, []).append(key)
    return out


def _classifications(user, ids: list[int]) -> dict[int, list[str]]:
    if not (user.is_superuser or user.has_perm("consult.view_fieldclassification")):
        return {}
    out: dict[int, list[str]] = {}
    rows = _by_chunks(
        ids,
        lambda chunk: (
            FieldClassification.objects.filter(field_id__in=chunk)
            .exclude(state=ClassificationState.OVERRIDDEN)
            .values_list("field_id", "classification__key")
        ),
    )
    for pk, key in sorted(set(rows), key=lambda r: r[1]):
        out.setdefault(pk, []).append(key)
    return out


def _consumers(ids: list[int]) -> dict[int, list[str]]:
    since = timezone.now() - datetime.timedelta(days=CONSULTED_DAYS)
    out: dict[int, list[str]] = {}
    rows = _by_chunks(
        ids,
        lambda chunk: (
            DecisionLog.objects.filter(field_id__in=chunk, at__gte=since)
            .values_list("field_id", "consumer_name")
            .distinct()
        ),
    )
    for pk, name in sorted(set(rows), key=lambda r: r[1]):
        out.setdefault(pk, []).append(name)
    return out


def _contracts(user, field_ids: list[int], dataset_ids: set, info: dict) -> dict[int, list[str]]:
    """Contracts in force (approved or active versions) the caller may read that carry the
    field, or its dataset; keyed by field id (or dataset id when `field_ids` is empty)."""
    readable = visible(user, IntegrationContract.objects.all(), ("vendor",))
    versions = ContractVersion.objects.filter(status__in=IN_FORCE, contract__in=readable)
    out: dict[int, set[str]] = {}
    by_dataset: dict[int, set[str]] = {}
    datasets = [d for d in dataset_ids if d is not None]
    for pk, key in _by_chunks(
        datasets,
        lambda chunk: versions.filter(datasets__in=chunk).values_list("datasets", "contract__key"),
    ):
        by_dataset.setdefault(pk, set()).add(key)
    for pk, key in _by_chunks(
        field_ids,
        lambda chunk: versions.filter(fields__in=chunk).values_list("fields", "contract__key"),
    ):
        out.setdefault(pk, set()).add(key)
    if not field_ids:
        return {pk: sorted(keys) for pk, keys in by_dataset.items()}
    for pk, (_desc, dataset, _owners, _team) in info.items():
        out.setdefault(pk, set()).update(by_dataset.get(dataset, ()))
    return {pk: sorted(keys) for pk, keys in out.items() if keys}


# The CSV ------------------------------------------------------------------------------------


def to_csv(result: Result) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in result.rows:
        writer.writerow(
            [
                row.direction,
                row.ref,
                row.depth,
                " > ".join(row.path),
                " ".join(row.jobs),
                " ".join(row.definitions),
                "; ".join(row.owners),
                " ".join(row.classifications),
                " ".join(row.consumers),
                " ".join(row.contracts),
            ]
        )
    return out.getvalue()


# The picture --------------------------------------------------------------------------------


def picture(user, result: Result, cap: int | None = None) -> dict:
    """The part of `result` the picture draws (its root and at most `cap` nodes, nearest
    first), the edges among them with their type, masking and job, and how many more there
    are per direction ("+N more") and how many the caller may not read ("hidden")."""
    cap = cap or settings.LINEAGE_PICTURE_CAP
    ordered = sorted(result.rows, key=lambda r: (r.depth, r.direction, r.ref))
    drawn = ordered[:cap]
    more = {"upstream": 0, "downstream": 0}
    for row in ordered[cap:]:
        more[row.direction] += 1
    root = result.root
    nodes = {root.node: (root, "root")}
    for row in drawn:
        nodes.setdefault(row.node, (row, row.direction))
    return {
        **elements(user, result.query.kind, nodes, TYPES[result.query.types]),
        "root": _node_id(result.query.kind, root.node),
        "more": more,
        "hidden": result.hidden,
        "hidden_edges": result.hidden_edges,
        "list_url": "#lineage-list",
    }


def _node_id(kind: str, pk: int) -> str:
    return f"{'f' if kind == 'field' else 'd'}{pk}"


def elements(user, kind: str, nodes: dict, types: int) -> dict:
    """Cytoscape elements for `nodes` ({id: (row, role)}): for columns, their datasets as
    parents; every stored edge among them the caller may read, of `types`."""
    ids = list(nodes)
    jobs = queries.allowed_jobs(user)
    out_nodes, edges = [], []
    if kind == "field":
        parents = {}
        for pk, ds, sys_key, ds_name, name in Field.objects.filter(pk__in=ids).values_list(
            "pk", "dataset_id", "dataset__system__key", "dataset__name", "name"
        ):
            row, role = nodes[pk]
            ds_ref = f"{sys_key}:{ds_name}"
            parents[ds] = ds_ref
            out_nodes.append(
                {
                    "id": f"f{pk}",
                    "kind": "field",
                    "label": name,
                    "ref": row.ref,
                    "parent": f"d{ds}",
                    "role": role,
                    "depth": row.depth,
                    "url": field_url(row.ref),
                    "explore": explorer_url("field", row.ref),
                }
            )
        for ds, ds_ref in parents.items():
            out_nodes.append(
                {
                    "id": f"d{ds}",
                    "kind": "dataset",
                    "label": ds_ref,
                    "ref": ds_ref,
                    "url": dataset_url(ds_ref),
                    "explore": explorer_url("dataset", ds_ref),
                }
            )
        stored = LineageEdge.objects.filter(source_id__in=ids, target_id__in=ids).values_list(
            "pk", "source_id", "target_id", "type", "subtype", "masking", "job_id", "job__key"
        )
        for pk, u, v, type_, subtype, masking, job, key in stored:
            if (jobs is not None and job not in jobs) or not (g.TYPE_BITS[type_] & types):
                continue
            edges.append(
                {
                    "id": f"e{pk}",
                    "source": f"f{u}",
                    "target": f"f{v}",
                    "type": type_,
                    "subtype": subtype,
                    "masking": bool(masking),
                    "job": key,
                    "job_url": job_url(key),
                }
            )
    else:
        for row, role in nodes.values():
            out_nodes.append(
                {
                    "id": f"d{row.node}",
                    "kind": "dataset",
                    "label": row.ref,
                    "ref": row.ref,
                    "role": role,
                    "depth": row.depth,
                    "url": dataset_url(row.ref),
                    "explore": explorer_url("dataset", row.ref),
                }
            )
        stored = DatasetEdge.objects.filter(source_id__in=ids, target_id__in=ids).values_list(
            "pk", "source_id", "target_id", "job_id", "job__key"
        )
        for pk, u, v, job, key in stored:
            if jobs is not None and job not in jobs:
                continue
            edges.append(
                {
                    "id": f"t{pk}",
                    "source": f"d{u}",
                    "target": f"d{v}",
                    "type": "DIRECT",
                    "subtype": "",
                    "masking": False,
                    "job": key,
                    "job_url": job_url(key),
                }
            )
    return {"kind": kind, "nodes": out_nodes, "edges": edges}


def path_picture(user, source: Field, target: Field, types: str) -> dict:
    """The paths between two columns (lineage.queries.paths, as GET .../graph/paths/ answers),
    with the elements to draw them (at most LINEAGE_PICTURE_CAP columns)."""
    found = queries.paths(user, source, target, types=TYPES[types], limit=20)
    refs = list(dict.fromkeys(ref for p in found["paths"] for ref in p["fields"]))
    ids = _ids("field", refs)
    cap = settings.LINEAGE_PICTURE_CAP
    nodes = {
        ids[ref]: (Row("", ref, 0, [], [], node=ids[ref]), "path")
        for ref in refs[:cap]
        if ref in ids
    }
    drawn = elements(user, "field", nodes, TYPES[types])
    return {
        **drawn,
        "paths": [
            [_node_id("field", ids[r]) for r in p["fields"] if r in ids] for p in found["paths"]
        ],
        "path_refs": [p["fields"] for p in found["paths"]],
        "count": found["count"],
        "hidden": found["hidden"]["paths"],
    }


# The pre-change check -----------------------------------------------------------------------


@dataclass
class Check:
    """lineage.queries.check_change's report (the API's and the CLI's verdict, unchanged) and
    what stands behind the fields it names."""

    report: dict
    fields: list[Row]
    lost: list[Row]

    @property
    def verdict(self) -> str:
        return queries.verdict(self.report)

    @property
    def exit_status(self) -> int:
        """What `manage.py lineage_check` would exit with in CI."""
        return {"breaking": 1, "unparsed": 2, "ok": 0}[self.verdict]


def annotate_check(user, report: dict) -> Check:
    affected = report.get("affected", {})
    refs = [f["ref"] for f in affected.get("fields", [])]
    ids = _ids("field", refs)
    rows = []
    for item in affected.get("fields", []):
        if item["ref"] in ids:
            rows.append(
                Row("downstream", item["ref"], item["depth"], [], [], node=ids[item["ref"]])
            )
    _annotate(user, "field", rows)
    by_ref = {r.ref: r for r in rows}
    for item in affected.get("fields", []):
        row = by_ref.get(item["ref"])
        if row is not None:
            row.lost = item["loses_lineage"]
            row.team = item["owning_team"]
    lost = [by_ref[r] for r in report.get("lineage_lost", []) if r in by_ref]
    return Check(report, rows, lost)


def jobs_for(user):
    """The jobs the caller may read, for the check's job picker."""
    return visible(user, EtlJob.objects.all()).order_by("key")
