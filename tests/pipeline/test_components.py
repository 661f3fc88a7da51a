"""Tests for pipeline/components.py: ConnectedComponents on the FnApiRunner vs union-find."""
from __future__ import annotations

import itertools
import random
from collections import defaultdict

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.components import NAMESPACE, ConnectedComponents, NotConverged, is_not_converged, rounds_for


def components_from_edges_reference(edges):
    """Pure union-find (tests only): {node: smallest id of its component}."""
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            if ra < rb:
                parent[rb] = ra
            else:
                parent[ra] = rb
    return {x: find(x) for x in list(parent)}


def counter(result, name):
    flt = MetricsFilter().with_namespace(NAMESPACE).with_name(name)
    return sum(c.committed for c in result.metrics().query(flt)["counters"])


def chain(prefix, n, rng):
    ids = [f"{prefix}{i:04d}" for i in range(n)]
    rng.shuffle(ids)  # random id order along the path: the slow case for label propagation
    return [(ids[i], ids[i + 1]) for i in range(n - 1)]


def test_graphs_match_union_find():
    """One pipeline over the disjoint union of several test graphs (ids prefixed per graph)."""
    rng = random.Random(7)
    graphs = {
        "chain": chain("c/", 200, rng),
        "star_min_hub": [("s/000", f"s/{i:03d}") for i in range(1, 301)],
        "star_mid_hub": [(f"t/{i:03d}", "t/150") for i in range(301) if i != 150],
        "disjoint": [("d/a", "d/b"), ("d/c", "d/d"), ("d/d", "d/e"), ("d/f", "d/g"), ("d/h", "d/g")],
        "loops_and_duplicates": [("l/x", "l/x"), ("l/y", "l/z"), ("l/z", "l/y"), ("l/y", "l/z"),
                                 ("l/z", "l/z"), ("l/q", "l/q")],
    }
    nodes = [f"r/{i:03d}" for i in range(300)]
    graphs["random"] = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(260)]
    # a clique and a lollipop (clique + tail)
    graphs["clique"] = [(f"k/{i}", f"k/{j}") for i in range(12) for j in range(12) if i != j]
    graphs["lollipop"] = [(f"p/{i:02d}", f"p/{j:02d}") for i in range(8) for j in range(i + 1, 8)] + \
        [(f"p/{i:02d}", f"p/{i + 1:02d}") for i in range(7, 40)]
    all_edges = [e for edges in graphs.values() for e in edges]
    rng.shuffle(all_edges)
    expected = sorted(components_from_edges_reference(all_edges).items())
    assert len({lab for _, lab in expected}) > 10
    assert ("l/q", "l/q") in expected and ("l/z", "l/y") in expected
    assert dict(expected)["c/0150"] == "c/0000"

    p = test_pipeline.TestPipeline(runner="FnApiRunner")
    labels = p | beam.Create(all_edges) | "CC" >> ConnectedComponents()
    assert_that(labels, equal_to(expected))
    result = p.run()
    result.wait_until_finish()
    assert counter(result, "edges_in") == len(all_edges)
    assert counter(result, "self_loops") == sum(1 for a, b in all_edges if a == b)
    assert counter(result, "not_converged") == 0
    rounds = counter(result, "rounds_with_changes")
    assert 3 <= rounds < 20  # the 200-node random chain needs several rounds, far below the bound
    # after convergence every final edge (one per non-root node) skips the remaining rounds
    # (self-loop-only nodes are components of one node and keep no edge)
    n_nodes, n_components = len(expected), len({lab for _, lab in expected})
    assert counter(result, "edges_bypassed") == n_nodes - n_components


