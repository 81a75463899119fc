"""Graph questions over stored lineage (pure: networkx and plain ints, no Django).

Nodes are integer ids (catalog field ids, or dataset ids for the table-level graph). An edge
u -> v carries `m`, a bit mask of the edge types present (DIRECT=1, INDIRECT=2), and `j`, a
tuple of (job_id, mask) pairs: which jobs produce it. Several jobs may produce the same edge;
networkx keeps one edge per pair, so these two attributes aggregate them."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable

import networkx as nx

DIRECT = 1
INDIRECT = 2
ALL_TYPES = DIRECT | INDIRECT
TYPE_BITS = {"DIRECT": DIRECT, "INDIRECT": INDIRECT}

# Identical job tuples are shared between edges: most edges have one job, so this keeps the
# per-edge cost to networkx's own dict entry.
_interned: dict[tuple, tuple] = {}


def _intern(value: tuple) -> tuple:
    return _interned.setdefault(value, value)


def type_mask(types: Iterable[str]) -> int:
    mask = 0
    for name in types:
        mask |= TYPE_BITS[name.upper()]
    return mask


def new_graph() -> nx.DiGraph:
    return nx.DiGraph()


def add_job_edges(graph: nx.DiGraph, job_id: int, edges: Iterable[tuple[int, int, int]]) -> None:
    """Add one job's edges, (source, target, mask) each; a pair given twice ORs its masks."""
    merged: dict[tuple[int, int], int] = {}
    for u, v, mask in edges:
        merged[(u, v)] = merged.get((u, v), 0) | mask
    succ = graph._succ
    for (u, v), mask in merged.items():
        attrs = succ.get(u, {}).get(v)
        if attrs is None:
            graph.add_edge(u, v, m=mask, j=_intern(((job_id, mask),)))
            continue
        pairs = tuple(p for p in attrs["j"] if p[0] != job_id) + ((job_id, mask),)
        attrs["j"] = _intern(tuple(sorted(pairs)))
        attrs["m"] = _mask_of(attrs["j"])


def remove_job_edges(graph: nx.DiGraph, job_id: int, pairs: Iterable[tuple[int, int]]) -> None:
    """Remove one job's contribution to the given (source, target) pairs; an edge no other job
    produces disappears, and so does a node left without edges."""
    touched = set()
    for u, v in pairs:
        attrs = graph._succ.get(u, {}).get(v)
        if attrs is None:
            continue
        rest = tuple(p for p in attrs["j"] if p[0] != job_id)
        if rest:
            attrs["j"] = _intern(rest)
            attrs["m"] = _mask_of(rest)
        else:
            graph.remove_edge(u, v)
            touched.update((u, v))
    graph.remove_nodes_from([n for n in touched if graph.degree(n) == 0])


def _mask_of(pairs: tuple) -> int:
    mask = 0
    for _, m in pairs:
        mask |= m
    return mask


def _edge_mask(attrs: dict, jobs: frozenset[int] | None) -> int:
    if jobs is None:
        return attrs["m"]
    mask = 0
    for job, m in attrs["j"]:
        if job in jobs:
            mask |= m
    return mask


def _edge_jobs(attrs: dict, types: int, jobs: frozenset[int] | None) -> list[int]:
    return [job for job, m in attrs["j"] if m & types and (jobs is None or job in jobs)]


def traverse(
    graph: nx.DiGraph,
    start: Iterable[int],
    *,
    upstream: bool = False,
    depth: int | None = None,
    max_depth: int = 50,
    types: int = ALL_TYPES,
    limit: int | None = None,
    jobs: frozenset[int] | None = None,
) -> dict:
    """Breadth-first walk from `start` (downstream, or upstream), following edges of `types`
    produced by `jobs` (None: any job). Returns {"results": [{"node", "depth", "path", "jobs"}],
    "partial": bool}; `path` runs from the start node to the result in the walk's direction,
    `jobs` are the jobs on that path. `partial` is true when `limit` cut the results, or when
    the depth cap (not a depth the caller asked for) stopped the walk short."""
    adjacency = graph._pred if upstream else graph._succ
    cap = max_depth if depth is None else min(depth, max_depth)
    starts = list(dict.fromkeys(start))
    parent: dict[int, int | None] = dict.fromkeys(starts)
    level = dict.fromkeys(starts, 0)
    found: list[int] = []
    queue = deque(n for n in starts if n in adjacency)
    partial = False
    while queue:
        node = queue.popleft()
        d = level[node]
        for neighbour, attrs in adjacency[node].items():
            if neighbour in parent:
                continue
            if not (attrs["m"] if jobs is None else _edge_mask(attrs, jobs)) & types:
                continue
            if d >= cap:
                # There is more beyond the cap: only a cap the caller did not choose is partial.
                partial = partial or depth is None or depth > max_depth
                continue
            if limit is not None and len(found) >= limit:
                partial = True
                queue.clear()
                break
            parent[neighbour] = node
            level[neighbour] = d + 1
            found.append(neighbour)
            queue.append(neighbour)
    # Paths and jobs extend the parent's, which `found` (breadth-first order) lists first.
    paths = {n: [n] for n in starts}
    on_path: dict[int, tuple] = dict.fromkeys(starts, ())
    results = []
    for node in found:
        before = parent[node]
        path = paths[node] = paths[before] + [node]
        node_jobs = on_path[before]
        for job in _edge_jobs(adjacency[before][node], types, jobs):
            if job not in node_jobs:
                node_jobs = (*node_jobs, job)
        on_path[node] = node_jobs
        results.append({"node": node, "depth": level[node], "path": path, "jobs": list(node_jobs)})
    return {"results": results, "partial": partial}


