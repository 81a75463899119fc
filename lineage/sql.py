"""Column-level lineage extracted from ETL SQL scripts (pure: no Django).

``extract_lineage(sql, dialect, schema)`` splits a script with sqlparse, parses each statement
with sqlglot, qualifies it once against the known schema and traces every target column to
the source columns feeding it. Statements sqlglot cannot parse are reported with their line
and get table-level lineage from a sqlparse token scan. The result's ``to_dict()`` is the
shape documented in DESIGN.md ("Lineage extraction, as a library").
"""

from __future__ import annotations

import contextlib
import ctypes
import heapq
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import sqlglot
import sqlparse
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope
from sqlglot.schema import MappingSchema

from lineage.sql_columns import Sources, Tracer, clause_columns, star_qualifier
from lineage.sql_fallback import fallback_tables, procedural_statements

__all__ = ["ColumnEdge", "LineageResult", "StatementLineage", "extract_lineage"]

DEFAULT_TIMEOUT = 10.0

# Corpus / user dialect names that sqlglot spells differently or does not know.
DIALECT_ALIASES: dict[str, str | None] = {
    "ansi": None,
    "generic": None,
    "sparksql": "spark",
    "spark_sql": "spark",
    "mariadb": "mysql",
    "greenplum": "postgres",
    "postgresql": "postgres",
    "vertica": "postgres",
    "db2": None,
    "sqlserver": "tsql",
    "mssql": "tsql",
    "azuresynapse": "tsql",
    "synapse": "tsql",
    "fabric": "fabric",
    "netezza": "postgres",
}

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

# Spark's `parquet.`/path``: a file read through its format's pseudo-schema.
_FILE_FORMATS = frozenset(
    {"parquet", "json", "csv", "orc", "avro", "text", "delta", "binaryfile", "iceberg", "hudi"}
)


# ====================================================================== result types
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
        key = _edge_key(edge)
        if key not in self._seen:
            self._seen.add(key)
            self.columns.append(edge)

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
                edges.setdefault(_edge_key(e), e)
        if not temps:
            return list(edges.values())
        return _collapse_temps(list(edges.values()), temps)

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


def _edge_key(e: ColumnEdge) -> tuple:
    return (e.source, e.target, e.type, e.subtype)


def _table_of(column: str) -> str:
    return column.rsplit(".", 1)[0]


def _collapse_temps(edges: list[ColumnEdge], temps: set[str]) -> list[ColumnEdge]:
    """Compose edges through temp tables so lineage runs from real sources to real targets."""
    into: dict[str, list[ColumnEdge]] = {}
    for e in edges:
        into.setdefault(e.target, []).append(e)

    def roots(e: ColumnEdge, seen: frozenset[str]) -> list[ColumnEdge]:
        if _table_of(e.source) not in temps or e.source in seen:
            return [e]
        ups = into.get(e.source)
        if not ups:
            return [e]
        out = []
        for up in ups:
            for r in roots(up, seen | {e.source}):
                indirect = e.type == "INDIRECT" or r.type == "INDIRECT"
                if indirect:
                    typ, sub = "INDIRECT", e.subtype if e.type == "INDIRECT" else r.subtype
                else:
                    typ = "DIRECT"
                    order = ("IDENTITY", "TRANSFORMATION", "AGGREGATION")
                    sub = max(e.subtype, r.subtype, key=order.index)
                masking = typ == "DIRECT" and (e.masking or r.masking)
                out.append(ColumnEdge(r.source, e.target, typ, sub, e.expression, masking))
        return out

    result: dict[tuple, ColumnEdge] = {}
    for e in edges:
        if _table_of(e.target) in temps:
            continue
        for r in roots(e, frozenset()):
            result.setdefault(_edge_key(r), r)
    return list(result.values())


# ====================================================================== timeout
class StatementTimeout(BaseException):
    """Raised inside the analysing thread when a statement overruns its time budget.

    A BaseException so that the broad ``except Exception`` retries inside sqlglot and in
    this module cannot swallow it.
    """


class _Watchdog:
    """One daemon thread that interrupts overrunning statements in any thread.

    Signals only work in the main thread and would clobber a caller's own SIGALRM, so the
    watchdog injects an asynchronous exception into the analysing thread instead; sqlglot is
    pure Python, so the exception lands within a few bytecodes.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, int] = {}  # token -> thread id
        self._fired: dict[int, int] = {}  # token -> thread id, fired but not yet disarmed
        self._tokens = itertools.count(1)
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float) -> int:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="lineage-sql-watchdog", daemon=True
                )
                self._thread.start()
            token = next(self._tokens)
            self._armed[token] = threading.get_ident()
            heapq.heappush(self._heap, (time.monotonic() + seconds, token))
            self._cond.notify()
            return token

    def disarm(self, token: int) -> bool:
        """Stop watching; True when the deadline had already fired."""
        with self._cond:
            self._armed.pop(token, None)
            tid = self._fired.pop(token, None)
            if tid is None:
                return False
            # the exception may still be pending if it had not been raised yet: clear it
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)
            return True

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                tid = self._armed.pop(token)
                self._fired[token] = tid
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(tid), ctypes.py_object(StatementTimeout)
                )


_WATCHDOG = _Watchdog()


# ====================================================================== helpers
def normalize_dialect(dialect: str | None) -> str | None:
    """Map user / corpus dialect names onto sqlglot's; unknown names fall back to generic."""
    if not dialect:
        return None
    name = dialect.strip().lower()
    if name in DIALECT_ALIASES:
        return DIALECT_ALIASES[name]
    return name if name in _known_dialects() else None


