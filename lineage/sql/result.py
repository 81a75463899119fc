"""What the parser returns: column edges, per-statement lineage and the script's union.

The union collapses temp tables: edges into and out of a temp table are composed so that
lineage runs from the real sources to the real targets (DESIGN.md, "Lineage extraction").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = (
    "insert",
    "create_table",
    "create_view",
    "merge",
    "update",
    "delete",
    "drop",
    "rename",
    "select",
    "other",
)

_DIRECT_ORDER = ("IDENTITY", "TRANSFORMATION", "AGGREGATION")


@dataclass(frozen=True)
class ColumnEdge:
    """One column-level edge, OpenLineage style."""

    source: str
    target: str
    type: str
    subtype: str
    expression: str = ""
    masking: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "source": self.source,
            "target": self.target,
            "type": self.type,
            "subtype": self.subtype,
            "expression": self.expression,
        }
        if self.masking:
            d["masking"] = True
        return d


@dataclass
class StatementLineage:
    """Lineage of one statement of a script."""

    index: int
    line: int
    kind: str = "other"
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    columns: list[ColumnEdge] = field(default_factory=list)
    renames: list[tuple[str, str]] = field(default_factory=list)
    drops: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    temp_tables: set[str] = field(default_factory=set)
    _seen: set[tuple] = field(default_factory=set, repr=False)

    def add_edge(self, edge: ColumnEdge) -> None:
        key = edge_key(edge)
        if key not in self._seen:
            self._seen.add(key)
            self.columns.append(edge)

    def set_kind(self, kind: str) -> None:
        """The first statement of a unit decides its kind (a T-SQL batch, a block)."""
        if self.kind == "other":
            self.kind = kind

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "line": self.line,
            "kind": self.kind,
            "tables": {"read": list(self.reads), "write": list(self.writes)},
            "columns": [c.to_dict() for c in self.columns],
            "renames": [list(r) for r in self.renames],
            "drops": list(self.drops),
            "error": self.error,
        }


@dataclass
class LineageResult:
    """All statements of a script plus their union (temp tables collapsed)."""

    statements: list[StatementLineage]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [s.error for s in self.statements if s.error]

    def tables(self) -> dict[str, list[str]]:
        temps = self._temps()
        reads: dict[str, None] = {}
        writes: dict[str, None] = {}
        for st in self.statements:
            for t in st.reads:
                if t not in temps:
                    reads[t] = None
            for t in st.writes:
                if t not in temps:
                    writes[t] = None
        return {"read": sorted(reads), "write": sorted(writes)}

    def columns(self) -> list[ColumnEdge]:
        temps = self._temps()
        edges: dict[tuple, ColumnEdge] = {}
        for st in self.statements:
            for e in st.columns:
                edges.setdefault(edge_key(e), e)
        if not temps:
            return list(edges.values())
        return collapse_temps(list(edges.values()), temps)

    def _temps(self) -> set[str]:
        temps: set[str] = set()
        for st in self.statements:
            temps |= st.temp_tables
        return temps

    def to_dict(self) -> dict[str, Any]:
        return {
            "statements": [s.to_dict() for s in self.statements],
            "tables": self.tables(),
            "columns": [c.to_dict() for c in self.columns()],
        }


def edge_key(e: ColumnEdge) -> tuple:
    return (e.source, e.target, e.type, e.subtype)


def table_of(column: str) -> str:
    return column.rsplit(".", 1)[0]


def _through(outer: ColumnEdge, inner: ColumnEdge) -> ColumnEdge:
    """``inner`` feeds a temp column that ``outer`` reads: one edge from source to target."""
    if outer.type == "INDIRECT" or inner.type == "INDIRECT":
        typ = "INDIRECT"
        sub = outer.subtype if outer.type == "INDIRECT" else inner.subtype
    else:
        typ = "DIRECT"
        sub = max(outer.subtype, inner.subtype, key=_DIRECT_ORDER.index)
    masking = typ == "DIRECT" and (outer.masking or inner.masking)
    return ColumnEdge(inner.source, outer.target, typ, sub, outer.expression, masking)


def collapse_temps(edges: list[ColumnEdge], temps: set[str]) -> list[ColumnEdge]:
    """Compose edges through temp tables so lineage runs from real sources to real targets."""
    into: dict[str, list[ColumnEdge]] = {}
    for e in edges:
        into.setdefault(e.target, []).append(e)

    def roots(e: ColumnEdge, seen: frozenset[str]) -> list[ColumnEdge]:
        if table_of(e.source) not in temps or e.source in seen:
            return [e]
        ups = into.get(e.source)
        if not ups:
            return [e]
        return [_through(e, r) for up in ups for r in roots(up, seen | {e.source})]

    result: dict[tuple, ColumnEdge] = {}
    for e in edges:
        if table_of(e.target) in temps:
            continue
        for r in roots(e, frozenset()):
            result.setdefault(edge_key(r), r)
    return list(result.values())


def add_unique(target: list[str], items: list[str]) -> None:
    """Append the items not there yet, keeping first-seen order."""
    for item in items:
        if item and item not in target:
            target.append(item)


def merge_statement(st: StatementLineage, sub: StatementLineage) -> None:
    """Fold the lineage of an inner statement (of a block or batch) into ``st``."""
    add_unique(st.reads, sub.reads)
    add_unique(st.writes, sub.writes)
    for e in sub.columns:
        st.add_edge(e)
    st.renames.extend(sub.renames)
    add_unique(st.drops, sub.drops)
    st.temp_tables |= sub.temp_tables