def reach(
    graph: nx.DiGraph,
    start: Iterable[int],
    *,
    upstream: bool = False,
    cap: int = 50,
    types: int = ALL_TYPES,
    jobs: frozenset[int] | None = None,
) -> set[int]:
    """Every node within `cap` hops of `start` (start nodes excluded) along edges of `types`
    produced by `jobs`: the node set of an unlimited `traverse`, without its paths."""
    adjacency = graph._pred if upstream else graph._succ
    starts = set(start)
    seen = set(starts)
    frontier = [n for n in starts if n in adjacency]
    for _ in range(cap):
        following = []
        for node in frontier:
            for neighbour, attrs in adjacency[node].items():
                if neighbour not in seen and _edge_mask(attrs, jobs) & types:
                    seen.add(neighbour)
                    following.append(neighbour)
        if not following:
            break
        frontier = following
    return seen - starts


def hidden(
    graph: nx.DiGraph,
    start: Iterable[int],
    *,
    upstream: bool = False,
    depth: int | None = None,
    max_depth: int = 50,
    types: int = ALL_TYPES,
    jobs: frozenset[int] | None = None,
) -> dict:
    """How much of a walk from `start` a caller restricted to `jobs` does not see, as counts
    only: {"nodes": nodes within the walk's depth that only lineage of other jobs reaches,
    "edges": edges of `types` among the nodes the whole walk reaches that no job in `jobs`
    produces}. Nothing for an unrestricted caller (`jobs` None)."""
    if jobs is None:
        return {"nodes": 0, "edges": 0}
    starts = set(start)
    cap = max_depth if depth is None else min(depth, max_depth)
    every = reach(graph, starts, upstream=upstream, cap=cap, types=types)
    seen = reach(graph, starts, upstream=upstream, cap=cap, types=types, jobs=jobs)
    adjacency = graph._pred if upstream else graph._succ
    reached = every | starts
    edges = sum(
        1
        for node in reached
        for neighbour, attrs in adjacency.get(node, {}).items()
        if neighbour in reached and attrs["m"] & types and not _edge_mask(attrs, jobs) & types
    )
    return {"nodes": len(every - seen), "edges": edges}


def _path_jobs(adjacency, path: list[int], types: int, jobs) -> list[int]:
    on_path: dict[int, None] = {}
    for a, b in itertools.pairwise(path):
        on_path.update(dict.fromkeys(_edge_jobs(adjacency[a][b], types, jobs)))
    return list(on_path)


def _view(graph: nx.DiGraph, types: int, jobs: frozenset[int] | None) -> nx.DiGraph:
    if types == ALL_TYPES and jobs is None:
        return graph
    return nx.subgraph_view(
        graph, filter_edge=lambda u, v: bool(_edge_mask(graph._succ[u][v], jobs) & types)
    )


def all_paths(
    graph: nx.DiGraph,
    source: int,
    target: int,
    *,
    max_depth: int = 50,
    types: int = ALL_TYPES,
    limit: int = 100,
    jobs: frozenset[int] | None = None,
) -> dict:
    """Every simple path from source to target of at most `max_depth` edges, up to `limit`."""
    if source not in graph or target not in graph or source == target:
        return {"paths": [], "partial": False}
    view = _view(graph, types, jobs)
    paths = list(itertools.islice(nx.all_simple_paths(view, source, target, max_depth), limit + 1))
    partial = len(paths) > limit
    return {
        "paths": [
            {"nodes": p, "jobs": _path_jobs(graph._succ, p, types, jobs)} for p in paths[:limit]
        ],
        "partial": partial,
    }


def cycles(
    graph: nx.DiGraph,
    *,
    max_length: int = 50,
    types: int = ALL_TYPES,
    limit: int = 100,
    jobs: frozenset[int] | None = None,
) -> dict:
    """Cycles (lineage that feeds itself), each as its list of nodes, up to `limit`."""
    view = _view(graph, types, jobs)
    found = list(itertools.islice(nx.simple_cycles(view, length_bound=max_length), limit + 1))
    return {"cycles": [sorted_cycle(c) for c in found[:limit]], "partial": len(found) > limit}


def sorted_cycle(cycle: list[int]) -> list[int]:
    """The cycle rotated to start at its smallest node, so results are stable."""
    i = cycle.index(min(cycle))
    return cycle[i:] + cycle[:i]


def has_upstream(
    graph: nx.DiGraph, node: int, types: int = ALL_TYPES, jobs: frozenset[int] | None = None
) -> bool:
    return any(_edge_mask(a, jobs) & types for a in graph._pred.get(node, {}).values())


def orphans(
    graph: nx.DiGraph,
    candidates: Iterable[int],
    types: int = ALL_TYPES,
    jobs: frozenset[int] | None = None,
) -> list[int]:
    """The candidates (fields that should be derived from something) with no upstream edge."""
    return [n for n in candidates if not has_upstream(graph, n, types, jobs)]


def upstream_masks(
    graph: nx.DiGraph, node: int, *, without_job: int | None = None
) -> dict[int, int]:
    """{source: mask} of the edges into `node`, leaving out one job's contribution."""
    out = {}
    for source, attrs in graph._pred.get(node, {}).items():
        mask = 0
        for job, m in attrs["j"]:
            if job != without_job:
                mask |= m
        if mask:
            out[source] = mask
    return out
