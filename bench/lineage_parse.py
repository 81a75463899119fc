"""Throughput of the SQL lineage parser against a plain-sqlglot baseline, in the same run.

    .venv/bin/python bench/lineage_parse.py [--corpus PATH.jsonl] [--repeat 5]

Uses the sqllineage-derived corpus if you have it (`--corpus`, one JSON case a line), else the
project's own fixtures (tests/lineage/sql/*.sql). Prints statements/s (median over the
repetitions) for ``lineage.sql.extract_lineage`` and for the baseline, and their ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlglot  # noqa: E402
import sqlparse  # noqa: E402
from sqlglot import exp  # noqa: E402
from sqlglot.lineage import lineage as sqlglot_lineage  # noqa: E402

from lineage.sql import extract_lineage, normalize_dialect  # noqa: E402

FIXTURE_DIALECTS = {"tsql": "tsql", "bigquery": "bigquery", "mysql": "mysql", "hive": "hive"}


def load_cases(corpus: Path | None) -> tuple[str, list[dict]]:
    if corpus is not None and corpus.exists():
        cases = [json.loads(line) for line in corpus.open() if line.strip()]
        return str(corpus), cases
    cases = []
    for path in sorted((ROOT / "tests/lineage/sql").glob("*.sql")):
        dialect = next((d for key, d in FIXTURE_DIALECTS.items() if key in path.stem), "postgres")
        if path.stem in ("select_into", "temp_tables"):
            dialect = "tsql"
        cases.append({"id": path.name, "dialect": dialect, "sql": path.read_text(), "schema": None})
    return "tests/lineage/sql/*.sql", cases


def count_statements(sql: str) -> int:
    n = 0
    for s in sqlparse.split(sql):
        if sqlparse.format(s, strip_comments=True).strip().strip(";").strip():
            n += 1
    return max(n, 1)


def plain_sqlglot(case: dict) -> None:
    """What a sqlglot user writes: parse, then sqlglot.lineage per projection of each query."""
    dialect = normalize_dialect(case["dialect"])
    try:
        trees = sqlglot.parse(case["sql"], read=dialect)
    except Exception:
        return
    for tree in trees:
        if tree is None:
            continue
        for _ in tree.find_all(exp.Table):
            pass
        query = tree.expression if isinstance(tree, (exp.Insert, exp.Create)) else tree
        while isinstance(query, exp.Subquery):
            query = query.this
        if not isinstance(query, exp.Query):
            continue
        schema = case.get("schema") or {}
        # the retries score_project.SqlGlotAdapter makes: alias refs off, then no schema
        for sch, kwargs in ((schema, {}), (schema, {"expand_alias_refs": False}), ({}, {})):
            try:
                sqlglot_lineage(None, query, sch, dialect=dialect, copy=True, **kwargs)
                break
            except Exception:
                continue


def ours(case: dict) -> None:
    extract_lineage(case["sql"], dialect=case["dialect"], schema=case.get("schema")).to_dict()


def baseline_runner(corpus_path: Path | None):
    """score_project.SqlGlotAdapter when the benchmark directory is present, else ours."""
    if corpus_path is not None and (corpus_path.parent / "score_project.py").exists():
        sys.path.insert(0, str(corpus_path.parent))
        try:
            from score_project import SqlGlotAdapter  # type: ignore[import-not-found]

            adapter = SqlGlotAdapter()
            return "score_project.SqlGlotAdapter", adapter.run
        except Exception:
            pass
    return "plain sqlglot (parse + sqlglot.lineage)", plain_sqlglot


def timed(fn, cases: list[dict]) -> float:
    start = time.perf_counter()
    for case in cases:
        with contextlib.suppress(Exception):
            fn(case)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if args.corpus is not None and not args.corpus.exists():
        ap.error(f"--corpus: no file {args.corpus}")
    logging.disable(logging.CRITICAL)  # sqlglot warns on every statement it cannot parse

    source, cases = load_cases(args.corpus)
    statements = sum(count_statements(c["sql"]) for c in cases)
    base_name, base_fn = baseline_runner(args.corpus)
    warm = {"id": "warmup", "dialect": "ansi", "sql": "INSERT INTO a SELECT x FROM b"}
    warm["schema"] = None
    ours(warm)
    base_fn(warm)

    ours_times, base_times = [], []
    for _ in range(args.repeat):
        # interleaved so both tools see the same machine load
        ours_times.append(timed(ours, cases))
        base_times.append(timed(base_fn, cases))
    ours_rate = statements / statistics.median(ours_times)
    base_rate = statements / statistics.median(base_times)
    print(f"corpus: {source} ({len(cases)} cases, {statements} statements)")
    print(f"repetitions: {args.repeat} (median)")
    print(f"lineage.sql.extract_lineage: {ours_rate:8.1f} statements/s")
    print(f"{base_name}: {base_rate:8.1f} statements/s")
    print(f"ratio (ours / baseline): {ours_rate / base_rate:.2f}")


if __name__ == "__main__":
    main()