_KNOWN: set[str] = set()


def _known_dialects() -> set[str]:
    if not _KNOWN:
        from sqlglot.dialects.dialect import Dialects

        _KNOWN.update(d.value for d in Dialects if d.value)
    return _KNOWN


def table_name(t: exp.Expression) -> str | None:
    """`db.tab` as written, lower-cased; ``path:<uri>`` for files; None for table functions."""
    if not isinstance(t, exp.Table):
        return None
    this = t.this
    if not isinstance(this, exp.Identifier):
        return None
    name = this.name
    if this.args.get("global_"):
        name = "##" + name
    elif this.args.get("temporary"):
        name = "#" + name
    db = t.args.get("db")
    catalog = t.args.get("catalog")
    if (
        db is not None
        and catalog is None
        and db.name.lower() in _FILE_FORMATS
        and this.quoted
        and ("/" in name or ":" in name)
    ):
        return "path:" + name.lower()
    parts = [p.name for p in (catalog, db) if p is not None and p.name]
    parts.append(name)
    return ".".join(parts).lower()


def _collapse_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class _SchemaStore:
    """User schema plus tables created earlier in the script (session metadata)."""

    def __init__(self, schema: dict[str, list[str]] | None) -> None:
        self.tables: dict[str, list[str]] = {}
        for name, cols in (schema or {}).items():
            self.tables[str(name).lower()] = [str(c).lower() for c in cols]
        self._cache: dict[tuple, MappingSchema | None] = {}

    def columns(self, name: str | None) -> list[str] | None:
        if not name:
            return None
        return self.tables.get(name)

    def mapping_for(self, names: set[str], dialect: str | None) -> MappingSchema | None:
        """A MappingSchema holding just the referenced tables (sqlglot needs uniform depth)."""
        picked = [(n, self.tables[n]) for n in sorted(names) if n in self.tables]
        if not picked:
            return None
        by_depth: dict[int, list[tuple[str, list[str]]]] = {}
        for n, cols in picked:
            by_depth.setdefault(n.count("."), []).append((n, cols))
        group = max(by_depth.values(), key=len)
        key = (dialect, tuple((n, tuple(c)) for n, c in group))
        if key in self._cache:
            return self._cache[key]
        nested: dict[str, Any] = {}
        for n, cols in group:
            parts = n.split(".")
            d = nested
            for p in parts[:-1]:
                d = d.setdefault(p, {})
            d[parts[-1]] = {c: "UNKNOWN" for c in cols}
        try:
            ms: MappingSchema | None = MappingSchema(nested, dialect=dialect)
        except Exception:
            ms = None
        self._cache[key] = ms
        return ms


# ====================================================================== splitting
_LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|#[^\n]*(?:\n|$))*", re.S)


def split_statements(sql: str) -> list[tuple[str, int, int]]:
    """(text, line, column) of each statement, 1-based, from sqlparse's splitter."""
    out = []
    offset = 0
    stack = sqlparse.engine.FilterStack(strip_semicolon=False)
    for stmt in stack.run(sql):
        raw = str(stmt)
        start = offset
        offset += len(raw)
        m = _LEADING_NOISE.match(raw)
        skip = m.end() if m else 0
        body = raw[skip:].rstrip()
        if not body.strip().strip(";").strip():
            continue
        pos = start + skip
        line = sql.count("\n", 0, pos) + 1
        col = pos - (sql.rfind("\n", 0, pos) + 1) + 1
        out.append((body, line, col))
    return out


