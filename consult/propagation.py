"""Classifications that follow lineage, and the trust of a field's upstream (pure: plain ids).

A classification flows from a field to its downstream fields along DIRECT edges, except edges
the parser marked as masking (hash, tokenise, redact). Aggregations pass it on but mark it, so a
policy may say that aggregation removes identifiability."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

AGGREGATION = "AGGREGATION"


@dataclass(frozen=True)
class Propagated:
    path: tuple[int, ...]  # from the labelled field to this one
    via_aggregation: bool


def downstream_adjacency(edges: Iterable) -> dict[int, list[tuple[int, bool]]]:
    """source -> [(target, is_aggregation)] over the edges a classification may follow."""
    adjacency: dict[int, list[tuple[int, bool]]] = {}
    for e in edges:
        if e.type == "DIRECT" and not e.masking and e.source != e.target:
            adjacency.setdefault(e.source, []).append((e.target, e.subtype == AGGREGATION))
    return adjacency


def propagate(
    adjacency: dict[int, list[tuple[int, bool]]],
    seeds: Iterable[int],
    blocked: set[int] = frozenset(),
) -> dict[int, Propagated]:
    """Every field one classification reaches from its `seeds` (fields labelled directly),
    with one shortest path, preferring paths without aggregation. `blocked` fields (a steward
    overrode the label there) neither take it nor pass it on."""
    seeds = [s for s in dict.fromkeys(seeds) if s not in blocked]
    parent: dict[int, int | None] = dict.fromkeys(seeds)
    via_agg: dict[int, bool] = dict.fromkeys(seeds, False)
    # Pass 1 follows non-aggregating edges only; pass 2 continues over all edges from what
    # pass 1 reached, so a field reachable both ways records the non-aggregated path.
    for allow_agg in (False, True):
        queue = deque(parent)
        while queue:
            node = queue.popleft()
            for target, is_agg in adjacency.get(node, ()):
                if target in parent or target in blocked or (is_agg and not allow_agg):
                    continue
                parent[target] = node
                via_agg[target] = via_agg[node] or is_agg
                queue.append(target)
    seed_set = set(seeds)
    out = {}
    for node in parent:
        if node in seed_set:
            continue
        path = [node]
        while parent[path[-1]] is not None:
            path.append(parent[path[-1]])
        out[node] = Propagated(tuple(reversed(path)), via_agg[node])
    return out


def upstream_adjacency(edges: Iterable) -> dict[int, list[tuple[int, str, bool]]]:
    """target -> [(source, job, job_failed)] over DIRECT edges."""
    adjacency: dict[int, list[tuple[int, str, bool]]] = {}
    for e in edges:
        if e.type == "DIRECT" and e.source != e.target:
            adjacency.setdefault(e.target, []).append((e.source, e.job, e.job_failed))
    return adjacency


def untrusted_upstream(
    adjacency: dict[int, list[tuple[int, str, bool]]],
    field: int,
    problem: Callable[[int], str | None],
) -> list[tuple[int, str]]:
    """[(field id, why)] for every DIRECT upstream field (transitively) that `problem` rejects,
    and every field on the way produced by a job whose current SQL failed to parse."""
    found: dict[int, str] = {}
    seen = {field}
    queue = deque([field])
    while queue:
        node = queue.popleft()
        for source, job, job_failed in adjacency.get(node, ()):
            if job_failed and node not in found:
                found[node] = f"produced by job {job!r}, whose current SQL failed to parse"
            if source in seen:
                continue
            seen.add(source)
            why = problem(source)
            if why and source not in found:
                found[source] = why
            queue.append(source)
    return sorted(found.items())
