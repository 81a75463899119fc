"""One handler per kind of statement, looked up by sqlglot expression type in ``HANDLERS``.

A handler reads one parsed statement and records its kind, the tables it reads and writes,
its column edges, drops and renames on the ``StatementLineage``; it may also teach the
session's schema the columns of a table the script creates.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp

from lineage.sql.fallback import apply_fallback
from lineage.sql.names import QUERY, plain_name, table_name
from lineage.sql.result import StatementLineage, add_unique
from lineage.sql.session import Session
from lineage.sql.tracing import assignment_edges, attach_with, query_edges, unwrap

Handler = Callable[[Session, exp.Expression, StatementLineage], None]


def table_reads(root: exp.Expression, exclude: list[exp.Expression]) -> list[str]:
    """Tables read under ``root``: every table but the excluded ones and CTE references."""
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


def _mark_temp(session: Session, st: StatementLineage, name: str) -> None:
    session.temps.add(name)
    st.temp_tables.add(name)


def _in_pg_temp(target: exp.Expression) -> bool:
    """PostgreSQL's `pg_temp.name` is a temp table (the schema is the session's own)."""
    db = target.args.get("db") if isinstance(target, exp.Table) else None
    return isinstance(db, exp.Identifier) and db.name.lower() == "pg_temp"


# ---------------------------------------------------------------------- CREATE
def create(session: Session, tree: exp.Expression, st: StatementLineage) -> None:
    kind = (tree.args.get("kind") or "").upper()
    if "TABLE" not in kind and "VIEW" not in kind:
        st.set_kind("other")
        return
    st.set_kind("create_view" if "VIEW" in kind else "create_table")
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
    if (
        (props is not None and props.find(exp.TemporaryProperty))
        or name.startswith("#")
        or _in_pg_temp(target)
    ):
        _mark_temp(session, st, name)
    add_unique(st.writes, [name])
    st.lifecycle.append(("create", name))
    like = props.find(exp.LikeProperty) if props is not None else None
    reads = table_reads(tree, [target])
    add_unique(st.reads, reads)
    tables = session.schema.tables
    if like is not None:
        src = table_name(like.this)
        if src and src in tables and name not in tables:
            tables[name] = list(tables[src])
    body = tree.expression
    query = unwrap(body) if body is not None else None
    if isinstance(query, exp.Query):
        query = attach_with(query, tree)
        cols = query_edges(session, query, name, explicit, None, st, reads)
        if cols and "*" not in cols:
            tables[name] = cols
    elif explicit and name not in tables:
        tables[name] = explicit


# ---------------------------------------------------------------------- INSERT
def _static_partitions(target: exp.Expression) -> set[str]:
    part = target.args.get("partition") if isinstance(target, exp.Table) else None
    out = set()
    if part is not None:
        for e in part.expressions:
            if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column):
                out.add(e.this.name.lower())
    return out


def insert(session: Session, tree: exp.Expression, st: StatementLineage) -> None:
    st.set_kind("insert")
    target = tree.this
    explicit = None
    if isinstance(target, exp.Schema):
        explicit = [c.name.lower() for c in target.expressions] or None
        target = target.this
    if isinstance(target, exp.Directory):
        lit = target.this
        path = lit.name if isinstance(lit, exp.Literal) else lit.sql()
        name: str | None = "path:" + path.lower()
        exclude: list[exp.Expression] = []
    else:
        name = table_name(target)
        exclude = [target]
    if not name:
        return
    add_unique(st.writes, [name])
    reads = table_reads(tree, exclude)
    add_unique(st.reads, reads)
    query = unwrap(tree.expression) if tree.expression is not None else None
    if not isinstance(query, exp.Query):
        return
    query = attach_with(query, tree)
    positional = None
    if explicit is None:
        static = _static_partitions(target)
        cols = session.schema.columns(name)
        if cols:
            positional = [c for c in cols if c not in static]
    query_edges(session, query, name, explicit, positional, st, reads)


# ---------------------------------------------------------------------- SELECT [INTO]
def select(session: Session, tree: exp.Expression, st: StatementLineage) -> None:
    query = unwrap(tree)
    into = None
    node = query
    while isinstance(node, exp.SetOperation):
        node = node.this
    if isinstance(node, exp.Select):
        into = node.args.get("into")
    if into is None:
        st.set_kind("select")
        reads = table_reads(tree, [])
        add_unique(st.reads, reads)
        # no column and no star anywhere (`SELECT 1`, `SELECT now()`): nothing to trace
        if _vertica_swap(query, st) or query.find(exp.Column, exp.Star) is None:
            return
        query_edges(session, query, QUERY, None, None, st, reads, sqlglot_names=True)
        return
    st.set_kind("create_table")
    target = into.this
    name = table_name(target)
    reads = table_reads(tree, [target])
    add_unique(st.reads, reads)
    if not name:
        return
    if into.args.get("temporary") or name.startswith("#"):
        _mark_temp(session, st, name)
    add_unique(st.writes, [name])
    st.lifecycle.append(("create", name))
    into.pop()
    cols = query_edges(session, query, name, None, None, st, reads)
    if cols and "*" not in cols:
        session.schema.tables[name] = cols


def _vertica_swap(query: exp.Expression, st: StatementLineage) -> bool:
    # Vertica SWAP_PARTITIONS_BETWEEN_TABLES('src', lo, hi, 'dst') moves partitions
    if not isinstance(query, exp.Select):
        return False
    swapped = False
    for fn in query.find_all(exp.Anonymous):
        if str(fn.this).lower() != "swap_partitions_between_tables":
            continue
        args = fn.expressions
        if len(args) >= 4 and all(isinstance(a, exp.Literal) for a in (args[0], args[3])):
            st.kind = "other"
            st.reads[:] = [r for r in st.reads if r]
            add_unique(st.reads, [args[0].name.lower()])
            add_unique(st.writes, [args[3].name.lower()])
            swapped = True
    return swapped


# ---------------------------------------------------------------------- MERGE, UPDATE
def _merge_assignments(tree: exp.Expression) -> list[tuple[str, exp.Expression]]:
    """(target column, value) of every WHEN ... UPDATE SET and WHEN ... INSERT."""
    out: list[tuple[str, exp.Expression]] = []
    whens = tree.args.get("whens")
    for w in whens.expressions if whens is not None else []:
        then = w.args.get("then")
        if isinstance(then, exp.Update):
            for eq in then.expressions:
                if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column):
                    out.append((eq.this.name.lower(), eq.expression))
        elif isinstance(then, exp.Insert):
            cols, vals = then.this, then.expression
            if isinstance(vals, exp.Values):
                vals = vals.expressions[0] if vals.expressions else None
            if isinstance(cols, exp.Tuple) and isinstance(vals, exp.Tuple):
                for c, v in zip(cols.expressions, vals.expressions, strict=False):
                    out.append((c.name.lower(), v))
    return out


def merge(session: Session, tree: exp.Expression, st: StatementLineage) -> None:
    st.set_kind("merge")
    target = tree.this
    name = table_name(target)
    if not name:
        return
    add_unique(st.writes, [name])
    reads = table_reads(tree, [target])
    add_unique(st.reads, reads)
    using = tree.args.get("using")
    assignments = _merge_assignments(tree)
    if using is None or not assignments:
        return
    on = tree.args.get("on")
    assignment_edges(
        session, name, assignments, [target, using], on, None, tree, st, reads, join_on=True
    )


def update(session: Session, tree: exp.Expression, st: StatementLineage) -> None:
    st.set_kind("update")
    target = tree.this
    frm = tree.args.get("from_")
    from_sources: list[exp.Expression] = []
    if frm is not None:
        first = frm.this
        from_sources = [first, *(first.args.get("joins") or [])]
    real = target
    if isinstance(target, exp.Table) and not target.args.get("db") and frm is not None:
        # T-SQL `UPDATE alias SET ... FROM tab alias`: the alias names the target
        alias = target.name.lower()
        for src in from_sources:
            t = src.this if isinstance(src, exp.Join) else src
            if isinstance(t, exp.Table) and t.alias and t.alias.lower() == alias:
                real = t
                break
    name = table_name(real)
    if not name:
        return
    add_unique(st.writes, [name])
    exclude = [real] if real is target else [real, target]
    for src in from_sources:
        if src is not real and isinstance(src, exp.Table) and table_name(src) == name:
            exclude.append(src)
    reads = table_reads(tree, exclude)
    add_unique(st.reads, reads)
    assignments = [
        (eq.this.name.lower(), eq.expression)
        for eq in tree.expressions
        if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column)
    ]
    if not assignments:
        return
    mysql_joins = list(target.args.get("joins") or [])
    sources = ([target] if real is target else []) + mysql_joins + from_sources
    assignment_edges(
        session, name, assignments, sources, None, tree.args.get("where"), tree, st, reads
    )


# ---------------------------------------------------------------------- DELETE, DROP, ALTER
def delete(session: Session, tree: exp.Expression, st: StatementLineage) -> None:
    st.set_kind("delete")


def drop(session: Session, tree: exp.Expression, st: StatementLineage) -> None:
    st.set_kind("drop")
    kind = (tree.args.get("kind") or "").upper()
    if "TABLE" in kind or "VIEW" in kind:
        for t in tree.find_all(exp.Table):
            name = table_name(t)
            if name and name not in st.drops:
                st.drops.append(name)
            if name:
                st.lifecycle.append(("drop", name))


def alter(session: Session, tree: exp.Expression, st: StatementLineage) -> None:
    """ALTER ... RENAME TO relabels a table; Snowflake's SWAP WITH reads the other table."""
    old = table_name(tree.this)
    for action in tree.args.get("actions") or []:
        if isinstance(action, exp.AlterRename):
            new = table_name(action.this)
            if old and new:
                if "." in old and "." not in new:
                    new = old.rsplit(".", 1)[0] + "." + new
                st.set_kind("rename")
                st.renames.append((old, new))
                tables = session.schema.tables
                if old in tables:
                    tables[new] = tables[old]
                return
        if isinstance(action, exp.SwapTable):
            other = table_name(action.this)
            if old and other:
                st.set_kind("other")
                add_unique(st.reads, [other])
                add_unique(st.writes, [old])
                return
    st.set_kind("other")