# ====================================================================== the analyser
class _Analyser:
    def __init__(self, dialect: str | None, schema: _SchemaStore) -> None:
        self.dialect = dialect
        self.schema = schema
        self.temps: set[str] = set()
        self._text = ""  # the text the current tree was parsed from (for token offsets)

    # ---------------------------------------------------------------- statement entry
    def analyse_text(self, text: str, st: StatementLineage, col0: int) -> None:
        unknown = _unknown_statement_word(text, self.dialect)
        if unknown is not None:
            st.error = {
                "message": f"{unknown!r} does not start a SQL statement "
                "(expected SELECT, INSERT, CREATE, ...)",
                "line": st.line,
                "column": col0,
            }
            return
        if _PROCEDURAL.match(text):
            self._procedural(text, st, st.line, col0)
            return
        try:
            trees = [t for t in sqlglot.parse(text, read=self.dialect) if t is not None]
        except ParseError as e:
            if self._try_without_semicolons(text, st, col0):
                return
            if self._try_compound_assignment(text, st):
                return
            st.error = _parse_error(e, st.line, col0)
            self._fallback(text, st)
            return
        except Exception as e:  # tokenizer errors and the like
            st.error = {"message": _short(e), "line": st.line, "column": col0}
            self._fallback(text, st)
            return
        for tree in trees:
            self.analyse_tree(tree, st, text)

    def _try_without_semicolons(self, text: str, st: StatementLineage, col0: int) -> bool:
        """T-SQL scripts often omit semicolons: retry statement by statement."""
        if self.dialect not in ("tsql", "fabric"):
            return False
        parts = procedural_statements(text, self.dialect)
        if len(parts) < 2:
            return False
        try:
            trees = [sqlglot.parse_one(p, read=self.dialect) for p, _ in parts]
        except Exception:
            return False
        for tree in trees:
            self.analyse_tree(tree, st, text)
        return True

    def _try_compound_assignment(self, text: str, st: StatementLineage) -> bool:
        """T-SQL `SET col += expr` (not parsed by sqlglot) is `SET col = col + expr`."""
        if self.dialect not in ("tsql", "fabric") or not _COMPOUND.search(text):
            return False
        rewritten = _COMPOUND.sub(lambda m: f"{m.group(1)} = {m.group(1)} {m.group(2)} ", text)
        try:
            trees = [t for t in sqlglot.parse(rewritten, read=self.dialect) if t is not None]
        except Exception:
            return False
        for tree in trees:
            self.analyse_tree(tree, st, rewritten)
        return True

    def _procedural(self, text: str, st: StatementLineage, line0: int, col0: int) -> None:
        """Procedure / block bodies: every inner DML statement, as one unit."""
        st.kind = "other"
        for part, rel_line in procedural_statements(text, self.dialect):
            try:
                tree = sqlglot.parse_one(part, read=self.dialect)
            except Exception as e:
                if st.error is None and isinstance(e, ParseError):
                    st.error = _parse_error(e, line0 + rel_line - 1, 1)
                sub = StatementLineage(index=st.index, line=st.line)
                self._fallback(part, sub)
                _merge_statement(st, sub)
                continue
            if tree is None:
                continue
            sub = StatementLineage(index=st.index, line=st.line)
            self.analyse_tree(tree, sub, part)
            _merge_statement(st, sub)
        st.kind = "other"

    def _fallback(self, text: str, st: StatementLineage) -> None:
        kind, reads, writes = fallback_tables(text)
        st.kind = kind if st.kind == "other" else st.kind
        _add(st.reads, reads)
        _add(st.writes, writes)

    # ---------------------------------------------------------------- per tree
    def analyse_tree(self, tree: exp.Expression, st: StatementLineage, text: str) -> None:
        self._text = text
        if isinstance(tree, exp.Create):
            self._create(tree, st, text)
        elif isinstance(tree, exp.Insert):
            self._insert(tree, st)
        elif isinstance(tree, exp.Merge):
            self._merge(tree, st)
        elif isinstance(tree, exp.Update):
            self._update(tree, st)
        elif isinstance(tree, exp.Delete):
            st.kind = _first_kind(st, "delete")
        elif isinstance(tree, exp.Drop):
            st.kind = _first_kind(st, "drop")
            kind = (tree.args.get("kind") or "").upper()
            if "TABLE" in kind or "VIEW" in kind:
                for t in tree.find_all(exp.Table):
                    name = table_name(t)
                    if name and name not in st.drops:
                        st.drops.append(name)
        elif isinstance(tree, exp.Alter):
            self._alter(tree, st)
        elif isinstance(tree, (exp.Query, exp.Subquery)):
            self._select(tree, st)
        elif isinstance(tree, exp.Copy):
            self._copy(tree, st)
        elif isinstance(tree, exp.Command):
            self._command(tree, st)
        else:
            st.kind = _first_kind(st, "other")

    def _reads(self, root: exp.Expression, exclude: list[exp.Expression]) -> list[str]:
        ctes = {c.alias_or_name.lower() for c in root.find_all(exp.CTE)}
        out: list[str] = []
        for t in root.find_all(exp.Table):
            if any(t is x for x in exclude):
                continue
            if not t.args.get("db") and not t.args.get("catalog") and t.name.lower() in ctes:
                continue
            name = table_name(t)
            if name and name not in out:
                out.append(name)
        return out

    # ---------------------------------------------------------------- statements
    def _create(self, tree: exp.Create, st: StatementLineage, text: str) -> None:
        kind = (tree.args.get("kind") or "").upper()
        if "TABLE" not in kind and "VIEW" not in kind:
            st.kind = _first_kind(st, "other")
            return
        st.kind = _first_kind(st, "create_view" if "VIEW" in kind else "create_table")
        target = tree.this
        explicit: list[str] | None = None
        if isinstance(target, exp.Schema):
            explicit = [
                c.name.lower()
                for c in target.expressions
                if isinstance(c, (exp.ColumnDef, exp.Identifier, exp.Column))
            ] or None
            target = target.this
        name = table_name(target)
        if not name:
            return
        props = tree.args.get("properties")
        if (props is not None and props.find(exp.TemporaryProperty)) or name.startswith("#"):
            self.temps.add(name)
            st.temp_tables.add(name)
        _add(st.writes, [name])
        like = None
        if props is not None:
            like = props.find(exp.LikeProperty)
        body = tree.expression
        reads = self._reads(tree, [target])
        _add(st.reads, reads)
        if like is not None:
            src = table_name(like.this)
            if src and src in self.schema.tables and name not in self.schema.tables:
                self.schema.tables[name] = list(self.schema.tables[src])
        query = _unwrap(body) if body is not None else None
        if isinstance(query, exp.Query):
            query = self._attach_with(query, tree)
            cols = self._query_edges(query, name, explicit, None, st, reads)
            if cols and "*" not in cols:
                self.schema.tables[name] = cols
        elif explicit and name not in self.schema.tables:
            self.schema.tables[name] = explicit

    def _insert(self, tree: exp.Insert, st: StatementLineage) -> None:
        st.kind = _first_kind(st, "insert")
        target = tree.this
        explicit = None
        if isinstance(target, exp.Schema):
            explicit = [c.name.lower() for c in target.expressions] or None
            target = target.this
        if isinstance(target, exp.Directory):
            lit = target.this
            path = lit.name if isinstance(lit, exp.Literal) else lit.sql()
            name = "path:" + path.lower()
            exclude: list[exp.Expression] = []
        else:
            name = table_name(target)
            exclude = [target]
        if not name:
            return
        _add(st.writes, [name])
        reads = self._reads(tree, exclude)
        _add(st.reads, reads)
        query = _unwrap(tree.expression) if tree.expression is not None else None
        if not isinstance(query, exp.Query):
            return
        query = self._attach_with(query, tree)
        positional = None
        if explicit is None:
            static = _static_partitions(target)
            cols = self.schema.columns(name)
            if cols:
                positional = [c for c in cols if c not in static]
        self._query_edges(query, name, explicit, positional, st, reads)

    def _select(self, tree: exp.Expression, st: StatementLineage) -> None:
        query = _unwrap(tree)
        into = None
        node = query
        while isinstance(node, exp.SetOperation):
            node = node.this
        if isinstance(node, exp.Select):
            into = node.args.get("into")
        if into is None:
            st.kind = _first_kind(st, "select")
            _add(st.reads, self._reads(tree, []))
            self._vertica_swap(query, st)
            return
        st.kind = _first_kind(st, "create_table")
        target = into.this
        name = table_name(target)
        reads = self._reads(tree, [target])
        _add(st.reads, reads)
        if not name:
            return
        if into.args.get("temporary") or name.startswith("#"):
            self.temps.add(name)
            st.temp_tables.add(name)
        _add(st.writes, [name])
        into.pop()
        cols = self._query_edges(query, name, None, None, st, reads)
        if cols and "*" not in cols:
            self.schema.tables[name] = cols

    def _vertica_swap(self, query: exp.Expression, st: StatementLineage) -> None:
        # Vertica SWAP_PARTITIONS_BETWEEN_TABLES('src', lo, hi, 'dst') moves partitions
        if not isinstance(query, exp.Select):
            return
        for fn in query.find_all(exp.Anonymous):
            if str(fn.this).lower() != "swap_partitions_between_tables":
                continue
            args = fn.expressions
            if len(args) >= 4 and all(isinstance(a, exp.Literal) for a in (args[0], args[3])):
                st.kind = "other"
                st.reads[:] = [r for r in st.reads if r]
                _add(st.reads, [args[0].name.lower()])
                _add(st.writes, [args[3].name.lower()])

    def _merge(self, tree: exp.Merge, st: StatementLineage) -> None:
        st.kind = _first_kind(st, "merge")
        target = tree.this
        name = table_name(target)
        if not name:
            return
        _add(st.writes, [name])
        reads = self._reads(tree, [target])
        _add(st.reads, reads)
        using = tree.args.get("using")
        assignments: list[tuple[str, exp.Expression]] = []
        whens = tree.args.get("whens")
        for w in whens.expressions if whens is not None else []:
            then = w.args.get("then")
            if isinstance(then, exp.Update):
                for eq in then.expressions:
                    if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column):
                        assignments.append((eq.this.name.lower(), eq.expression))
            elif isinstance(then, exp.Insert):
                cols, vals = then.this, then.expression
                if isinstance(cols, exp.Tuple) and isinstance(vals, exp.Tuple):
                    for c, v in zip(cols.expressions, vals.expressions, strict=False):
                        assignments.append((c.name.lower(), v))
                elif isinstance(cols, exp.Tuple) and isinstance(vals, exp.Values):
                    row = vals.expressions[0] if vals.expressions else None
                    if isinstance(row, exp.Tuple):
                        for c, v in zip(cols.expressions, row.expressions, strict=False):
                            assignments.append((c.name.lower(), v))
        if using is None or not assignments:
            return
        on = tree.args.get("on")
        self._assignment_edges(
            name, assignments, [target, using], on, None, tree, st, reads, join_on=True
        )

    def _update(self, tree: exp.Update, st: StatementLineage) -> None:
        st.kind = _first_kind(st, "update")
        target = tree.this
        frm = tree.args.get("from_")
        from_sources: list[exp.Expression] = []
        if frm is not None:
            first = frm.this
            from_sources = [first, *(first.args.get("joins") or [])]
        real = target
        if isinstance(target, exp.Table) and not target.args.get("db") and frm is not None:
            alias = target.name.lower()
            for src in from_sources:
                t = src.this if isinstance(src, exp.Join) else src
                if isinstance(t, exp.Table) and t.alias and t.alias.lower() == alias:
                    real = t
                    break
        name = table_name(real)
        if not name:
            return
        _add(st.writes, [name])
        exclude = [real] if real is target else [real, target]
        for src in from_sources:
            if src is not real and isinstance(src, exp.Table) and table_name(src) == name:
                exclude.append(src)
        reads = self._reads(tree, exclude)
        _add(st.reads, reads)
        assignments = [
            (eq.this.name.lower(), eq.expression)
            for eq in tree.expressions
            if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column)
        ]
        if not assignments:
            return
        mysql_joins = list(target.args.get("joins") or [])
        sources = ([target] if real is target else []) + mysql_joins + from_sources
        self._assignment_edges(
            name, assignments, sources, None, tree.args.get("where"), tree, st, reads
        )

    def _alter(self, tree: exp.Alter, st: StatementLineage) -> None:
        old = table_name(tree.this)
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.AlterRename):
                new = table_name(action.this)
                if old and new:
                    if "." in old and "." not in new:
                        new = old.rsplit(".", 1)[0] + "." + new
                    st.kind = _first_kind(st, "rename")
                    st.renames.append((old, new))
                    if old in self.schema.tables:
                        self.schema.tables[new] = self.schema.tables[old]
                    return
            if isinstance(action, exp.SwapTable):
                other = table_name(action.this)
                if old and other:
                    st.kind = _first_kind(st, "other")
                    _add(st.reads, [other])
                    _add(st.writes, [old])
                    return
        st.kind = _first_kind(st, "other")

    def _copy(self, tree: exp.Copy, st: StatementLineage) -> None:
        st.kind = _first_kind(st, "other")
        name = table_name(tree.this)
        paths = []
        for f in tree.args.get("files") or []:
            lit = f.this if isinstance(f, exp.Table) else f
            if isinstance(lit, exp.Literal):
                paths.append("path:" + lit.name.lower())
        if tree.args.get("kind"):  # COPY <table> FROM <location>
            _add(st.writes, [name] if name else [])
            _add(st.reads, paths)
        else:
            _add(st.reads, [name] if name else [])
            _add(st.writes, paths)

    def _command(self, tree: exp.Command, st: StatementLineage) -> None:
        st.kind = _first_kind(st, "other")
        head = str(tree.this).upper()
        rest = tree.expression
        rest = rest.name if isinstance(rest, exp.Literal) else str(rest or "")
        if head == "ALTER":
            m = re.match(
                r"\s*TABLE\s+(\S+)\s+EXCHANGE\s+PARTITION\s*\(.*?\)\s*WITH\s+TABLE\s+(\S+)",
                rest,
                re.I | re.S,
            )
            if m:
                _add(st.writes, [_plain_name(m.group(1))])
                _add(st.reads, [_plain_name(m.group(2))])
        elif head == "RENAME":
            for m in re.finditer(
                r"(?:TABLE\s+)?([\w.`\"\[\]]+)\s+TO\s+([\w.`\"\[\]]+)", rest, re.I
            ):
                st.kind = "rename"
                st.renames.append((_plain_name(m.group(1)), _plain_name(m.group(2))))
        elif head == "UNLOAD":
            m = re.match(r"\s*\(\s*'((?:[^']|'')*)'\s*\)\s*TO\s+'([^']*)'", rest, re.I | re.S)
            if m:
                inner = m.group(1).replace("''", "'")
                sub = StatementLineage(index=st.index, line=st.line)
                try:
                    for t in sqlglot.parse(inner, read=self.dialect):
                        if t is not None:
                            _add(sub.reads, self._reads(t, []))
                except Exception:
                    self._fallback(inner, sub)
                _add(st.reads, sub.reads)
                _add(st.writes, ["path:" + m.group(2).lower()])

    # ---------------------------------------------------------------- columns
    @staticmethod
    def _attach_with(query: exp.Expression, stmt: exp.Expression) -> exp.Expression:
        w = stmt.args.get("with_")
        if w is not None and isinstance(query, exp.Query):
            own = query.args.get("with_")
            if own is None:
                query.set("with_", w)
            else:
                own.set("expressions", list(w.expressions) + list(own.expressions))
            stmt.set("with_", None)
        return query

    def _qualified(
        self, query: exp.Expression, reads: list[str]
    ) -> tuple[exp.Expression, bool] | None:
        """Qualify once; on failure retry with looser settings (fresh copy each time)."""
        ms = self.schema.mapping_for(set(reads), self.dialect)
        attempts: list[tuple[MappingSchema | None, dict[str, Any]]] = [(ms, {})]
        attempts.append((ms, {"expand_alias_refs": False}))
        if ms is not None:
            attempts.append((None, {}))
        attempts.append((None, {"qualify_columns": False}))
        pristine = query.copy() if len(attempts) > 1 else query
        for i, (sch, kw) in enumerate(attempts):
            candidate = query if i == 0 else pristine.copy()
            try:
                q = qualify(
                    candidate,
                    dialect=self.dialect,
                    schema=sch,
                    validate_qualify_columns=False,
                    identify=False,
                    quote_identifiers=False,
                    **kw,
                )
                return q, kw.get("qualify_columns", True)
            except StatementTimeout:
                raise
            except Exception:
                continue
        return None

    def _query_edges(
        self,
        query: exp.Expression,
        target: str,
        explicit: list[str] | None,
        positional: list[str] | None,
        st: StatementLineage,
        reads: list[str],
    ) -> list[str]:
        """Edges from a query whose i-th projection feeds target column i; returns the names."""
        first = query
        while isinstance(first, exp.SetOperation):
            first = first.this
        first = _unwrap(first)
        orig_texts: list[str | None] = []
        has_star = False
        if isinstance(first, exp.Select):
            for p in first.expressions:
                if star_qualifier(p) is not None:
                    has_star = True
                orig_texts.append(_expression_text(p, self.dialect, self._text))
        got = self._qualified(query, reads)
        if got is None:
            return []
        q, _ = got
        try:
            root = build_scope(q)
        except StatementTimeout:
            raise
        except Exception:
            root = None
        if root is None:
            return []
        tracer = Tracer(table_name, self.schema.columns)
        tracer.index_subqueries(root)
        names = tracer.output_names(root)
        sel = tracer.leftmost_select(root)
        projs = sel.expressions if isinstance(sel, exp.Select) else []
        targets: list[str] = []
        for i, pname in enumerate(names):
            proj = projs[i] if i < len(projs) else None
            if explicit is not None:
                if i >= len(explicit):
                    break
                tcol = explicit[i]
            elif (
                positional is not None
                and len(names) <= len(positional)
                and not (proj is not None and star_qualifier(proj) is not None)
            ):
                tcol = positional[i]
            elif proj is not None and star_qualifier(proj) is not None:
                tcol = "*"
            elif not has_star and i < len(orig_texts) and orig_texts[i] is not None:
                tcol = orig_texts[i] or pname.lower()
            else:
                tcol = pname.lower()
            targets.append(tcol)
            sources = tracer.scope_index(root, i)
            expr_text = _projection_sql(proj, self.dialect) if proj is not None else tcol
            self._emit(st, sources, f"{target}.{tcol}", expr_text)
        self._indirect(st, tracer, root, target, targets)
        return targets

    def _emit(self, st: StatementLineage, sources: Sources, target: str, text: str) -> None:
        for src in sorted(sources):
            for typ, sub, masking in sorted(sources[src]):
                st.add_edge(ColumnEdge(src, target, typ, sub, text, masking))

    def _indirect(
        self, st: StatementLineage, tracer: Tracer, root: Any, target: str, targets: list[str]
    ) -> None:
        if not targets:
            return
        found: dict[tuple[str, str], str] = {}
        for scope in root.traverse():
            for subtype, col in clause_columns(scope):
                for src in tracer.resolve(scope, col.table or None, col.name):
                    found.setdefault((src, subtype), col.sql(self.dialect))
        if not found:
            return
        for tcol in dict.fromkeys(targets):
            for (src, subtype), text in found.items():
                st.add_edge(ColumnEdge(src, f"{target}.{tcol}", "INDIRECT", subtype, text))

    def _assignment_edges(
        self,
        target: str,
        assignments: list[tuple[str, exp.Expression]],
        sources: list[exp.Expression],
        on: exp.Expression | None,
        where: exp.Expression | None,
        stmt: exp.Expression,
        st: StatementLineage,
        reads: list[str],
        join_on: bool = False,
    ) -> None:
        """UPDATE / MERGE: trace ``col = expr`` as ``SELECT expr FROM <sources>``."""
        if not sources:
            return
        sel = exp.Select()
        for i, (_, expr) in enumerate(assignments):
            sel.append("expressions", exp.alias_(expr.copy(), f"_lineage_{i}"))
        first = sources[0]
        first = (first.this if isinstance(first, exp.Join) else first).copy()
        first.set("joins", None)  # joins hanging off the table are listed in sources already
        sel.set("from_", exp.From(this=first))
        for j, src in enumerate(sources[1:]):
            if isinstance(src, exp.Join):
                sel.append("joins", src.copy())
            else:
                cond = on.copy() if (join_on and on is not None and j == 0) else None
                join = exp.Join(this=src.copy(), on=cond) if cond is not None else None
                if join is None:
                    join = exp.Join(this=src.copy(), kind="CROSS")
                sel.append("joins", join)
        if where is not None:
            sel.set("where", where.copy())
        w = stmt.args.get("with_")
        if w is not None:
            sel.set("with_", w.copy())
        target_name = target
        all_reads = [*reads, target_name]
        got = self._qualified(sel, all_reads)
        if got is None:
            return
        q, _ = got
        try:
            root = build_scope(q)
        except StatementTimeout:
            raise
        except Exception:
            return
        if root is None:
            return
        tracer = Tracer(table_name, self.schema.columns)
        tracer.index_subqueries(root)
        targets = []
        for i, (tcol, expr) in enumerate(assignments):
            got_src = tracer.scope_index(root, i)
            targets.append(tcol)
            self._emit(st, got_src, f"{target}.{tcol}", _collapse_ws(expr.sql(self.dialect)))
        self._indirect(st, tracer, root, target, targets)


