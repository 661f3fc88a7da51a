"""The counter callback every scorer in ``filters/`` takes: ``count(name, n=1)``.

``name`` is ``<signal>.<reason>`` or a plain reason (``docs``, ``rule.gopher_word_count``, ``pii_email``);
the Beam wrapper (``pipeline.counting.StageCounts``) prefixes the stage and annotator, so a filter's
counts appear as ``annotate.quality.rule.gopher_word_count``. A unit test passes a dict's adder.
"""
from __future__ import annotations

from typing import Callable

Count = Callable[..., None]


def no_count(name: str, n: int = 1) -> None:
    """The default callback: counts nothing."""
