"""Column tracing over a qualified sqlglot query: which source columns feed each output column.

It walks sqlglot's Scope tree once per query instead of calling ``sqlglot.lineage.lineage``
per column, which re-qualifies the query on every call.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from lineage.sql.names import UNKNOWN
from lineage.sql.roles import (
    IDENTITY,
    TRANSFORMATION,
    Role,
    Sources,
    compose,
    iter_value_nodes,
    role_in,
)

_STAR = "*"


class Tracer:
    """Resolves output columns of scopes to source table columns, memoised per query."""

    def __init__(self, table_name, schema_columns) -> None:
        self._table_name = table_name  # exp.Table -> "db.tab" | None
        self._schema_columns = schema_columns  # "db.tab" -> [cols] | None
        self._memo: dict[tuple[int, object], Sources] = {}
        self._subquery_scopes: dict[int, Scope] = {}

    # ------------------------------------------------------------------ scopes
    def index_subqueries(self, root: Scope) -> None:
        for scope in root.traverse():
            for sub in scope.subquery_scopes:
                self._subquery_scopes[id(sub.expression)] = sub

    @staticmethod
    def leftmost_select(scope: Scope) -> exp.Expression:
        node = scope.expression
        while isinstance(node, exp.SetOperation):
            node = node.this
        while isinstance(node, exp.Subquery):
            node = node.this
        return node

    def output_names(self, scope: Scope) -> list[str]:
        sel = self.leftmost_select(scope)
        if not isinstance(sel, exp.Select):
            return []
        return [p.alias_or_name for p in sel.expressions]

    # ------------------------------------------------------------------ columns of scopes
    def scope_column(self, scope: Scope, name: str) -> Sources:
        key = (id(scope), name.lower())
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        self._memo[key] = {}  # guards against recursive CTE cycles
        result = self._scope_column(scope, name)
        self._memo[key] = result
        return result

    def _scope_column(self, scope: Scope, name: str) -> Sources:
        if scope.is_set_operation or isinstance(scope.expression, exp.SetOperation):
            names = [n.lower() for n in self.output_names(scope)]
            if name.lower() in names:
                return self.scope_index(scope, names.index(name.lower()))
            return {}
        if isinstance(scope.expression, (exp.Lateral, exp.Unnest)) or scope.is_udtf:
            inner = _lateral_query(scope)
            if inner is not None:
                return self.scope_column(inner, name)
            return self.udtf_sources(scope)
        sel = scope.expression
        if not isinstance(sel, exp.Select):
            return {}
        lname = name.lower()
        for proj in sel.expressions:
            if proj.alias_or_name.lower() == lname and not isinstance(proj, exp.Star):
                return self.expr_sources(scope, proj)
        # Not projected by name: pass through an unexpanded star of this scope.
        for proj in sel.expressions:
            star_table = star_qualifier(proj)
            if star_table is None:
                continue
            if star_table:
                got = self.resolve(scope, star_table, name)
            else:
                got = self.resolve(scope, None, name)
            if got:
                return got
        return {}

    def scope_index(self, scope: Scope, index: int) -> Sources:
        key = (id(scope), index)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        out: Sources = {}
        if scope.set_operation_scopes:
            for branch in scope.set_operation_scopes:
                merge_into(out, self.scope_index(branch, index))
        else:
            sel = scope.expression
            if isinstance(sel, exp.Select) and index < len(sel.expressions):
                proj = sel.expressions[index]
                if star_qualifier(proj) is not None:
                    out = self.star_sources(scope, star_qualifier(proj) or None)
                else:
                    out = self.expr_sources(scope, proj)
        self._memo[key] = out
        return out

    def udtf_sources(self, scope: Scope) -> Sources:
        out: Sources = {}
        parent = scope.parent or scope
        udtf = scope.expression
        for node in iter_value_nodes(udtf.this if isinstance(udtf, exp.Lateral) else udtf):
            if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
                for src, roles in self.resolve(parent, node.table or None, node.name).items():
                    out.setdefault(src, set()).update(
                        compose(("DIRECT", TRANSFORMATION, False), r) for r in roles
                    )
        return out

    # ------------------------------------------------------------------ expressions
    def expr_sources(self, scope: Scope, root: exp.Expression) -> Sources:
        """Source columns feeding the value of ``root`` evaluated in ``scope``."""
        out: Sources = {}
        for node in iter_value_nodes(root):
            if isinstance(node, exp.Star):
                got = self.star_sources(scope, None)
            elif isinstance(node, exp.Column):
                if isinstance(node.this, exp.Star):
                    got = self.star_sources(scope, node.table or None)
                else:
                    got = self.resolve(scope, node.table or None, node.name)
            else:
                got = self.subquery_sources(node)
            if not got:
                continue
            role = role_in(node, root)
            if isinstance(node, exp.Star) or (
                isinstance(node, exp.Column) and isinstance(node.this, exp.Star)
            ):
                # count(*) and friends: the rows of the source feed the value
                role = role if role[1] != IDENTITY or node is root else role
            for src, roles in got.items():
                bucket = out.setdefault(src, set())
                for r in roles:
                    bucket.add(compose(role, r))
        return out

    def subquery_sources(self, node: exp.Expression) -> Sources:
        query = node.this if isinstance(node, exp.Subquery) else node
        scope = self._subquery_scopes.get(id(query)) or self._subquery_scopes.get(id(node))
        if scope is None:
            return {}
        out: Sources = {}
        names = self.output_names(scope)
        for i in range(len(names)):
            for src, roles in self.scope_index(scope, i).items():
                out.setdefault(src, set()).update(
                    compose(("DIRECT", TRANSFORMATION, False), r) for r in roles
                )
        return out

    def star_sources(self, scope: Scope, table: str | None) -> Sources:
        """``*`` / ``t.*`` that could not be expanded: ``src.*`` per underlying table."""
        out: Sources = {}
        ident: Role = ("DIRECT", IDENTITY, False)
        if table is not None:
            src = scope.sources.get(table)
            if src is None:
                src = _source_by_table_name(scope, table)
            items = [src] if src is not None else []
            if not items:
                out[f"{table.lower()}.*"] = {ident}
                return out
        else:
            items = [
                s
                for s in scope.sources.values()
                if not (isinstance(s, Scope) and (s.is_udtf or s.is_subquery))
            ]
        for src in items:
            if isinstance(src, exp.Table):
                name = self._table_name(src)
                if name:
                    out.setdefault(f"{name}.*", set()).add(ident)
            elif isinstance(src, Scope):
                merge_into(out, self.scope_stars(src))
        return out

    def scope_stars(self, scope: Scope) -> Sources:
        key = (id(scope), _STAR)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        self._memo[key] = {}
        out: Sources = {}
        if scope.set_operation_scopes:
            for branch in scope.set_operation_scopes:
                merge_into(out, self.scope_stars(branch))
        elif isinstance(scope.expression, exp.Select):
            for proj in scope.expression.expressions:
                q = star_qualifier(proj)
                if q is not None:
                    merge_into(out, self.star_sources(scope, q or None))
        self._memo[key] = out
        return out

    # ------------------------------------------------------------------ name resolution
    def resolve(self, scope: Scope, table: str | None, name: str) -> Sources:
        """Source columns for ``table.name`` referenced inside ``scope``."""
        ident: Role = ("DIRECT", IDENTITY, False)
        current: Scope | None = scope
        sourced = False
        while current is not None:
            sourced = sourced or bool(current.sources)
            src = None
            if table:
                src = current.sources.get(table)
                if src is None:
                    src = _source_by_table_name(current, table)
            else:
                src = self._unqualified_source(current, name)
            if src is not None:
                if isinstance(src, exp.Table):
                    tname = self._table_name(src)
                    if tname is None:
                        return {}
                    return {f"{tname}.{name.lower()}": {ident}}
                if isinstance(src, Scope):
                    return self.scope_column(src, name)
            # correlated subquery: the name may belong to an enclosing scope
            current = current.parent if current.is_subquery or current.is_udtf else None
        if table:
            return {f"{table.lower()}.{name.lower()}": {ident}}
        if not sourced:
            # no FROM anywhere: a variable or pseudo-column (`SQLERRM`, `@x`), not a column
            return {}
        return {f"{UNKNOWN}.{name.lower()}": {ident}}

    def clause_sources(self, scope: Scope, subtype: str, col: exp.Expression) -> Sources:
        """Source columns of a column or subquery used in a clause (see ``clause_columns``).

        ORDER BY may name an output column (`ORDER BY total`, or `ORDER BY 2`, which the
        qualifier rewrites to the output's name): that is the projection's sources."""
        if not isinstance(col, exp.Column):
            return self.subquery_sources(col)
        if subtype == "SORT" and not col.table and isinstance(scope.expression, exp.Select):
            lname = col.name.lower()
            for proj in scope.expression.expressions:
                if isinstance(proj, exp.Alias) and proj.alias.lower() == lname:
                    return self.expr_sources(scope, proj)
        return self.resolve(scope, col.table or None, col.name)

    def _unqualified_source(self, scope: Scope, name: str):
        lname = name.lower()
        candidates = []
        # only what the FROM / JOIN clauses select; every CTE is visible but not selected
        for _node, src in scope.selected_sources.values():
            if isinstance(src, Scope) and (src.is_udtf or isinstance(src.expression, exp.Lateral)):
                alias = src.expression.args.get("alias")
                cols = [c.name.lower() for c in alias.columns] if alias is not None else []
                if lname in cols:
                    return src
                continue
            candidates.append(src)
        if len(candidates) == 1:
            return candidates[0]
        known = [c for c in candidates if lname in (self._columns_of(c) or ())]
        if len(known) == 1:
            return known[0]
        if not known:
            # the one source whose columns are unknown is the only place the name can come from
            maybe = [c for c in candidates if self._columns_of(c) is None]
            if len(maybe) == 1:
                return maybe[0]
        return None

    def _columns_of(self, src) -> list[str] | None:
        if isinstance(src, exp.Table):
            name = self._table_name(src)
            cols = self._schema_columns(name) if name else None
            return [c.lower() for c in cols] if cols else None
        if isinstance(src, Scope):
            sel = self.leftmost_select(src)
            if not isinstance(sel, exp.Select) or any(
                star_qualifier(p) is not None for p in sel.expressions
            ):
                return None
            return [p.alias_or_name.lower() for p in sel.expressions]
        return None


def _lateral_query(scope: Scope) -> Scope | None:
    """The query of `LATERAL (SELECT ...)`: its outputs are the lateral's columns."""
    body = scope.expression.this if isinstance(scope.expression, exp.Lateral) else None
    while isinstance(body, exp.Subquery):
        body = body.this
    if not isinstance(body, exp.Query):
        return None
    for src in scope.sources.values():
        if isinstance(src, Scope) and src.expression is body:
            return src
    return None


def _source_by_table_name(scope: Scope, table: str):
    # `SELECT tab2.* FROM tab2 a`: a reference by the table's own name despite the alias
    lname = table.lower()
    for src in scope.sources.values():
        if isinstance(src, exp.Table) and src.name.lower() == lname:
            return src
    return None


def star_qualifier(proj: exp.Expression) -> str | None:
    """'' for a bare ``*``, the qualifier for ``t.*``, None when not a star."""
    if isinstance(proj, exp.Star):
        return ""
    if isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star):
        return proj.table or ""
    return None