# ---------------------------------------------------------------------- COPY, commands
def copy(session: Session, tree: exp.Expression, st: StatementLineage) -> None:
    st.set_kind("other")
    name = table_name(tree.this)
    paths = []
    for f in tree.args.get("files") or []:
        lit = f.this if isinstance(f, exp.Table) else f
        if isinstance(lit, exp.Literal):
            paths.append("path:" + lit.name.lower())
    if tree.args.get("kind"):  # COPY <table> FROM <location>
        add_unique(st.writes, [name] if name else [])
        add_unique(st.reads, paths)
    else:
        add_unique(st.reads, [name] if name else [])
        add_unique(st.writes, paths)


_EXCHANGE = re.compile(
    r"\s*TABLE\s+(\S+)\s+EXCHANGE\s+PARTITION\s*\(.*?\)\s*WITH\s+TABLE\s+(\S+)", re.I | re.S
)
_RENAME = re.compile(r"(?:TABLE\s+)?([\w.`\"\[\]]+)\s+TO\s+([\w.`\"\[\]]+)", re.I)
_UNLOAD = re.compile(r"\s*\(\s*'((?:[^']|'')*)'\s*\)\s*TO\s+'([^']*)'", re.I | re.S)
# Clauses of a CREATE that sqlglot does not read (it then keeps the whole statement as a raw
# Command) and that say nothing about lineage: PostgreSQL's `ON COMMIT DROP` and the SQL
# standard's `LOCAL`/`GLOBAL` before TEMPORARY.
_CREATE_NOISE = (
    re.compile(r"\bON\s+COMMIT\s+(?:DROP|DELETE\s+ROWS|PRESERVE\s+ROWS)\b", re.I),
    re.compile(r"\b(?:LOCAL|GLOBAL)\s+(?=TEMP(?:ORARY)?\b)", re.I),
)


