"""The one counting path of every stage DoFn.

A DoFn holds one ``StageCounts(stage)``; it and the filters it calls count events with
``count(name, n)`` (the ``filters.counting.Count`` callback; ``scoped(prefix)`` gives an annotator
or signal its own prefix). Names read ``<signal>.<reason>`` (``quality.rule.gopher_word_count``,
``errors.invalid_json``, ``rejected.duplicate``), so the Beam counter is
``<stage>.<signal>.<reason>``. ``tally(name, n)`` adds a measure that only goes to the stats JSON
(characters per language, ...). At the end of a work item ``flush()`` increments each Beam counter
once (not once per call) and returns every count as a flat dict, which the DoFn emits for the
stage's stats JSON (``nest`` and ``by_prefix`` shape it).
"""
from __future__ import annotations

from collections import Counter

from apache_beam.metrics import Metrics


class StageCounts:
    """Counts of one stage's DoFn between two ``flush()`` calls."""

    def __init__(self, stage: str):
        self.stage = stage
        self._counts: Counter = Counter()
        self._tallies: Counter = Counter()
        self._metrics: dict = {}

    def __call__(self, name: str, n: int = 1) -> None:
        self._counts[name] += n

    def get(self, name: str) -> int:
        """What ``name`` has counted since the last flush."""
        return self._counts.get(name, 0)

    def scoped(self, prefix: str):
        """A ``count`` callback whose names get ``prefix.`` in front."""
        counts = self._counts

        def count(name: str, n: int = 1) -> None:
            counts[f"{prefix}.{name}"] += n
        return count

    def tally(self, name: str, n: int | float = 1) -> None:
        """A stats-only figure (no Beam counter)."""
        self._tallies[name] += n

    def flush(self) -> dict:
        """Increment the Beam counters by what was counted since the last flush; return the counts and
        tallies as one flat dict (and start again from zero)."""
        out = dict(self._counts)
        for name, n in out.items():
            if n:
                metric = self._metrics.get(name)
                if metric is None:
                    metric = self._metrics[name] = Metrics.counter(self.stage, name)
                metric.inc(n)
        out.update(self._tallies)
        self._counts.clear()
        self._tallies.clear()
        return out


def nest(flat: dict) -> dict:
    """{'lid.docs': 1, 'lang_before.en': 2, 'docs': 3} -> {'lid': {'docs': 1}, 'lang_before': {'en': 2},
    'docs': 3} (one level: the first dot)."""
    out: dict = {}
    for key, n in flat.items():
        group, _, name = key.partition(".")
        if name:
            out.setdefault(group, {})[name] = n
        else:
            out[key] = n
    return out


def by_prefix(flat: dict, prefix: str) -> dict:
    """The entries of ``flat`` under ``prefix.``, without it."""
    cut = len(prefix) + 1
    return {k[cut:]: v for k, v in flat.items() if k.startswith(prefix + ".")}