# ====================================================================== small helpers
_PROCEDURAL = re.compile(
    r"\s*(?:CREATE\s+(?:OR\s+(?:REPLACE|ALTER)\s+)?(?:DEFINER\s*=\s*\S+\s+)?"
    r"(?:PROCEDURE|PROC)\b|DO\s+\$|BEGIN\b(?!\s+(?:TRAN|TRANSACTION|WORK)\b)(?!\s*;)|DECLARE\b"
    r"(?=[\s\S]*\bBEGIN\b))",
    re.I,
)


# Statement words sqlglot tokenizes as plain names in some dialect, though they start a
# statement somewhere (client commands, scripting, Hive/Spark/Impala/Teradata/T-SQL/...).
_STATEMENT_WORDS = frozenset(
    re.findall(
        r"\w+",
        """
    ABORT ADD ALTER ANALYSE ANALYZE APPLY ASSERT ATTACH BACKUP BEGIN BREAK BULK CACHE CALL
    CASE CHECK CHECKPOINT CLEAR CLOSE CLUSTER COLLECT COMMENT COMMIT COMPUTE CONNECT CONTINUE
    CONVERT COPY CREATE DATABASE DBCC DEALLOCATE DECLARE DEFINE DEL DELETE DELIMITER DENY DESC
    DESCRIBE DETACH DISABLE DISCARD DISCONNECT DO DROP ECHO ELSE ELSEIF ELSIF ENABLE END
    EXCEPTION EXCHANGE EXEC EXECUTE EXIT EXPLAIN EXPORT FETCH FLUSH FOR FOREACH FROM FSCK
    GENERATE GET GO GOTO GRANT HANDLER HELP IF IMPORT INS INSERT INSTALL INVALIDATE ITERATE
    KILL LEAVE LET LIST LISTEN LOAD LOCK LOCKING LOGON LOOP LS MERGE MODIFY MOVE MSCK NOTIFY
    OPEN OPTIMIZE PERFORM PRAGMA PREPARE PRINT PROMPT PURGE PUT RAISE RAISERROR READTEXT
    REASSIGN RECONFIGURE RECOVER REFRESH REINDEX RELEASE REMOVE RENAME REORG REPAIR REPEAT
    REPLACE RESET RESTORE RETURN REVERT REVOKE RM ROLLBACK RUNSTATS SAVE SAVEPOINT SECURITY
    SEL SELECT SET SETUSER SHOW SHUTDOWN SIGNAL SOURCE SPOOL START SUMMARIZE SWAP SYNC TABLE
    THROW TRUNCATE UNCACHE UNDROP UNLISTEN UNLOAD UNLOCK UNSET UPD UPDATE UPSERT USE VACUUM
    VALUES VARIABLE WAITFOR WHENEVER WHILE WITH
    """,
    )
)
_NAME_TOKENS = frozenset(
    {
        sqlglot.TokenType.VAR,
        sqlglot.TokenType.IDENTIFIER,
        sqlglot.TokenType.STRING,
        sqlglot.TokenType.NUMBER,
    }
)


