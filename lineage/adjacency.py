"""The stored lineage graphs read from the database as lineage.graph asks for them: one query
per level of a walk, nothing kept between requests. The field graph is LineageEdge, the table
graph DatasetEdge; an edge's jobs are aggregated per (source, target) pair as lineage.graph
describes. A change to stored edges is seen by the next query of every process."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import connection

from core.db import select_in, table
from lineage import graph as g
from lineage.models import DatasetEdge, LineageEdge

_MASK_SQL = f"CASE type WHEN 'DIRECT' THEN {g.DIRECT} ELSE {g.INDIRECT} END"


def _rows(model, column: str, ids: list[int]) -> list[tuple[int, int, int, int]]:
    """(source, target, job, mask) of the edges whose `column` is among `ids`, by job then id
    (the order the walks meet neighbours in)."""
    mask = _MASK_SQL if model is LineageEdge else str(g.DIRECT)
    return select_in(
        f"SELECT source_id, target_id, job_id, {mask} FROM {table(model)} "
        f"WHERE {column} {{ids}} ORDER BY job_id, id",
        ids,
    )


def reader(model) -> g.Reader:
    def read(frontier: list[int], upstream: bool) -> g.Adjacency:
        if not frontier:
            return {}
        column = "target_id" if upstream else "source_id"
        return g.aggregate(_rows(model, column, list(frontier)), upstream=upstream)

    return read


def fields() -> g.Reader:
    """The field (column) graph, read a frontier at a time."""
    return reader(LineageEdge)


def datasets() -> g.Reader:
    """The dataset (table) graph."""
    return reader(DatasetEdge)


def with_upstream(ids: Iterable[int], types: int = g.ALL_TYPES) -> set[int]:
    """Those of the fields `ids` that some edge of `types` feeds (any job's)."""
    names = [name for name, bit in g.TYPE_BITS.items() if bit & types]
    if not names:
        return set()
    typed = f"type IN ({', '.join(['%s'] * len(names))})"
    sql = f"SELECT DISTINCT target_id FROM {table(LineageEdge)} WHERE {typed} AND target_id {{ids}}"
    return {row[0] for row in select_in(sql, ids, names)}


def cycle_pairs() -> Iterator[tuple[int, int]]:
    """The (source, target) pairs of the field graph that may lie on a cycle after a first trim
    in SQL (a source something feeds, a target that feeds something), streamed: the rest of
    the trimming is lineage.graph.on_cycles'."""
    edges = table(LineageEdge)
    sql = (
        f"SELECT source_id, target_id FROM {edges} "
        f"WHERE source_id IN (SELECT target_id FROM {edges}) "
        f"AND target_id IN (SELECT source_id FROM {edges})"
    )
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(20000):
            yield from batch
    finally:
        cursor.close()
