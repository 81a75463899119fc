"""Column-level lineage extracted from ETL SQL scripts (pure: no Django).

``extract_lineage(sql, dialect, schema)`` splits a script with sqlparse, parses each statement
with sqlglot, qualifies it once against the known schema and traces every target column to
the source columns feeding it. Statements sqlglot cannot parse are reported with their line
and get table-level lineage from a sqlparse token scan. The result's ``to_dict()`` is the
shape documented in docs/lineage-output.md.

A plain SELECT (one that writes nothing) feeds the pseudo-table ``<query>``: each output
column is a target ``<query>.<name>``, with the same edge types as any other target, and
``<query>`` is never listed among the tables read or written. An output column is named
by its alias, else by its column name (`c.email`, `CAST(c.x AS INT)`, `c.x::int` are
`email`, `x`, `x`), else as sqlglot's qualifier names it: a literal by its text (`1`), any
other expression `_col_<i>`, i its 0-based position. A UNION is named after its first
branch. Two outputs of the same name share one target; every SELECT of a script feeds the
same ``<query>``. A SELECT without source columns (`SELECT 1`, `SELECT now()`) has no
column lineage; nor has a bare name with no FROM to come from (a variable, `SQLERRM`).

The package, in the order a statement meets it:

- ``splitting``: a script into statements, a procedure body into its DML statements;
- ``extract``: the entry point, the per-statement time budget (``timeout``) and retries;
- ``handlers``: one handler per statement type (``HANDLERS``, keyed by sqlglot class);
- ``tracing``: edges from a query or from assignments into a target table;
- ``columns`` and ``roles``: which source columns feed an output column, and how;
- ``fallback``: table-level lineage from tokens when sqlglot cannot parse a statement;
- ``result``: the result types and the temp-table collapse; ``errors``: error messages;
- ``dialects``, ``names``, ``session``: dialect aliases, naming rules, per-script state.
"""

from lineage.sql.dialects import DIALECT_ALIASES, normalize_dialect
from lineage.sql.extract import DEFAULT_TIMEOUT, extract_lineage
from lineage.sql.names import QUERY, UNKNOWN, table_name
from lineage.sql.result import KINDS, ColumnEdge, LineageResult, StatementLineage
from lineage.sql.splitting import split_statements
from lineage.sql.timeout import StatementTimeout

__all__ = [
    "DEFAULT_TIMEOUT",
    "DIALECT_ALIASES",
    "KINDS",
    "QUERY",
    "UNKNOWN",
    "ColumnEdge",
    "LineageResult",
    "StatementLineage",
    "StatementTimeout",
    "extract_lineage",
    "normalize_dialect",
    "split_statements",
    "table_name",
]