def _unknown_statement_word(text: str, dialect: str | None) -> str | None:
    """The first word of `text` when it cannot start a statement: the dialect's tokenizer reads
    it as a plain name (or a literal), not a keyword, and no dialect uses it as a statement
    word. sqlglot would otherwise read `SELEC oops` as the expression `SELEC AS oops`."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(text[:200])
    except Exception:  # the parser reports what the tokenizer cannot read
        return None
    if not tokens or tokens[0].token_type not in _NAME_TOKENS:
        return None
    first = tokens[0]
    word = first.text
    if first.token_type in (sqlglot.TokenType.VAR, sqlglot.TokenType.IDENTIFIER):
        upper = word.upper()
        if upper in _STATEMENT_WORDS:
            return None
        if dialect in ("tsql", "fabric") and upper.startswith(("SP_", "XP_")):
            return None  # a T-SQL batch may run a procedure without EXEC
        if len(tokens) > 1 and tokens[1].token_type == sqlglot.TokenType.COLON:
            return None  # a label (`outer_loop: LOOP ...`)
    return word[:60]


_COMPOUND = re.compile(r"([\w.\[\]@#]+)\s*([-+*/%&|^])=(?!=)\s*")


def _first_kind(st: StatementLineage, kind: str) -> str:
    return kind if st.kind == "other" else st.kind


def _add(target: list[str], items: list[str]) -> None:
    for item in items:
        if item and item not in target:
            target.append(item)


def _merge_statement(st: StatementLineage, sub: StatementLineage) -> None:
    _add(st.reads, sub.reads)
    _add(st.writes, sub.writes)
    for e in sub.columns:
        st.add_edge(e)
    st.renames.extend(sub.renames)
    _add(st.drops, sub.drops)
    st.temp_tables |= sub.temp_tables


def _unwrap(node: exp.Expression | None) -> exp.Expression | None:
    while isinstance(node, exp.Subquery) and isinstance(node.this, exp.Query):
        node = node.this
    return node


def _plain_name(raw: str) -> str:
    return ".".join(p.strip('`"[]') for p in raw.split(".")).lower()


def _static_partitions(target: exp.Expression) -> set[str]:
    part = target.args.get("partition") if isinstance(target, exp.Table) else None
    out = set()
    if part is not None:
        for e in part.expressions:
            if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column):
                out.add(e.this.name.lower())
    return out


def _expression_text(proj: exp.Expression, dialect: str | None, text: str) -> str | None:
    """Target name of an unaliased expression: its lower-cased SQL (sqllineage's convention)."""
    if isinstance(proj, (exp.Alias, exp.Column, exp.Star)):
        return None
    if isinstance(proj, exp.Cast) and isinstance(proj.this, exp.Column):
        # `col::type` keeps the column's name (PostgreSQL names the output after the column)
        end = proj.this.this.meta.get("end") if isinstance(proj.this.this, exp.Identifier) else None
        if end is not None and text[end + 1 :].lstrip().startswith("::"):
            return None
    return _collapse_ws(proj.sql(dialect)).lower()


def _projection_sql(proj: exp.Expression, dialect: str | None) -> str:
    node = proj.this if isinstance(proj, exp.Alias) else proj
    return _collapse_ws(node.sql(dialect))


def _short(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0][:300]}" if msg else type(e).__name__


