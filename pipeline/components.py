"""Connected components of a graph of string ids, as a distributed Beam transform.

``ConnectedComponents`` turns a PCollection of edges ``(a, b)`` into ``(node, label)`` for every
node of any edge, where ``label`` is the smallest id (Python ``str`` order) of the node's
component. Dedup uses it to turn LSH candidate pairs into clusters.

Algorithm: alternating Large-Star / Small-Star rounds (Kiveris et al., "Connected Components in
MapReduce and Beyond", SoCC 2014). Edges are kept as ``(larger, smaller)`` pairs.

* Large-Star: group all neighbours of each node u; with m = min(u and its neighbours), every
  LARGER neighbour v is re-attached to m (emit ``(v, m)``).
* Small-Star: group each node u's SMALLER neighbours N; with m = min(N), emit ``(u, m)`` and
  ``(v, m)`` for every other v in N.

Each step is a GroupByKey keyed by node, so no worker ever holds more than one node's
neighbourhood (a hub with very many neighbours is the only hot key). A step reports how many
edges it re-attached (one positive sum per bundle, nothing when nothing moved); when a whole round
(both steps) re-attached nothing, the graph is a set of stars centred on each component's minimum,
and the labels are read off the edges.

Beam graphs have no data-dependent loops, so ``max_rounds`` rounds are unrolled. Each round
starts with a ``Route<i>`` step reading the previous round's change sums as a side input: once
there are none, every edge goes to a "done" output that bypasses the remaining rounds, so
converged rounds shuffle nothing. The number of rounds grows with the log of the component diameter
(measured with this code's reference simulation: a 200-node path in random id order needs 7
rounds, 2,000 nodes 10, 200,000 nodes 15, counting the final round that detects convergence;
LSH dedup graphs are mostly small stars and cliques that finish in 2-3). The default of 20 is
thus ample; when the bound is hit anyway, ``not_converged`` is counted (or the job fails when
``fail_if_not_converged``) and each node gets the smallest id of its final neighbourhood: still
an id of its own component, so clusters may be split but never wrongly merged.

Every unrolled round costs a fixed amount whether it runs on data or not (7 Beam transforms and
4 fused stages to build, serialise and schedule, about 0.06 CPU s a round on the local runner;
0.15 while each round's change count was a global combine with an injected default and a step
of its own), which dominated a small dedup job. ``rounds_for(nodes, max_rounds)`` bounds the
rounds a graph of at most ``nodes`` nodes needs: ceil(log2(nodes)) + 2, at most ``max_rounds``.
Searched for the slowest graphs with the reference simulation (every graph up to 6 nodes, every
path id order up to 9 nodes, hill-climbing and annealing over the id orders of paths,
caterpillars and random trees of 7 to 1,000 nodes), none needed more than ceil(log2(nodes)) + 2
rounds (the worst found reach it at 8, 16, 30, 32 and 64 nodes); a path in random id order needs
about log2(nodes). A caller that unrolls such a bound passes ``fail_if_not_converged=True`` and
re-runs with its full bound on ``NotConverged`` (dedup does), so no result depends on the bound
being right.

Step labels are stable: ``Canonicalize``, ``Route<i>`` (i >= 2), ``LargeStar<i>``,
``SmallStar<i>``, ``Changes<i>``, ``CollectEdges``, ``Labels``, ``CheckConvergedOnce``,
``CheckConverged`` (once, reading every round's change sums). Counters (namespace ``namespace``, default ``components``; dedup uses
``dedup.components``), counted through ``pipeline.counting.StageCounts`` per bundle: ``edges_in``,
``self_loops``, ``large_star_changes``, ``small_star_changes``, ``rounds_with_changes``
(rounds needed = this + 1), ``edges_bypassed`` (edges routed past the remaining rounds after
convergence), ``not_converged``.
"""
from __future__ import annotations

import logging
from typing import Any, Tuple

import apache_beam as beam
from apache_beam.pvalue import AsList, TaggedOutput
from apache_beam.transforms.window import GlobalWindows

from pipeline.counting import StageCounts

NAMESPACE = "components"
DEFAULT_MAX_ROUNDS = 20
ROUNDS_MARGIN = 2                # rounds_for: ceil(log2(nodes)) + this
NOT_CONVERGED = "ConnectedComponents did not converge"   # start of NotConverged's message


