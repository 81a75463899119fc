"""Table and column names as the result spells them: lower-cased, qualified as written."""

from __future__ import annotations

import re

from sqlglot import exp

UNKNOWN = "<unknown>"  # the table of a column that cannot be placed
QUERY = "<query>"  # the pseudo-table of a plain SELECT's output columns (not a table)

# Spark's `parquet.`/path``: a file read through its format's pseudo-schema.
_FILE_FORMATS = frozenset(
    {"parquet", "json", "csv", "orc", "avro", "text", "delta", "binaryfile", "iceberg", "hudi"}
)


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
    db, catalog = _part(t.args.get("db")), _part(t.args.get("catalog"))
    if (
        db is not None
        and catalog is None
        and db.lower() in _FILE_FORMATS
        and this.quoted
        and ("/" in name or ":" in name)
    ):
        return "path:" + name.lower()
    if catalog is None and db is not None and db.lower() == "pg_temp":
        return name.lower()  # PostgreSQL's own schema for the session's temp tables
    if catalog and db == "":
        return f"{catalog}..{name}".lower()  # T-SQL `db..tab`: the default schema
    parts = [p for p in (catalog, db) if p]
    parts.append(name)
    return ".".join(parts).lower()


def _part(node: exp.Expression | str | None) -> str | None:
    # sqlglot keeps the empty schema of T-SQL's `db..tab` as a plain string
    if node is None or isinstance(node, str):
        return node
    return node.name


def plain_name(raw: str) -> str:
    """A dotted name cut out of raw text (a Command's tail), unquoted and lower-cased."""
    return ".".join(p.strip('`"[]') for p in raw.split(".")).lower()


def collapse_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
