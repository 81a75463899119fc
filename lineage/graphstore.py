"""The per-process lineage graphs (fields and datasets), loaded from the database once and kept
current per request.

Every change to stored edges writes a `GraphRevision` row naming the job. `current()` reads the
newest row (one indexed query); when it differs from the last one seen, the rows written since
are replayed by reloading only those jobs' edges. A full reload happens on first use, after more
than `MAX_REPLAY` changes, or when the last row seen is gone or has another token (a rolled-back
transaction, a restored database)."""

from __future__ import annotations

import gc
import threading
from array import array
from contextlib import contextmanager
from dataclasses import dataclass, field

import networkx as nx
from django.db import connection

from lineage import graph as g
from lineage.models import DatasetEdge, GraphRevision, LineageEdge

MAX_REPLAY = 200


@dataclass
class Graphs:
    fields: nx.DiGraph = field(default_factory=g.new_graph)
    datasets: nx.DiGraph = field(default_factory=g.new_graph)
    # (source, target) pairs each job contributes, flat, to undo them on an incremental update.
    field_pairs: dict[int, array] = field(default_factory=dict)
    dataset_pairs: dict[int, array] = field(default_factory=dict)
    seen: tuple | None = None
    loads: int = 0  # full loads (tests and the benchmark read it)
    updates: int = 0  # incremental updates


_MASK_SQL = f"CASE type WHEN 'DIRECT' THEN {g.DIRECT} ELSE {g.INDIRECT} END"


def _rows(model, job_ids: list[int] | None):
    """(job, source, target, mask) for every edge, or for the given jobs', straight from SQL:
    building model instances would dominate the load time."""
    table = connection.ops.quote_name(model._meta.db_table)
    mask = _MASK_SQL if model is LineageEdge else str(g.DIRECT)
    sql = f"SELECT job_id, source_id, target_id, {mask} FROM {table}"
    params: list = []
    if job_ids is not None:
        sql += f" WHERE job_id IN ({', '.join(['%s'] * len(job_ids))})"
        params = job_ids
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY job_id", params)
        while batch := cursor.fetchmany(20000):
            yield from batch


def _load(graph: nx.DiGraph, pairs: dict[int, array], model, job_ids: list[int] | None) -> None:
    current_job, edges = None, []

    def flush():
        if current_job is not None:
            g.add_job_edges(graph, current_job, edges)
            pairs[current_job] = array("q", [n for u, v, _ in edges for n in (u, v)])

    for job, u, v, mask in _rows(model, job_ids):
        if job != current_job:
            flush()
            current_job, edges = job, []
        edges.append((u, v, mask))
    flush()


def _unload(graph: nx.DiGraph, pairs: dict[int, array], job: int) -> None:
    flat = pairs.pop(job, None)
    if flat is not None:
        g.remove_job_edges(graph, job, zip(flat[::2], flat[1::2], strict=True))


class GraphStore:
    def __init__(self):
        # Incremental updates change the graphs in place: readers hold the lock too.
        self._lock = threading.RLock()
        self._graphs = Graphs()

    def current(self) -> Graphs:
        latest = GraphRevision.objects.order_by("-id").values_list("id", "token").first()
        latest = latest or (0, None)
        graphs = self._graphs
        if graphs.seen is not None and latest == graphs.seen:
            return graphs
        with self._lock:
            if self._graphs.seen is None or latest != self._graphs.seen:
                self._refresh(latest)
            return self._graphs

    def _refresh(self, latest) -> None:
        graphs = self._graphs
        if graphs.seen is not None and graphs.seen[0]:
            rows = list(
                GraphRevision.objects.filter(id__gte=graphs.seen[0])
                .order_by("id")
                .values_list("id", "token", "job_id")[: MAX_REPLAY + 1]
            )
            replayable = all(job is not None for _, _, job in rows[1:])
            if rows and rows[0][:2] == graphs.seen and len(rows) <= MAX_REPLAY and replayable:
                jobs = sorted({job for _, _, job in rows[1:]})
                for job in jobs:
                    _unload(graphs.fields, graphs.field_pairs, job)
                    _unload(graphs.datasets, graphs.dataset_pairs, job)
                _load(graphs.fields, graphs.field_pairs, LineageEdge, jobs)
                _load(graphs.datasets, graphs.dataset_pairs, DatasetEdge, jobs)
                graphs.seen = latest
                graphs.updates += 1
                return
        self._graphs = self.load(latest, graphs.loads + 1, graphs.updates)

    @staticmethod
    def load(latest=(0, None), loads: int = 1, updates: int = 0) -> Graphs:
        graphs = Graphs(loads=loads, updates=updates)
        # Half a million edge dicts make every garbage collection walk the whole graph: collect
        # nothing while loading, then move what exists to the permanent generation.
        gc.disable()
        try:
            _load(graphs.fields, graphs.field_pairs, LineageEdge, None)
            _load(graphs.datasets, graphs.dataset_pairs, DatasetEdge, None)
        finally:
            gc.enable()
        gc.freeze()
        graphs.seen = latest
        return graphs

    @contextmanager
    def reading(self):
        with self._lock:
            yield self.current()


store = GraphStore()


def current() -> Graphs:
    """The graphs as of the last committed change (call once per request)."""
    return store.current()


def reading():
    """`with reading() as graphs:` the current graphs, not changed while the block runs."""
    return store.reading()