class NotConverged(RuntimeError):
    """Raised in the pipeline when ``fail_if_not_converged`` and the last unrolled round still moved
    edges. Its message starts with ``NOT_CONVERGED``, which is how a runner's failure (often only
    the worker's traceback as text) is recognised (``is_not_converged``)."""


def rounds_for(nodes: int, max_rounds: int = DEFAULT_MAX_ROUNDS) -> int:
    """Rounds to unroll for a graph of at most ``nodes`` nodes: ceil(log2(nodes)) + ROUNDS_MARGIN,
    at most ``max_rounds`` (see the module docstring for where the bound comes from)."""
    if max_rounds < 1:
        raise ValueError(f"max_rounds must be positive, got {max_rounds!r}")
    return max(1, min(max_rounds, (max(2, nodes) - 1).bit_length() + ROUNDS_MARGIN))


def is_not_converged(exc: BaseException | None) -> bool:
    """Whether a job failure (any runner: the exception, its causes or their text) is NotConverged."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, NotConverged) or NOT_CONVERGED in str(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


_EDGE = Tuple[Any, Any]

_LOG = logging.getLogger(__name__)


class _CountingFn(beam.DoFn):
    """A DoFn whose counts go to Beam once per bundle."""

    def __init__(self, namespace: str = NAMESPACE):
        self.count = StageCounts(namespace)

    def finish_bundle(self):
        self.count.flush()


class _CanonicalizeFn(_CountingFn):
    """(a, b) -> (max, min); a self-loop (a, a) goes to the 'nodes' output as a."""

    def process(self, edge):
        a, b = edge
        self.count("edges_in")
        if a == b:
            self.count("self_loops")
            yield TaggedOutput("nodes", a)
        elif a > b:
            yield a, b
        else:
            yield b, a


def _both_directions(edge):
    hi, lo = edge
    return [(hi, lo), (lo, hi)]


class _StarFn(_CountingFn):
    """A star step: it counts its re-attachments per element and emits their sum once per bundle,
    only when it is not 0, to the 'changes' output (so a round's changes are a handful of positive
    numbers, and none at all once nothing moved)."""

    def start_bundle(self):
        self._changes = 0

    def finish_bundle(self):
        super().finish_bundle()
        if self._changes:
            yield TaggedOutput("changes", GlobalWindows.windowed_value(self._changes))


class _LargeStarFn(_StarFn):
    """(u, neighbours) -> (v, m) for each neighbour v > u, m = min(u, neighbours)."""

    def process(self, element):
        u, neighbours = element
        nbrs = set(neighbours)
        m = min(min(nbrs), u)
        changed = 0
        for v in nbrs:
            if v > u:
                yield v, m
                if m != u:
                    changed += 1
        if changed:
            self.count("large_star_changes", changed)
            self._changes += changed


class _SmallStarFn(_StarFn):
    """(u, smaller neighbours N) -> (u, m) and (v, m) for v in N - {m}, m = min(N)."""

    def process(self, element):
        u, smaller = element
        nbrs = set(smaller)
        m = min(nbrs)
        yield u, m
        for v in nbrs:
            if v != m:
                yield v, m
        if len(nbrs) > 1:
            self.count("small_star_changes", len(nbrs) - 1)
            self._changes += len(nbrs) - 1


class _RouteFn(_CountingFn):
    """Edges go to 'done' (skip the remaining rounds) once the previous round changed nothing
    (its per-bundle change sums: none at all)."""

    def process(self, edge, previous_changes):
        if not previous_changes:
            self.count("edges_bypassed")
            yield TaggedOutput("done", edge)
        else:
            yield edge


class _CheckConvergedFn(_CountingFn):
    """Runs once, reading every round's change sums: counts the rounds with changes and whether
    the last one still moved edges (not converged)."""

    def __init__(self, max_rounds: int, fail: bool, namespace: str = NAMESPACE):
        super().__init__(namespace)
        self.max_rounds, self.fail = max_rounds, fail

    def process(self, _, *rounds):
        with_changes = sum(1 for changes in rounds if changes)
        if with_changes:
            self.count("rounds_with_changes", with_changes)
        last_changes = sum(rounds[-1])
        if last_changes:
            msg = (f"{NOT_CONVERGED} in {self.max_rounds} rounds "
                   f"({last_changes} edges still moving); labels split some components")
            self.count("not_converged")
            self.count.flush()
            if self.fail:
                raise NotConverged(msg)
            _LOG.warning(msg)


def _edge_labels(edge):
    hi, lo = edge
    return [(hi, lo), (lo, lo)]


class _LargeStar(beam.PTransform):
    def __init__(self, namespace: str = NAMESPACE):
        super().__init__()
        self.namespace = namespace

    def expand(self, edges):
        return (edges
                | "BothDirections" >> beam.FlatMap(_both_directions)
                | "GroupNeighbours" >> beam.GroupByKey()
                | "Reattach" >> beam.ParDo(_LargeStarFn(self.namespace)).with_output_types(_EDGE).with_outputs("changes", main="edges"))


class _SmallStar(beam.PTransform):
    def __init__(self, namespace: str = NAMESPACE):
        super().__init__()
        self.namespace = namespace

    def expand(self, edges):
        return (edges
                | "GroupSmaller" >> beam.GroupByKey()
                | "Reattach" >> beam.ParDo(_SmallStarFn(self.namespace)).with_output_types(_EDGE).with_outputs("changes", main="edges"))


class ConnectedComponents(beam.PTransform):
    """PCollection[(a, b)] of string-id edges -> PCollection[(node, component_label)].

    The label is the minimum node id of the component; every node of any edge (self-loops
    included) appears exactly once. Duplicate and reversed edges are fine.

    max_rounds: Large-Star/Small-Star rounds unrolled into the graph (default 20, see module
      docstring); rounds after convergence pass edges through without shuffling them.
    fail_if_not_converged: also raise ``NotConverged`` in the pipeline (the job fails) when the last
      round still moved edges; for callers that unroll ``rounds_for``'s bound and re-run.
    namespace: the counters' namespace.
    """

    def __init__(self, max_rounds: int = DEFAULT_MAX_ROUNDS, fail_if_not_converged: bool = False,
                 label: str | None = None, namespace: str = NAMESPACE):
        super().__init__(label)
        self.namespace = namespace
        if not isinstance(max_rounds, int) or max_rounds < 1:
            raise ValueError(f"max_rounds must be a positive int, got {max_rounds!r}")
        self.max_rounds = max_rounds
        self.fail_if_not_converged = fail_if_not_converged

    def expand(self, edges):
        canon = edges | "Canonicalize" >> beam.ParDo(_CanonicalizeFn(self.namespace)).with_output_types(_EDGE).with_outputs("nodes", main="edges")
        active = canon.edges
        done = []
        rounds = []   # per round: its per-bundle change sums (positive; none once nothing moved)
        for i in range(1, self.max_rounds + 1):
            if rounds:
                routed = active | f"Route{i}" >> beam.ParDo(_RouteFn(self.namespace), AsList(rounds[-1])).with_output_types(
                    _EDGE).with_outputs(
                    "done", main="edges")
                done.append(routed.done)
                active = routed.edges
            large = active | f"LargeStar{i}" >> _LargeStar(self.namespace)
            small = large.edges | f"SmallStar{i}" >> _SmallStar(self.namespace)
            rounds.append((large.changes, small.changes) | f"Changes{i}" >> beam.Flatten())
            active = small.edges
        _ = (edges.pipeline | "CheckConvergedOnce" >> beam.Create([None], reshuffle=False)
             | "CheckConverged" >> beam.ParDo(_CheckConvergedFn(self.max_rounds, self.fail_if_not_converged,
                                                                self.namespace), *[AsList(r) for r in rounds]))
        final_edges = (done + [active]) | "CollectEdges" >> beam.Flatten()
        return ((final_edges, canon.nodes) | "Labels" >> _Labels())


class _Labels(beam.PTransform):
    """(final edges, self-loop nodes) -> (node, smallest id of its closed neighbourhood)."""

    def expand(self, pcolls):
        edges, nodes = pcolls
        from_edges = edges | "FromEdges" >> beam.FlatMap(_edge_labels)
        from_nodes = nodes | "FromSelfLoops" >> beam.Map(lambda n: (n, n))
        return ((from_edges, from_nodes)
                | "Flatten" >> beam.Flatten()
                | "MinLabel" >> beam.CombinePerKey(min))
