"""lineage.graph on hand-built graphs: no database."""

from __future__ import annotations

from lineage import graph as g


def build(*edges, job=1):
    """edges: (u, v) DIRECT or (u, v, mask)."""
    graph = g.new_graph()
    g.add_job_edges(graph, job, [(e[0], e[1], e[2] if len(e) > 2 else g.DIRECT) for e in edges])
    return graph


def nodes(result):
    return {r["node"] for r in result["results"]}


# A chain 1 -> 2 -> 3 -> 4 -> 5 with a side branch 2 -> 6 (INDIRECT) and 6 -> 7.
CHAIN = [(1, 2), (2, 3), (3, 4), (4, 5), (2, 6, g.INDIRECT), (6, 7)]


def test_downstream_follows_every_type_by_default():
    assert nodes(g.traverse(build(*CHAIN), [1])) == {2, 3, 4, 5, 6, 7}


def test_direct_only_skips_indirect_edges_and_what_lies_beyond_them():
    assert nodes(g.traverse(build(*CHAIN), [1], types=g.DIRECT)) == {2, 3, 4, 5}


def test_upstream_walks_the_edges_backwards():
    result = g.traverse(build(*CHAIN), [5], upstream=True)
    assert nodes(result) == {4, 3, 2, 1}
    by_node = {r["node"]: r for r in result["results"]}
    assert by_node[1]["path"] == [5, 4, 3, 2, 1]
    assert by_node[1]["depth"] == 4


def test_depth_limits_the_hops_and_is_not_partial_when_asked_for():
    result = g.traverse(build(*CHAIN), [1], depth=2)
    assert nodes(result) == {2, 3, 6}
    assert result["partial"] is False


def test_the_depth_cap_marks_an_unlimited_walk_partial():
    result = g.traverse(build(*CHAIN), [1], max_depth=2)
    assert nodes(result) == {2, 3, 6}
    assert result["partial"] is True


def test_a_depth_beyond_the_cap_is_capped_and_partial():
    result = g.traverse(build(*CHAIN), [1], depth=10, max_depth=3)
    assert nodes(result) == {2, 3, 4, 6, 7}
    assert result["partial"] is True


def test_limit_cuts_the_results_and_says_so():
    result = g.traverse(build(*CHAIN), [1], limit=3)
    assert len(result["results"]) == 3
    assert result["partial"] is True
    assert g.traverse(build(*CHAIN), [1], limit=6)["partial"] is False


def test_each_result_carries_its_path_and_the_jobs_on_it():
    graph = build((1, 2), job=10)
    g.add_job_edges(graph, 20, [(2, 3, g.DIRECT)])
    (first, second) = g.traverse(graph, [1])["results"]
    assert first == {"node": 2, "depth": 1, "path": [1, 2], "jobs": [10]}
    assert second == {"node": 3, "depth": 2, "path": [1, 2, 3], "jobs": [10, 20]}


def test_edges_of_jobs_not_allowed_are_not_followed():
    graph = build((1, 2), job=10)
    g.add_job_edges(graph, 20, [(2, 3, g.DIRECT)])
    assert nodes(g.traverse(graph, [1], jobs=frozenset({10}))) == {2}
    assert nodes(g.traverse(graph, [1], jobs=frozenset())) == set()


def test_an_unknown_start_node_has_no_lineage():
    assert g.traverse(build(*CHAIN), [99]) == {"results": [], "partial": False}


def test_two_jobs_producing_the_same_edge_share_it_and_removing_one_keeps_it():
    graph = build((1, 2), job=10)
    g.add_job_edges(graph, 20, [(1, 2, g.INDIRECT)])
    assert graph[1][2]["m"] == g.DIRECT | g.INDIRECT
    g.remove_job_edges(graph, 10, [(1, 2)])
    assert graph[1][2] == {"m": g.INDIRECT, "j": ((20, g.INDIRECT),)}
    g.remove_job_edges(graph, 20, [(1, 2)])
    assert graph.number_of_edges() == 0
    assert graph.number_of_nodes() == 0


def test_all_paths_between_two_fields():
    graph = build((1, 2), (2, 4), (1, 3), (3, 4), (4, 5))
    result = g.all_paths(graph, 1, 5)
    assert sorted(p["nodes"] for p in result["paths"]) == [[1, 2, 4, 5], [1, 3, 4, 5]]
    assert result["partial"] is False
    assert g.all_paths(graph, 1, 5, limit=1)["partial"] is True
    assert g.all_paths(graph, 5, 1)["paths"] == []


def test_all_paths_honours_the_edge_types():
    graph = build((1, 2), (2, 4), (1, 3, g.INDIRECT), (3, 4))
    assert [p["nodes"] for p in g.all_paths(graph, 1, 4, types=g.DIRECT)["paths"]] == [[1, 2, 4]]


