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
edges it re-attached; when a whole round (both steps) re-attached nothing, the graph is a set of
stars centred on each component's minimum, and the labels are read off the edges.

Beam graphs have no data-dependent loops, so ``max_rounds`` rounds are unrolled. Each round
starts with a ``Route<i>`` step reading the previous round's change count as a side input: once
it is 0, every edge goes to a "done" output that bypasses the remaining rounds, so converged
rounds shuffle nothing. The number of rounds grows with the log of the component diameter
(measured with this code's reference simulation: a 200-node path in random id order needs 7
rounds, 2,000 nodes 10, 200,000 nodes 15, counting the final round that detects convergence;
LSH dedup graphs are mostly small stars and cliques that finish in 2-3). The default of 20 is
thus ample; when the bound is hit anyway, ``not_converged`` is counted (or the job fails when
``fail_if_not_converged``) and each node gets the smallest id of its final neighbourhood: still
an id of its own component, so clusters may be split but never wrongly merged.

Every unrolled round costs a fixed amount whether it runs on data or not (12 Beam transforms and
5 fused stages to build, serialise and schedule: about 0.08 CPU s a round on the local runner,
0.15 while each round's change count was a global combine with a default, which adds a stage),
which dominated a small dedup job. ``rounds_for(nodes, max_rounds)`` bounds the
rounds a graph of at most ``nodes`` nodes needs: ceil(log2(nodes)) + 2, at most ``max_rounds``.
Searched for the slowest graphs with the reference simulation (every graph up to 6 nodes, every
path order up to 9 nodes, hill-climbing over path, caterpillar and tree id orders up to 1,000
nodes), none needed more than ceil(log2(nodes)) + 2 rounds; a path in random id order needs
about log2(nodes). A caller that unrolls such a bound passes ``fail_if_not_converged=True`` and
re-runs with its full bound on ``NotConverged`` (dedup does), so no result depends on the bound
being right.

Step labels are stable: ``Canonicalize``, ``Route<i>`` (i >= 2), ``LargeStar<i>``,
``SmallStar<i>``, ``Changes<i>``, ``ReportRound<i>``, ``CollectEdges``, ``Labels``,
``CheckConverged``. Counters (namespace ``namespace``, default ``components``; dedup uses
``dedup.components``), counted through ``pipeline.counting.StageCounts`` per bundle: ``edges_in``,
``self_loops``, ``large_star_changes``, ``small_star_changes``, ``rounds_with_changes``
(rounds needed = this + 1), ``edges_bypassed`` (edges routed past the remaining rounds after
convergence), ``not_converged``.
"""
from __future__ import annotations

import logging
from typing import Any, Tuple

import apache_beam as beam
from apache_beam.pvalue import AsSingleton, TaggedOutput

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


class _LargeStarFn(_CountingFn):
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
            yield TaggedOutput("changes", changed)


class _SmallStarFn(_CountingFn):
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
            yield TaggedOutput("changes", len(nbrs) - 1)


class _RouteFn(_CountingFn):
    """Edges go to 'done' (skip the remaining rounds) once the previous round changed nothing."""

    def process(self, edge, previous_changes):
        if previous_changes == 0:
            self.count("edges_bypassed")
            yield TaggedOutput("done", edge)
        else:
            yield edge


class _ReportRoundFn(_CountingFn):
    def process(self, changes):
        if changes:
            self.count("rounds_with_changes")


class _CheckConvergedFn(_CountingFn):
    def __init__(self, max_rounds: int, fail: bool, namespace: str = NAMESPACE):
        super().__init__(namespace)
        self.max_rounds, self.fail = max_rounds, fail

    def process(self, last_changes):
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
        changes = None
        for i in range(1, self.max_rounds + 1):
            if changes is not None:   # (no element: nothing changed)
                routed = active | f"Route{i}" >> beam.ParDo(_RouteFn(self.namespace),
                                                            AsSingleton(changes, default_value=0)).with_output_types(
                    _EDGE).with_outputs(
                    "done", main="edges")
                done.append(routed.done)
                active = routed.edges
            large = active | f"LargeStar{i}" >> _LargeStar(self.namespace)
            small = large.edges | f"SmallStar{i}" >> _SmallStar(self.namespace)
            changes = ((large.changes, small.changes)
                       | f"Changes{i}" >> _SumChanges())
            _ = changes | f"ReportRound{i}" >> beam.ParDo(_ReportRoundFn(self.namespace))
            active = small.edges
        _ = changes | "CheckConverged" >> beam.ParDo(
            _CheckConvergedFn(self.max_rounds, self.fail_if_not_converged, self.namespace))
        final_edges = (done + [active]) | "CollectEdges" >> beam.Flatten()
        return ((final_edges, canon.nodes) | "Labels" >> _Labels())


class _SumChanges(beam.PTransform):
    """The round's change counts -> their sum, or no element when nothing changed (without the
    default a global combine injects for an empty input: a Create and a side input per round)."""

    def expand(self, pcolls):
        return (pcolls
                | "Flatten" >> beam.Flatten()
                | "Sum" >> beam.CombineGlobally(sum).without_defaults())


class _Labels(beam.PTransform):
    """(final edges, self-loop nodes) -> (node, smallest id of its closed neighbourhood)."""

    def expand(self, pcolls):
        edges, nodes = pcolls
        from_edges = edges | "FromEdges" >> beam.FlatMap(_edge_labels)
        from_nodes = nodes | "FromSelfLoops" >> beam.Map(lambda n: (n, n))
        return ((from_edges, from_nodes)
                | "Flatten" >> beam.Flatten()
                | "MinLabel" >> beam.CombinePerKey(min))