def test_star_with_min_hub_converges_in_one_round_and_bypasses_the_rest():
    edges = [("h", f"leaf{i:03d}") for i in range(300)]  # 'h' < 'leaf...': hub is the minimum
    p = test_pipeline.TestPipeline(runner="FnApiRunner")
    labels = p | beam.Create(edges) | ConnectedComponents(max_rounds=3)
    assert_that(labels, equal_to([("h", "h")] + [(f"leaf{i:03d}", "h") for i in range(300)]))
    result = p.run()
    result.wait_until_finish()
    assert counter(result, "rounds_with_changes") == 0
    assert counter(result, "large_star_changes") == 0 and counter(result, "small_star_changes") == 0
    assert counter(result, "edges_bypassed") == 300  # round 2 routes all, round 3 sees none


def test_bound_hit_counts_not_converged_and_never_merges_across_components():
    rng = random.Random(3)
    edges = chain("a/", 120, rng) + chain("b/", 120, rng)
    truth = components_from_edges_reference(edges)
    p = test_pipeline.TestPipeline(runner="FnApiRunner")
    labels = p | beam.Create(edges) | ConnectedComponents(max_rounds=1)

    def check(pairs):
        got = dict(pairs)
        assert set(got) == set(truth)
        assert len(got) == len(pairs)
        for node, lab in got.items():
            assert truth[lab] == truth[node]  # label is a node of the same component
            assert lab <= node
        assert len(set(got.values())) > 2  # one round is not enough for these chains

    assert_that(labels, check)
    result = p.run()
    result.wait_until_finish()
    assert counter(result, "not_converged") == 1


def test_fail_if_not_converged_raises():
    edges = chain("x/", 60, random.Random(5))
    p = test_pipeline.TestPipeline(runner="FnApiRunner")
    _ = p | beam.Create(edges) | ConnectedComponents(max_rounds=1, fail_if_not_converged=True)
    with pytest.raises(Exception, match="did not converge"):
        p.run().wait_until_finish()


def test_empty_input_and_validation():
    p = test_pipeline.TestPipeline(runner="FnApiRunner")
    labels = p | beam.Create([], reshuffle=False).with_output_types(tuple) | ConnectedComponents(max_rounds=2)
    assert_that(labels, equal_to([]))
    p.run().wait_until_finish()
    with pytest.raises(ValueError):
        ConnectedComponents(max_rounds=0)


def test_step_labels_are_stable():
    p = beam.Pipeline(runner="FnApiRunner")
    _ = p | beam.Create([("a", "b")]) | "Dedup" >> ConnectedComponents(max_rounds=3)
    labels = set()

    class Visitor(beam.pipeline.PipelineVisitor):
        def enter_composite_transform(self, node):
            labels.add(node.full_label)

        def visit_transform(self, node):
            labels.add(node.full_label)

    p.visit(Visitor())
    for expected in ("Dedup/Canonicalize", "Dedup/LargeStar1", "Dedup/SmallStar1", "Dedup/Changes1",
                     "Dedup/Route2", "Dedup/LargeStar3", "Dedup/SmallStar3", "Dedup/CheckConverged",
                     "Dedup/CollectEdges", "Dedup/Labels"):
        assert expected in labels, expected
    assert "Dedup/Route1" not in labels and "Dedup/LargeStar4" not in labels


def rounds_needed(edges) -> int:
    """Reference simulation of ConnectedComponents' rounds (tests only): the round whose Large-Star
    and Small-Star steps re-attach nothing, i.e. ``rounds_with_changes + 1``."""
    active = {(max(a, b), min(a, b)) for a, b in edges if a != b}
    for i in itertools.count(1):
        nbrs = defaultdict(set)
        for hi, lo in active:
            nbrs[hi].add(lo)
            nbrs[lo].add(hi)
        changes, large = 0, []
        for u, ns in nbrs.items():
            m = min(min(ns), u)
            for v in ns:
                if v > u:
                    large.append((v, m))
                    changes += m != u
        smaller = defaultdict(set)
        for v, m in large:
            smaller[v].add(m)
        active = set()
        for u, ns in smaller.items():
            m = min(ns)
            active |= {(u, m)} | {(v, m) for v in ns if v != m}
            changes += len(ns) - 1
        if not changes:
            return i


