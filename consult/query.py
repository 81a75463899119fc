"""Consult by query: the decisions for every catalog column a SELECT reads, mapped onto the
query's output columns, and one verdict for the whole query.

The query is parsed like a job's SQL (lineage.services.parse: in a worker process, within the
request limits, with the catalog's columns as the schema so `*` expands and unqualified
columns resolve); its output columns are the parser's pseudo-table `<query>`. Every source
column, whether it feeds an output (DIRECT) or only filters, joins, groups or orders the rows
(INDIRECT), is decided by `services.consult`, so it is logged like any consult.

A table name resolves, in order, to: `system:dataset` as written (quoted); the one registered
dataset of that name (several systems holding it is a 400 naming them); `<system>.<dataset>`
when the first part is a system key (`crm.public.contacts`); the one discovered dataset of that
name. Anything else is not in the catalog: its columns are decided `unregistered_field` under
the name the query gives them, and nothing is registered."""

from __future__ import annotations

import dataclasses
import re

from catalog.choices import Status
from catalog.models import Dataset, SourceSystem
from catalog.refs import format_field_ref
from consult import services
from consult.choices import Decision
from consult.snapshot import Snapshot
from core.errors import Invalid
from lineage.parsing import ParseLimits
from lineage.services import parse, parser_schema, split_column
from lineage.sql import QUERY, UNKNOWN
from lineage.sql.roles import MASKING_FUNCTIONS

STAR = "*"


class TableResolver:
    """Table names of a query to catalog datasets; registers nothing. Has the `schema` method
    lineage.services.parse asks for."""

    def __init__(self) -> None:
        self.ambiguous: dict[str, list[str]] = {}
        self._found: dict[str, Dataset | None] = {}

    def dataset(self, name: str) -> Dataset | None:
        name = name.lower()
        if name not in self._found:
            self._found[name] = self._find(name)
        return self._found[name]

    def _find(self, name: str) -> Dataset | None:
        datasets = Dataset.objects.select_related("system")
        if ":" in name:
            key, _, rest = name.partition(":")
            return datasets.filter(system__key=key, name=rest).first()
        named = datasets.filter(name=name, discovered=False)
        # A removed dataset counts only when no other system has the name in use (as lineage).
        registered = list(named.exclude(status=Status.REMOVED)) or list(named)
        if len(registered) > 1:
            self.ambiguous[name] = sorted(d.system.key for d in registered)
            return None
        if registered:
            return registered[0]
        first, dot, rest = name.partition(".")
        if dot and SourceSystem.objects.filter(key=first).exists():
            found = datasets.filter(system__key=first, name=rest).first()
            if found is not None:
                return found
        discovered = list(datasets.filter(name=name, discovered=True))
        return discovered[0] if len(discovered) == 1 else None

    def schema(self, tables: list[str]) -> dict[str, list[str]]:
        return parser_schema({t: self.dataset(t) for t in tables})


def limits() -> ParseLimits:
    """The lineage check's limits, without its hint to submit asynchronously (a consult is
    answered now or not at all)."""
    return dataclasses.replace(ParseLimits.for_requests(), hint="")


def parse_query(resolver: TableResolver, sql: str, dialect: str) -> dict:
    """The parser's result for one SELECT; a 400 for SQL that does not parse, for anything but
    one query, and for a table name several systems hold."""
    result = parse(resolver, sql, dialect, limits=limits())
    statements = result.get("statements", [])
    if not statements:
        raise Invalid.at("sql", "No SQL statement found.")
    for s in statements:
        if s.get("error"):
            e = s["error"]
            line, column = e.get("line") or s.get("line") or 1, e.get("column") or 1
            raise Invalid(
                f"sql: line {line}, column {column}: {e['message']}",
                [{"path": "sql", "line": line, "column": column, "message": e["message"]}],
            )
    if len(statements) > 1:
        raise Invalid.at(
            "sql", f"Expected one query, found {len(statements)} statements; consult them one "
            "at a time.",
        )  # fmt: skip
    statement = statements[0]
    if statement["kind"] != "select" or statement["tables"]["write"]:
        line = statement.get("line") or 1
        raise Invalid(
            f"sql: line {line}: only queries are consulted, and this statement is "
            f"{statement['kind'].replace('_', ' ')} (it writes or is not a SELECT).",
            [{"path": "sql", "line": line, "column": 1,
              "message": "Only a query (SELECT) is consulted."}],
        )  # fmt: skip
    for name in statement["tables"]["read"]:
        resolver.dataset(name)
    if resolver.ambiguous:
        name, systems = next(iter(sorted(resolver.ambiguous.items())))
        line, column = _locate(sql, name)
        message = (
            f"Table {name!r} is ambiguous: systems {', '.join(systems)} each have a dataset "
            f"of that name. Write it with its system, e.g. {systems[0]}.{name}."
        )
        raise Invalid(
            f"sql: line {line}, column {column}: {message}",
            [{"path": "sql", "line": line, "column": column, "message": message}],
        )
    return result


def _locate(sql: str, name: str) -> tuple[int, int]:
    """Line and column of the first mention of table `name` (quoted or not); else 1, 1."""
    parts = [rf"[\"`\[]?{re.escape(p)}[\"`\]]?" for p in name.split(".")]
    match = re.search(r"\s*\.\s*".join(parts), sql, re.IGNORECASE)
    if match is None:
        return 1, 1
    start = match.start()
    line = sql.count("\n", 0, start) + 1
    return line, start - (sql.rfind("\n", 0, start) + 1) + 1