def test_cycles_are_found_and_reported_from_their_smallest_node():
    graph = build((1, 2), (2, 3), (3, 1), (3, 4), (5, 6), (6, 5))
    result = g.cycles(graph)
    assert sorted(result["cycles"]) == [[1, 2, 3], [5, 6]]
    assert g.cycles(graph, limit=1)["partial"] is True
    assert g.cycles(build(*CHAIN))["cycles"] == []


def test_orphans_are_candidates_without_upstream():
    graph = build(*CHAIN)
    assert g.orphans(graph, [1, 2, 6, 7, 42]) == [1, 42]
    assert g.orphans(graph, [6, 7], types=g.DIRECT) == [6]


def test_upstream_masks_leave_out_one_job():
    graph = build((1, 3), job=10)
    g.add_job_edges(graph, 20, [(2, 3, g.INDIRECT)])
    assert g.upstream_masks(graph, 3) == {1: g.DIRECT, 2: g.INDIRECT}
    assert g.upstream_masks(graph, 3, without_job=10) == {2: g.INDIRECT}


def test_type_mask_reads_names():
    assert g.type_mask(["direct"]) == g.DIRECT
    assert g.type_mask(["DIRECT", "INDIRECT"]) == g.ALL_TYPES


def test_what_a_walk_restricted_to_some_jobs_does_not_show_is_counted():
    graph = build((1, 2), (2, 3), job=1)
    g.add_job_edges(graph, 2, [(2, 4, g.DIRECT), (4, 5, g.DIRECT), (3, 5, g.DIRECT)])
    assert g.hidden(graph, [1], jobs=frozenset({1})) == {"nodes": 2, "edges": 3}
    assert g.hidden(graph, [1], jobs=frozenset({1}), depth=2) == {"nodes": 1, "edges": 1}
    assert g.hidden(graph, [1], jobs=frozenset()) == {"nodes": 4, "edges": 5}
    assert g.hidden(graph, [1], jobs=None) == {"nodes": 0, "edges": 0}
    assert g.hidden(graph, [5], upstream=True, jobs=frozenset({2})) == {"nodes": 1, "edges": 2}


def test_reach_is_the_node_set_of_an_unlimited_walk():
    graph = build(*CHAIN)
    assert g.reach(graph, [1]) == nodes(g.traverse(graph, [1]))
    assert g.reach(graph, [1], cap=2, types=g.DIRECT) == {2, 3}


def test_walks_read_one_whole_frontier_per_level():
    graph = build(*CHAIN)
    asked = []
    memory = g.memory_reader(graph)

    def read(frontier, upstream):
        asked.append(sorted(frontier))
        return memory(frontier, upstream)

    assert g.traverse(read, [1]) == g.traverse(graph, [1])
    assert asked == [[1], [2], [3, 6], [4, 7], [5]]
    asked.clear()
    g.traverse(read, [1], depth=2)  # a depth the caller chose: nothing read beyond it
    assert asked == [[1], [2]]


def test_a_cached_reader_reads_each_node_once():
    graph = build(*CHAIN)
    asked = []
    memory = g.memory_reader(graph)

    def read(frontier, upstream):
        asked.extend(frontier)
        return memory(frontier, upstream)

    cached = g.cached(read)
    g.traverse(cached, [1])
    g.hidden(cached, [1], jobs=frozenset())
    assert sorted(asked) == [1, 2, 3, 4, 5, 6, 7]


def test_paths_read_only_the_nodes_between_the_two_ends():
    graph = build((1, 2), (2, 4), (1, 3), (3, 4), (4, 5), (2, 8), (9, 4))
    read_down = []
    memory = g.memory_reader(graph)

    def read(frontier, upstream):
        if not upstream:
            read_down.append(sorted(frontier))
        return memory(frontier, upstream)

    assert g.all_paths(read, 1, 4) == g.all_paths(graph, 1, 4)
    assert read_down[-1] == [1, 2, 3, 4]  # the subgraph: not 8 (no way to 4), not 9, not 5


def test_cycles_over_a_reader_look_only_at_what_trimming_leaves():
    edges = [(1, 2), (2, 3), (3, 1), (3, 4), (5, 6), (6, 5), (0, 1), (4, 7)]
    graph = build(*edges)
    assert g.on_cycles([(u, v) for u, v in edges]) == {1, 2, 3, 5, 6}
    assert g.on_cycles([(1, 2), (2, 3), (3, 4)]) == set()
    pairs = [(u, v) for u, v in edges]
    assert g.cycles(g.memory_reader(graph), pairs=pairs) == g.cycles(graph)


def test_a_self_loop_is_a_cycle_and_survives_trimming():
    assert g.on_cycles([(1, 1), (1, 2)]) == {1}
    assert g.cycles(build((1, 1), (1, 2)))["cycles"] == [[1]]
