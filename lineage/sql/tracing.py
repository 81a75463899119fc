"""Column edges into a target table: from a query whose i-th projection feeds the target's
i-th column (INSERT ... SELECT, CTAS, views, SELECT INTO), or from ``col = expr`` assignments
(UPDATE, MERGE). The query is qualified once against the known schema and traced by
``columns.Tracer``."""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

from lineage.sql.columns import Tracer, clause_columns, star_qualifier
from lineage.sql.names import collapse_ws, table_name
from lineage.sql.result import ColumnEdge, StatementLineage
from lineage.sql.roles import Sources
from lineage.sql.session import Session
from lineage.sql.timeout import StatementTimeout


def unwrap(node: exp.Expression | None) -> exp.Expression | None:
    while isinstance(node, exp.Subquery) and isinstance(node.this, exp.Query):
        node = node.this
    return node


def attach_with(query: exp.Expression, stmt: exp.Expression) -> exp.Expression:
    """Move the statement's WITH (`WITH x AS (...) INSERT ... SELECT`) onto its query."""
    w = stmt.args.get("with_")
    if w is not None and isinstance(query, exp.Query):
        own = query.args.get("with_")
        if own is None:
            query.set("with_", w)
        else:
            own.set("expressions", list(w.expressions) + list(own.expressions))
        stmt.set("with_", None)
    return query


def qualified(
    session: Session, query: exp.Expression, reads: list[str]
) -> tuple[exp.Expression, bool] | None:
    """Qualify once; on failure retry with looser settings (fresh copy each time)."""
    ms = session.schema.mapping_for(set(reads), session.dialect)
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
                dialect=session.dialect,
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


def _scope_of(session: Session, query: exp.Expression, reads: list[str]) -> Scope | None:
    got = qualified(session, query, reads)
    if got is None:
        return None
    try:
        return build_scope(got[0])
    except StatementTimeout:
        raise
    except Exception:
        return None


def expression_text(proj: exp.Expression, dialect: str | None, text: str) -> str | None:
    """Target name of an unaliased expression: its lower-cased SQL (sqllineage's convention)."""
    if isinstance(proj, (exp.Alias, exp.Column, exp.Star)):
        return None
    if isinstance(proj, exp.Cast) and isinstance(proj.this, exp.Column):
        # `col::type` keeps the column's name (PostgreSQL names the output after the column)
        end = proj.this.this.meta.get("end") if isinstance(proj.this.this, exp.Identifier) else None
        if end is not None and text[end + 1 :].lstrip().startswith("::"):
            return None
    return collapse_ws(proj.sql(dialect)).lower()


def projection_sql(proj: exp.Expression, dialect: str | None) -> str:
    node = proj.this if isinstance(proj, exp.Alias) else proj
    return collapse_ws(node.sql(dialect))


def _original_names(session: Session, query: exp.Expression) -> tuple[list[str | None], bool]:
    """Names of unaliased expressions before qualification aliases them, and whether the
    query projects a star."""
    first = query
    while isinstance(first, exp.SetOperation):
        first = first.this
    first = unwrap(first)
    texts: list[str | None] = []
    has_star = False
    if isinstance(first, exp.Select):
        for p in first.expressions:
            if star_qualifier(p) is not None:
                has_star = True
            texts.append(expression_text(p, session.dialect, session.text))
    return texts, has_star


