"""Aho-Corasick matching (ahocorasick_rs) that accepts any Python string."""
from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def overlapping_matches(automaton, text: str) -> list[tuple[int, int, int]]:
    """Every occurrence of every pattern of ``automaton`` (an ``ahocorasick_rs.AhoCorasick``) in
    ``text``, overlapping ones included, as ``(pattern index, start, end)`` in characters. Lone
    surrogates, which the matcher cannot encode, are matched as U+FFFD (one character for one, so
    positions stay)."""
    try:
        return automaton.find_matches_as_indexes(text, overlapping=True)
    except UnicodeEncodeError:
        return automaton.find_matches_as_indexes(_SURROGATE.sub("\ufffd", text), overlapping=True)
