"""Graph questions over stored lineage (pure: networkx and plain ints, no Django).

Nodes are integer ids (catalog field ids, or dataset ids for the table-level graph). An edge
u -> v carries `m`, a bit mask of the edge types present (DIRECT=1, INDIRECT=2), and `j`, a
tuple of (job_id, mask) pairs: which jobs produce it. Several jobs may produce the same edge;
one edge is kept per pair, so these two attributes aggregate them.

The walks read the graph through an adjacency reader: a callable that, given a whole frontier
(a list of node ids) and a direction (`upstream` true or false), answers {node: {neighbour:
attrs}} for the nodes of the frontier that have edges that way, each node's neighbours in a
stable order. `memory_reader` reads a networkx graph (what the pure tests build); the lineage
app's reader (lineage.adjacency) asks the database one query per level of a walk. Every
function here also takes a networkx graph where it takes a reader."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

import networkx as nx

DIRECT = 1
INDIRECT = 2
ALL_TYPES = DIRECT | INDIRECT
TYPE_BITS = {"DIRECT": DIRECT, "INDIRECT": INDIRECT}

Adjacency = dict[int, dict[int, dict]]
Reader = Callable[[list[int], bool], Adjacency]

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


def aggregate(rows: Iterable[tuple[int, int, int, int]], *, upstream: bool = False) -> Adjacency:
    """The adjacency of (source, target, job, mask) rows, an edge per pair with its jobs
    aggregated (ordered by job, masks ORed): keyed by source, or by target when `upstream`.
    Neighbours come in the order of their first row."""
    out: Adjacency = {}
    for source, target, job, mask in rows:
        node, neighbour = (target, source) if upstream else (source, target)
        edges = out.get(node)
        if edges is None:
            edges = out[node] = {}
        attrs = edges.get(neighbour)
        if attrs is None:
            edges[neighbour] = {"m": mask, "j": ((job, mask),)}
            continue
        jobs = dict(attrs["j"])
        jobs[job] = jobs.get(job, 0) | mask
        attrs["j"] = tuple(sorted(jobs.items()))
        attrs["m"] |= mask
    return out


def memory_reader(graph: nx.DiGraph) -> Reader:
    """An adjacency reader over a networkx graph."""

    def read(frontier: list[int], upstream: bool) -> Adjacency:
        adjacency = graph._pred if upstream else graph._succ
        return {n: adjacency[n] for n in frontier if n in adjacency}

    return read


def cached(read: Reader) -> Reader:
    """A reader that asks `read` once per node and direction (for the walks of one request)."""
    known: tuple[dict, dict] = ({}, {})

    def read_cached(frontier: list[int], upstream: bool) -> Adjacency:
        seen = known[bool(upstream)]
        missing = [n for n in dict.fromkeys(frontier) if n not in seen]
        if missing:
            found = read(missing, upstream)
            for n in missing:
                seen[n] = found.get(n)
        return {n: seen[n] for n in frontier if seen[n]}

    return read_cached


def reader(graph: nx.DiGraph | Reader) -> Reader:
    return memory_reader(graph) if isinstance(graph, nx.DiGraph) else graph


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
    graph: nx.DiGraph | Reader,
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
    produced by `jobs` (None: any job), one read per level. Returns {"results": [{"node",
    "depth", "path", "jobs"}], "partial": bool}; `path` runs from the start node to the result
    in the walk's direction, `jobs` are the jobs on that path. `partial` is true when `limit`
    cut the results, or when the depth cap (not a depth the caller asked for) stopped the walk
    short."""
    read = reader(graph)
    cap = max_depth if depth is None else min(depth, max_depth)
    # Whether what lies beyond the cap matters (it makes the answer partial): only when the cap
    # is not a depth the caller chose.
    look_beyond = depth is None or depth > max_depth
    starts = list(dict.fromkeys(start))
    parent: dict[int, int | None] = dict.fromkeys(starts)
    via: dict[int, dict] = {}
    level = dict.fromkeys(starts, 0)
    found: list[int] = []
    frontier = starts
    partial = False
    d = 0
    while frontier and (d < cap or (look_beyond and not partial)):
        adjacency = read(frontier, upstream)
        following: list[int] = []
        stop = False
        for node in frontier:
            for neighbour, attrs in adjacency.get(node, {}).items():
                if neighbour in parent:
                    continue
                if not (attrs["m"] if jobs is None else _edge_mask(attrs, jobs)) & types:
                    continue
                if d >= cap:
                    # There is more beyond the cap.
                    partial = True
                    stop = True
                    break
                if limit is not None and len(found) >= limit:
                    partial = True
                    stop = True
                    break
                parent[neighbour] = node
                via[neighbour] = attrs
                level[neighbour] = d + 1
                found.append(neighbour)
                following.append(neighbour)
            if stop:
                break
        if stop:
            break
        frontier = following
        d += 1
    # Paths and jobs extend the parent's, which `found` (breadth-first order) lists first.
    paths = {n: [n] for n in starts}
    on_path: dict[int, tuple] = dict.fromkeys(starts, ())
    results = []
    for node in found:
        before = parent[node]
        path = paths[node] = paths[before] + [node]
        node_jobs = on_path[before]
        for job in _edge_jobs(via[node], types, jobs):
            if job not in node_jobs:
                node_jobs = (*node_jobs, job)
        on_path[node] = node_jobs
        results.append({"node": node, "depth": level[node], "path": path, "jobs": list(node_jobs)})
    return {"results": results, "partial": partial}