def consult_query(
    consumer,
    purpose: str,
    sql: str,
    dialect: str,
    *,
    request_id: str = "",
    snap: Snapshot | None = None,
    subjects: tuple[str, ...] | None = None,
    log: bool = True,
) -> dict:
    """The body of the consult-by-query response (see ConsultQueryResponseSerializer); with
    `log=False` (a what-if) nothing is written to the decision log."""
    resolver = TableResolver()
    result = parse_query(resolver, sql, dialect)
    schema_tables = set(resolver.schema(result["tables"]["read"]))

    def ref_of(column: str) -> str | None:
        table, name = split_column(column)
        dataset = resolver.dataset(table) if table != UNKNOWN else None
        if dataset is None:
            return column  # not in the catalog: decided unregistered under the query's name
        if name == STAR and table in schema_tables:
            return None  # COUNT(*) over a known table reads no column
        return format_field_ref(dataset.system.key, dataset.name, name)

    outputs: dict[str, list[dict]] = {}
    uses: dict[str, list[tuple[bool, str]]] = {}  # ref -> (masked, expression) of every use
    for edge in result["columns"]:
        table, output = split_column(edge["target"])
        if table != QUERY:
            continue
        sources = outputs.setdefault(output, [])
        ref = ref_of(edge["source"])
        if ref is None:
            continue
        uses.setdefault(ref, []).append((bool(edge.get("masking")), edge.get("expression", "")))
        source = {"field": ref, "type": edge["type"], "subtype": edge["subtype"]}
        if edge.get("masking"):
            source["masking"] = True
        if source not in sources:
            sources.append(source)
    refs = list(dict.fromkeys(s["field"] for sources in outputs.values() for s in sources))
    # A table the catalog does not know is decided even when no column of it is traced
    # (`SELECT 1 FROM t`): reading it at all needs a decision, and there is none to give.
    for name in result["tables"]["read"]:
        if resolver.dataset(name) is None and not any(r.startswith(f"{name}.") for r in refs):
            refs.append(f"{name}.{STAR}")
    body = (
        services.consult(
            consumer,
            purpose,
            refs,
            request_id=request_id,
            snap=snap,
            subjects=subjects,
            log=log,
        )
        if refs
        else {"catalog_version": (snap.version if snap else None), "decisions": []}
    )
    decided = {d["field"]: d for d in body["decisions"]}
    met = {ref: _met(d["obligations"], uses.get(ref, [])) for ref, d in decided.items()}
    answer_outputs = []
    for column, sources in outputs.items():
        obligations: list[dict] = []
        satisfied: list[dict] = []
        for s in sources:
            if s["type"] != "DIRECT":
                continue
            for o in decided[s["field"]]["obligations"]:
                target = satisfied if o in met[s["field"]] else obligations
                if o not in target:
                    target.append(o)
        satisfied = [o for o in satisfied if o not in obligations]
        denied = any(decided[s["field"]]["decision"] == Decision.DENY for s in sources)
        answer_outputs.append(
            {
                "column": column,
                "sources": sources,
                "obligations": [] if denied else obligations,
                "satisfied": [] if denied else satisfied,
                "decision": _verdict(denied, bool(obligations)),
            }
        )
    decisions = body["decisions"]
    denied = any(d["decision"] == Decision.DENY for d in decisions)
    pending = any(o not in met[d["field"]] for d in decisions for o in d["obligations"])
    return {
        "catalog_version": body["catalog_version"],
        "verdict": _verdict(denied, pending),
        "tables": [
            {"table": name, "dataset": dataset.ref if (dataset := resolver.dataset(name)) else None}
            for name in result["tables"]["read"]
        ],
        "decisions": decisions,
        "outputs": answer_outputs,
    }


# The masking functions that apply each method of a mask obligation (names as
# lineage.sql.roles compares them: lower-case, without underscores). SHA2 and pgcrypto's DIGEST
# apply the method their argument names.
APPLIED_BY = {
    "sha256": {"sha256", "sha2256", "hashsha256", "sha2", "sha2digest", "digest"},
    "sha512": {"sha512", "sha2512", "hashsha512", "sha2", "sha2digest", "digest"},
    "redact": {"redact", "mask", "maskfirstn", "masklastn", "maskshowfirstn", "maskshowlastn"},
    "tokenise": {"tokenize", "tokenise"},
}
_FUNCTION = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_BITS = re.compile(r"\b(224|256|384|512)\b")


def masks_with(expression: str, method: str) -> bool:
    """Whether an output expression masks its column with `method`: it applies masking
    functions, and every one of them is one that applies the method (``SHA256(email)``,
    ``SHA2(email, 256)``, ``ENCODE(DIGEST(email, 'sha256'), 'hex')``). Anything else, a mix
    (``SHA256(MD5(email))``) included, is not taken for it."""
    names = {name.lower().replace("_", "") for name in _FUNCTION.findall(expression)}
    masking = names & MASKING_FUNCTIONS
    if not masking or not masking <= APPLIED_BY.get(method, set()):
        return False
    bits = method.removeprefix("sha")
    if "digest" in masking and f"'{method}'" not in expression.lower():
        return False
    if masking & {"sha2", "sha2digest"}:
        named = set(_BITS.findall(expression))
        return named <= {bits} and (bits == "256" or bits in named)
    return True


def _met(obligations: list[dict], uses: list[tuple[bool, str]]) -> list[dict]:
    """The mask obligations a query meets itself: every use of the column (each output it
    feeds, each filter, join or sort) masks it with the method required."""
    return [
        o
        for o in obligations
        if o.get("type") == "mask"
        and uses
        and all(
            masked and masks_with(expression, o.get("method", "")) for masked, expression in uses
        )
    ]


def _verdict(denied: bool, obligations: bool) -> str:
    if denied:
        return Decision.DENY.value
    return Decision.ALLOW_WITH_OBLIGATIONS.value if obligations else Decision.ALLOW.value