def _create_command(session: Session, rest: str, st: StatementLineage) -> None:
    """A CREATE sqlglot kept as raw text: read again without the clauses it cannot take, else
    by the token scan, so a temp table is still known as one (and never reaches the result)."""
    text = "CREATE " + rest
    for noise in _CREATE_NOISE:
        text = noise.sub(" ", text)
    try:
        tree = sqlglot.parse_one(text, read=session.dialect)
    except Exception:
        tree = None
    if isinstance(tree, exp.Create):
        create(session, tree, st)
        return
    apply_fallback(text, st)
    for name in st.temp_tables:
        session.temps.add(name)


def command(session: Session, tree: exp.Expression, st: StatementLineage) -> None:
    """Statements sqlglot keeps as raw text: Hive EXCHANGE PARTITION, MySQL RENAME TABLE,
    Redshift UNLOAD, and CREATEs with clauses it does not read."""
    st.set_kind("other")
    head = str(tree.this).upper()
    rest = tree.expression
    rest = rest.name if isinstance(rest, exp.Literal) else str(rest or "")
    if head == "CREATE":
        _create_command(session, rest, st)
    elif head == "ALTER":
        m = _EXCHANGE.match(rest)
        if m:
            add_unique(st.writes, [plain_name(m.group(1))])
            add_unique(st.reads, [plain_name(m.group(2))])
    elif head == "RENAME":
        for m in _RENAME.finditer(rest):
            st.kind = "rename"
            st.renames.append((plain_name(m.group(1)), plain_name(m.group(2))))
    elif head == "UNLOAD":
        m = _UNLOAD.match(rest)
        if m:
            inner = m.group(1).replace("''", "'")
            sub = StatementLineage(index=st.index, line=st.line)
            try:
                for t in sqlglot.parse(inner, read=session.dialect):
                    if t is not None:
                        add_unique(sub.reads, table_reads(t, []))
            except Exception:
                apply_fallback(inner, sub)
            add_unique(st.reads, sub.reads)
            add_unique(st.writes, ["path:" + m.group(2).lower()])


# ---------------------------------------------------------------------- dispatch
HANDLERS: dict[type[exp.Expression], Handler] = {
    exp.Create: create,
    exp.Insert: insert,
    exp.Merge: merge,
    exp.Update: update,
    exp.Delete: delete,
    exp.Drop: drop,
    exp.Alter: alter,
    exp.Query: select,  # SELECT, set operations, parenthesised queries
    exp.Copy: copy,
    exp.Command: command,
}


def handler_for(tree: exp.Expression) -> Handler | None:
    """The handler of the nearest registered class in the tree's class hierarchy."""
    for cls in type(tree).__mro__:
        handler = HANDLERS.get(cls)
        if handler is not None:
            return handler
    return None


def analyse_tree(session: Session, tree: exp.Expression, st: StatementLineage, text: str) -> None:
    """Record the lineage of one parsed statement (``text``: what it was parsed from)."""
    session.text = text
    handler = handler_for(tree)
    if handler is None:
        st.set_kind("other")
    else:
        handler(session, tree, st)