def _parse_error(e: ParseError, line0: int, col0: int) -> dict[str, Any]:
    errors = getattr(e, "errors", None) or []
    first = errors[0] if errors else {}
    rel_line = first.get("line") or 1
    col = first.get("col") or 1
    desc = first.get("description") or (str(e).splitlines() or ["parse error"])[0]
    return {
        "message": str(desc)[:300],
        "line": line0 + rel_line - 1,
        "column": col + (col0 - 1 if rel_line == 1 else 0),
    }


# ====================================================================== public entry point
def extract_lineage(
    sql: str,
    dialect: str | None = None,
    schema: dict[str, list[str]] | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> LineageResult:
    """Column- and table-level lineage of every statement of ``sql``.

    ``dialect`` is a sqlglot dialect name or an alias (``ansi``, ``sparksql``, ...);
    ``schema`` maps table names to their columns in order. Each statement gets at most
    ``timeout`` seconds (None disables the limit). Never raises for bad SQL.
    """
    sqlglot_dialect = normalize_dialect(dialect)
    store = _SchemaStore(schema)
    analyser = _Analyser(sqlglot_dialect, store)
    statements: list[StatementLineage] = []
    try:
        chunks = split_statements(sql or "")
    except Exception as e:  # sqlparse is robust, but never let a split failure escape
        chunks = [(sql, 1, 1)]
        statements.append(
            StatementLineage(0, 1, error={"message": _short(e), "line": 1, "column": 1})
        )
        return LineageResult(statements)
    for index, (text, line, col) in enumerate(chunks):
        st = StatementLineage(index=index, line=line)
        token = _WATCHDOG.arm(timeout) if timeout else None
        timed_out = False
        try:
            try:
                analyser.analyse_text(text, st, col)
            except Exception as e:  # a bug or an unexpected sqlglot failure: report, go on
                if st.error is None:
                    st.error = {"message": _short(e), "line": line, "column": col}
            finally:
                if token is not None and _WATCHDOG.disarm(token):
                    timed_out = True
        except StatementTimeout:
            # raised in the analysis, or just before disarm(): make sure it is disarmed
            timed_out = True
            if token is not None:
                _WATCHDOG.disarm(token)
        if timed_out:
            st = StatementLineage(index=index, line=line)
            st.error = {
                "message": f"statement analysis timed out after {timeout:g} s",
                "line": line,
                "column": col,
            }
            with contextlib.suppress(Exception):
                analyser._fallback(text, st)
        if st.kind not in KINDS:
            st.kind = "other"
        statements.append(st)
    return LineageResult(statements)