def merge_into(out: Sources, more: Sources) -> None:
    for src, roles in more.items():
        out.setdefault(src, set()).update(roles)


def clause_columns(scope: Scope) -> Iterable[tuple[str, exp.Expression]]:
    """(subtype, column or subquery) for what a SELECT uses outside its projections
    (`WHERE id IN (SELECT ...)`: the subquery's outputs filter the rows)."""
    sel = scope.expression
    if not isinstance(sel, exp.Select):
        return
    parts: list[tuple[str, exp.Expression | None]] = []
    for join in sel.args.get("joins") or []:
        parts.append(("JOIN", join.args.get("on")))
        for u in join.args.get("using") or []:
            parts.append(("JOIN", u))
    parts.append(("FILTER", sel.args.get("where")))
    parts.append(("GROUP_BY", sel.args.get("group")))
    parts.append(("FILTER", sel.args.get("having")))
    parts.append(("FILTER", sel.args.get("qualify")))
    parts.append(("SORT", sel.args.get("order")))
    for subtype, part in parts:
        if part is None:
            continue
        for node in iter_value_nodes(part):
            if isinstance(node, exp.Column):
                if not isinstance(node.this, exp.Star):
                    yield subtype, node
            elif not isinstance(node, exp.Star):
                yield subtype, node