def query_edges(
    session: Session,
    query: exp.Expression,
    target: str,
    explicit: list[str] | None,
    positional: list[str] | None,
    st: StatementLineage,
    reads: list[str],
    *,
    sqlglot_names: bool = False,
) -> list[str]:
    """Edges from a query whose i-th projection feeds target column i; returns the names.

    Target columns are named by ``explicit`` (a column list), else by ``positional`` (the
    target's known columns), else by the projection: its alias or column name; an unaliased
    expression is named by its lower-cased SQL (sqllineage's convention) or, with
    ``sqlglot_names``, as sqlglot's qualifier names it (``_col_<i>``, a literal by its text).
    """
    orig_texts, has_star = _original_names(session, query)
    root = _scope_of(session, query, reads)
    if root is None:
        return []
    tracer = Tracer(table_name, session.schema.columns)
    tracer.index_subqueries(root)
    names = tracer.output_names(root)
    sel = tracer.leftmost_select(root)
    projs = sel.expressions if isinstance(sel, exp.Select) else []
    targets: list[str] = []
    for i, pname in enumerate(names):
        proj = projs[i] if i < len(projs) else None
        is_star = proj is not None and star_qualifier(proj) is not None
        if explicit is not None:
            if i >= len(explicit):
                break
            tcol = explicit[i]
        elif positional is not None and len(names) <= len(positional) and not is_star:
            tcol = positional[i]
        elif is_star:
            tcol = "*"
        elif sqlglot_names:
            tcol = pname.lower() or f"_col_{i}"
        elif not has_star and i < len(orig_texts) and orig_texts[i] is not None:
            tcol = orig_texts[i] or pname.lower()
        else:
            tcol = pname.lower()
        targets.append(tcol)
        for branch in _branches(root):
            # each branch of a UNION with its own projection's text
            bsel = tracer.leftmost_select(branch)
            bprojs = bsel.expressions if isinstance(bsel, exp.Select) else []
            bproj = bprojs[i] if i < len(bprojs) else None
            text = projection_sql(bproj, session.dialect) if bproj is not None else tcol
            emit(st, tracer.scope_index(branch, i), f"{target}.{tcol}", text)
    indirect(session, st, tracer, root, target, targets)
    return targets


def _branches(scope: Scope) -> list[Scope]:
    """The SELECTs of a set operation, left to right (the scope itself otherwise)."""
    if not scope.set_operation_scopes:
        return [scope]
    return [leaf for branch in scope.set_operation_scopes for leaf in _branches(branch)]


def emit(st: StatementLineage, sources: Sources, target: str, text: str) -> None:
    for src in sorted(sources):
        for typ, sub, masking in sorted(sources[src]):
            st.add_edge(ColumnEdge(src, target, typ, sub, text, masking))


def _output_positions(root: Scope) -> dict[int, int]:
    """id(projection) -> its output position, over every branch of a set operation."""
    out: dict[int, int] = {}
    stack = [root]
    while stack:
        scope = stack.pop()
        if scope.set_operation_scopes:
            stack.extend(scope.set_operation_scopes)
        elif isinstance(scope.expression, exp.Select):
            for i, proj in enumerate(scope.expression.expressions):
                out[id(proj)] = i
    return out


def _owner(scope: Scope, positions: dict[int, int]) -> int | None:
    """The output a scope only serves (a scalar subquery in a projection), else None."""
    node: exp.Expression | None = scope.expression
    while node is not None:
        i = positions.get(id(node))
        if i is not None:
            return i
        node = node.parent
    return None


def indirect(
    session: Session,
    st: StatementLineage,
    tracer: Tracer,
    root: Scope,
    target: str,
    targets: list[str],
) -> None:
    """Columns used outside the projections (JOIN, WHERE, GROUP BY, ...) feed every target
    column indirectly; those of a scalar subquery in a projection feed only its output."""
    if not targets:
        return
    positions = _output_positions(root)
    found: dict[tuple[str, str, int | None], str] = {}
    for scope in root.traverse():
        owner = _owner(scope, positions) if scope is not root else None
        for subtype, col in clause_columns(scope):
            for src in tracer.clause_sources(scope, subtype, col):
                key = (src, subtype, owner)
                found.setdefault(key, collapse_ws(col.sql(session.dialect)))
    for tcol in dict.fromkeys(targets):
        for (src, subtype, owner), text in found.items():
            if owner is None or (owner < len(targets) and targets[owner] == tcol):
                st.add_edge(ColumnEdge(src, f"{target}.{tcol}", "INDIRECT", subtype, text))


def _assignment_select(
    assignments: list[tuple[str, exp.Expression]],
    sources: list[exp.Expression],
    on: exp.Expression | None,
    where: exp.Expression | None,
    stmt: exp.Expression,
    join_on: bool,
) -> exp.Select:
    """``SELECT expr_0, expr_1, ... FROM <sources> WHERE <where>``, with the statement's WITH."""
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
    return sel


def assignment_edges(
    session: Session,
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
    sel = _assignment_select(assignments, sources, on, where, stmt, join_on)
    root = _scope_of(session, sel, [*reads, target])
    if root is None:
        return
    tracer = Tracer(table_name, session.schema.columns)
    tracer.index_subqueries(root)
    targets = []
    for i, (tcol, expr) in enumerate(assignments):
        got_src = tracer.scope_index(root, i)
        targets.append(tcol)
        emit(st, got_src, f"{target}.{tcol}", collapse_ws(expr.sql(session.dialect)))
    indirect(session, st, tracer, root, target, targets)