def test_rounds_for_is_log2_of_the_nodes_plus_a_margin_capped():
    assert [rounds_for(n) for n in (0, 1, 2, 3, 4, 5, 8, 9, 30, 512, 513)] == [3, 3, 3, 4, 4, 5, 5, 6, 7, 11, 12]
    assert rounds_for(30, max_rounds=12) == 7 and rounds_for(3000, max_rounds=12) == 12
    assert rounds_for(10 ** 9, max_rounds=20) == 20 and rounds_for(5, max_rounds=1) == 1
    with pytest.raises(ValueError):
        rounds_for(10, max_rounds=0)


def test_the_bound_covers_the_slowest_small_graphs():
    """Every graph on up to 5 nodes and every id order of a path on up to 8 nodes (the slow shape)
    converges within rounds_for(nodes) rounds."""
    for n in range(2, 6):
        pairs = list(itertools.combinations(range(n), 2))
        worst = max(rounds_needed([p for k, p in enumerate(pairs) if mask >> k & 1])
                    for mask in range(1 << len(pairs)))
        assert worst <= rounds_for(n), n
    for n in range(2, 9):
        worst = max(rounds_needed(list(zip(order, order[1:]))) for order in itertools.permutations(range(n))
                    if order[0] < order[-1])
        assert worst <= rounds_for(n), n
    assert worst == 5   # 8 nodes: a path in the worst order needs 5 of the 5 rounds


def test_rounds_derived_from_the_node_count_give_the_same_clusters_on_long_chains():
    """Paths in random, sorted and zig-zag id order (1,200 nodes together) need many rounds; the
    bound unrolled with fail_if_not_converged converges and labels every node like union-find."""
    rng = random.Random(11)
    zigzag = [f"z/{i:04d}" for i in range(300)]
    zigzag = [x for pair in zip(zigzag[:150], reversed(zigzag[150:])) for x in pair]
    graphs = {"random": chain("c/", 600, rng),
              "sorted": [(f"s/{i:04d}", f"s/{i + 1:04d}") for i in range(299)],
              "zigzag": list(zip(zigzag, zigzag[1:]))}
    edges = [e for g in graphs.values() for e in g]
    nodes = {x for e in edges for x in e}
    assert len(nodes) == 1200 and rounds_for(len(nodes)) == 13
    needed = {name: rounds_needed(g) for name, g in graphs.items()}
    assert needed["random"] >= 8, needed   # a long chain: far from the 2-3 rounds of LSH graphs
    p = test_pipeline.TestPipeline(runner="FnApiRunner")
    labels = p | beam.Create(edges) | ConnectedComponents(max_rounds=rounds_for(len(nodes)),
                                                          fail_if_not_converged=True)
    assert_that(labels, equal_to(sorted(components_from_edges_reference(edges).items())))
    result = p.run()
    result.wait_until_finish()
    assert counter(result, "not_converged") == 0
    # the simulation counts the same rounds as the pipeline
    assert counter(result, "rounds_with_changes") + 1 == rounds_needed(edges) == max(needed.values())


def test_not_converged_failure_is_recognised_after_the_runner_wrapped_it():
    from pipeline.runner import StageError, run_job

    edges = chain("y/", 40, random.Random(2))

    def build(p):
        _ = p | beam.Create(edges) | ConnectedComponents(max_rounds=1, fail_if_not_converged=True)

    with pytest.raises(StageError) as failed:
        run_job("cc", build, beam_options_offline(), log=None)
    assert is_not_converged(failed.value)
    assert is_not_converged(NotConverged("x")) and is_not_converged(RuntimeError("ConnectedComponents did not converge"))
    assert not is_not_converged(StageError("[dedup] job failed: OSError: disk full")) and not is_not_converged(None)


def beam_options_offline():
    from pipeline.runner import beam_options
    return beam_options(["--progress_interval=0"], "test")
