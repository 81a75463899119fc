"""What the parser returns: column edges, per-statement lineage and the script's union.

The union collapses temp tables: edges into and out of a temp table are composed so that
lineage runs from the real sources to the real targets (docs/lineage-output.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lineage.sql.names import UNKNOWN

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
    # ("create" | "drop", table) in script order: which tables the script leaves behind
    lifecycle: list[tuple[str, str]] = field(default_factory=list, repr=False)
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
        return script_local_tables(self.statements)

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


def _column_of(column: str) -> str:
    return column.rsplit(".", 1)[1]


def script_local_tables(statements: list[StatementLineage]) -> set[str]:
    """Tables that do not outlive the script: created TEMPORARY (or `#tmp`), or created and
    later dropped (a DROP before the CREATE is the idempotent-load pattern: the table stays)."""
    temps: set[str] = set()
    state: dict[str, str] = {}
    for st in statements:
        temps |= st.temp_tables
        for event, name in st.lifecycle:
            if event == "create":
                state[name] = "created"
            elif state.get(name) == "created":
                state[name] = "dropped"
    return temps | {name for name, s in state.items() if s == "dropped"}


def _through(outer: ColumnEdge, inner: ColumnEdge) -> ColumnEdge:
    """``inner`` feeds a temp column that ``outer`` reads: one edge from source to target."""
    if outer.type == "INDIRECT" or inner.type == "INDIRECT":
        typ = "INDIRECT"
        sub = outer.subtype if outer.type == "INDIRECT" else inner.subtype
    else:
        typ = "DIRECT"
        sub = max(outer.subtype, inner.subtype, key=_DIRECT_ORDER.index)
    masking = typ == "DIRECT" and (outer.masking or inner.masking)
    # the expression that makes the edge what it is: the inner one for an inner filter, join...
    text = inner.expression if outer.type == "DIRECT" and inner.type == "INDIRECT" else None
    return ColumnEdge(inner.source, outer.target, typ, sub, text or outer.expression, masking)


class _TempGraph:
    """The edges into temp tables, to push a source in a temp table back to real sources."""

    def __init__(self, edges: list[ColumnEdge], temps: set[str]) -> None:
        self.temps = temps
        self.into_column: dict[str, list[ColumnEdge]] = {}
        self.into_table: dict[str, list[ColumnEdge]] = {}
        for e in edges:
            table = table_of(e.target)
            if table in temps:
                self.into_column.setdefault(e.target, []).append(e)
                self.into_table.setdefault(table, []).append(e)

    def resolve(self, e: ColumnEdge, seen: frozenset[str] = frozenset()) -> list[ColumnEdge]:
        """``e`` with its source traced back through temp tables; [] when nothing real feeds
        it (a temp table filled with constants), so no temp table is left in the result."""
        if table_of(e.source) not in self.temps:
            return [e]
        if e.source in seen:
            return []
        seen = seen | {e.source}
        out: list[ColumnEdge] = []
        for outer, inner in self._feeding(e):
            out.extend(self.resolve(_through(outer, inner), seen))
        return out

    def _feeding(self, e: ColumnEdge) -> list[tuple[ColumnEdge, ColumnEdge]]:
        """(outer, inner) pairs: ``inner`` feeds the temp column ``e`` reads; ``outer`` is
        ``e``, retargeted when a star passes columns on by name."""
        table, column = table_of(e.source), _column_of(e.source)
        if column != "*":
            return [(e, inner) for inner in self._into_column(table, column)]
        into = self.into_table.get(table, [])
        if _column_of(e.target) == "*":
            # `SELECT * FROM tmp`: each column of the temp table keeps its name
            tgt = table_of(e.target)
            return [(replace(e, target=f"{tgt}.{_column_of(i.target)}"), i) for i in into]
        # `count(*) FROM tmp`: the rows of the temp table, i.e. the rows of its sources
        rows = []
        for inner in into:
            if inner.type == "DIRECT":
                src_table = table_of(inner.source)
                if src_table == UNKNOWN:
                    continue
                inner = replace(inner, source=f"{src_table}.*")
            rows.append((e, inner))
        return rows

    def _into_column(self, table: str, column: str) -> list[ColumnEdge]:
        """Edges into ``table.column``; through `SELECT * FROM src` into the temp table, the
        column is src's column of that name (or, with several such sources, one of them)."""
        direct = self.into_column.get(f"{table}.{column}")
        if direct:
            return direct
        star = self.into_column.get(f"{table}.*", [])
        sources = {table_of(i.source) for i in star if i.type == "DIRECT"}
        out = []
        for inner in star:
            if inner.type == "DIRECT" and _column_of(inner.source) == "*" and len(sources) == 1:
                inner = replace(inner, source=f"{table_of(inner.source)}.{column}")
            out.append(replace(inner, target=f"{table}.{column}"))
        return out


def collapse_temps(edges: list[ColumnEdge], temps: set[str]) -> list[ColumnEdge]:
    """Compose edges through temp tables so lineage runs from real sources to real targets."""
    graph = _TempGraph(edges, temps)
    result: dict[tuple, ColumnEdge] = {}
    for e in edges:
        if table_of(e.target) in temps:
            continue
        for r in graph.resolve(e):
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
    st.lifecycle.extend(sub.lifecycle)