def reach(
    graph: nx.DiGraph | Reader,
    start: Iterable[int],
    *,
    upstream: bool = False,
    cap: int = 50,
    types: int = ALL_TYPES,
    jobs: frozenset[int] | None = None,
) -> set[int]:
    """Every node within `cap` hops of `start` (start nodes excluded) along edges of `types`
    produced by `jobs`: the node set of an unlimited `traverse`, without its paths."""
    read = reader(graph)
    starts = set(start)
    seen = set(starts)
    frontier = list(starts)
    for _ in range(cap):
        if not frontier:
            break
        adjacency = read(frontier, upstream)
        following = []
        for node in frontier:
            for neighbour, attrs in adjacency.get(node, {}).items():
                if neighbour not in seen and _edge_mask(attrs, jobs) & types:
                    seen.add(neighbour)
                    following.append(neighbour)
        frontier = following
    return seen - starts


def hidden(
    graph: nx.DiGraph | Reader,
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
    produces}. Nothing for an unrestricted caller (`jobs` None). Give it a `cached` reader when
    the walk itself read the same nodes."""
    if jobs is None:
        return {"nodes": 0, "edges": 0}
    read = reader(graph)
    starts = set(start)
    cap = max_depth if depth is None else min(depth, max_depth)
    every = reach(read, starts, upstream=upstream, cap=cap, types=types)
    seen = reach(read, starts, upstream=upstream, cap=cap, types=types, jobs=jobs)
    reached = every | starts
    adjacency = read(list(reached), upstream)
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


def subgraph(read: Reader, nodes: Iterable[int]) -> nx.DiGraph:
    """The edges among `nodes` as a networkx graph, each node's successors in the reader's
    order."""
    nodes = list(dict.fromkeys(nodes))
    within = set(nodes)
    graph = new_graph()
    adjacency = read(nodes, False) if nodes else {}
    for node in nodes:
        for neighbour, attrs in adjacency.get(node, {}).items():
            if neighbour in within:
                graph.add_edge(node, neighbour, **attrs)
    return graph


def all_paths(
    graph: nx.DiGraph | Reader,
    source: int,
    target: int,
    *,
    max_depth: int = 50,
    types: int = ALL_TYPES,
    limit: int = 100,
    jobs: frozenset[int] | None = None,
) -> dict:
    """Every simple path from source to target of at most `max_depth` edges, up to `limit`.
    Only the nodes that can lie on one are read whole: those both downstream of the source and
    upstream of the target within `max_depth`."""
    none = {"paths": [], "partial": False}
    if source == target:
        return none
    read = reader(graph)
    down = reach(read, [source], cap=max_depth, types=types, jobs=jobs)
    if target not in down:
        return none
    up = reach(read, [target], upstream=True, cap=max_depth, types=types, jobs=jobs)
    up.add(target)
    part = subgraph(read, [source, *(n for n in down if n in up)])
    view = _view(part, types, jobs)
    paths = list(itertools.islice(nx.all_simple_paths(view, source, target, max_depth), limit + 1))
    partial = len(paths) > limit
    return {
        "paths": [
            {"nodes": p, "jobs": _path_jobs(part._succ, p, types, jobs)} for p in paths[:limit]
        ],
        "partial": partial,
    }


def cycles(
    graph: nx.DiGraph | Reader,
    *,
    max_length: int = 50,
    types: int = ALL_TYPES,
    limit: int = 100,
    jobs: frozenset[int] | None = None,
    pairs: Iterable[tuple[int, int]] | None = None,
) -> dict:
    """Cycles (lineage that feeds itself), each as its list of nodes, up to `limit`. With a
    reader, `pairs` are the graph's (source, target) pairs (or a superset of those on cycles,
    such as what the database keeps after a first trim): they are trimmed (`on_cycles`), and
    only the nodes left are read whole."""
    if isinstance(graph, nx.DiGraph):
        whole = graph
    else:
        whole = subgraph(graph, sorted(on_cycles(pairs or ())))
    view = _view(whole, types, jobs)
    found = list(itertools.islice(nx.simple_cycles(view, length_bound=max_length), limit + 1))
    return {"cycles": [sorted_cycle(c) for c in found[:limit]], "partial": len(found) > limit}


def on_cycles(pairs: Iterable[tuple[int, int]]) -> set[int]:
    """The nodes that may lie on a cycle of the graph of (source, target) `pairs`: what is left
    after repeatedly removing nodes with no edge in or no edge out. Kept as two flat arrays of
    ints, not a graph."""
    from array import array

    sources, targets = array("q"), array("q")
    for u, v in pairs:
        sources.append(u)
        targets.append(v)
    while sources:
        has_in, has_out = set(targets), set(sources)
        kept_sources, kept_targets = array("q"), array("q")
        for u, v in zip(sources, targets, strict=True):
            if u in has_in and v in has_out:
                kept_sources.append(u)
                kept_targets.append(v)
        if len(kept_sources) == len(sources):
            break
        sources, targets = kept_sources, kept_targets
    return set(sources) | set(targets)


def sorted_cycle(cycle: list[int]) -> list[int]:
    """The cycle rotated to start at its smallest node, so results are stable."""
    i = cycle.index(min(cycle))
    return cycle[i:] + cycle[:i]


def upstream_of(
    graph: nx.DiGraph | Reader,
    nodes: Iterable[int],
    types: int = ALL_TYPES,
    jobs: frozenset[int] | None = None,
) -> set[int]:
    """Those of `nodes` with an upstream edge of `types` produced by `jobs`."""
    nodes = list(nodes)
    adjacency = reader(graph)(nodes, True) if nodes else {}
    return {
        n
        for n, edges in adjacency.items()
        if any(_edge_mask(a, jobs) & types for a in edges.values())
    }


def orphans(
    graph: nx.DiGraph | Reader,
    candidates: Iterable[int],
    types: int = ALL_TYPES,
    jobs: frozenset[int] | None = None,
) -> list[int]:
    """The candidates (fields that should be derived from something) with no upstream edge."""
    candidates = list(candidates)
    fed = upstream_of(graph, candidates, types, jobs)
    return [n for n in candidates if n not in fed]


def upstream_masks(
    graph: nx.DiGraph | Reader, node: int, *, without_job: int | None = None
) -> dict[int, int]:
    """{source: mask} of the edges into `node`, leaving out one job's contribution."""
    out = {}
    for source, attrs in reader(graph)([node], True).get(node, {}).items():
        mask = 0
        for job, m in attrs["j"]:
            if job != without_job:
                mask |= m
        if mask:
            out[source] = mask
    return out
