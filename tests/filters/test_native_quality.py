"""filters/_native/quality.pyx against the pure-Python references in filters/quality.py."""
from __future__ import annotations

import json
import lzma

import numpy as np
import pytest

from filters._native import native
from filters.quality import PY_KERNELS, _BREAK_BITS, _classes, _codepoints

K = native("quality")


@pytest.fixture(scope="module")
def page_texts(shared_data) -> list[str]:
    with lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f][:300]


def _tokens(cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inword = (_classes(cp) & _BREAK_BITS) == 0
    edges = np.diff(np.concatenate(([False], inword, [False])).astype(np.int8))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def test_token_hashes_equal_reference_on_real_pages(page_texts):
    cp = _codepoints(" ".join(page_texts).lower())
    starts, ends = _tokens(cp)
    assert starts.size > 10_000
    got = K.token_hashes(cp, starts, ends)
    assert got.dtype == np.uint64
    assert np.array_equal(got, PY_KERNELS["token_hashes"](cp, starts, ends))


def test_token_hashes_edge_cases():
    cp = _codepoints("a\U0001F600b")
    for s, e in [([], []), ([0], [3]), ([1], [2]), ([0, 0], [0, 3])]:
        starts, ends = np.array(s, dtype=np.int64), np.array(e, dtype=np.int64)
        assert np.array_equal(K.token_hashes(cp, starts, ends), PY_KERNELS["token_hashes"](cp, starts, ends))


@pytest.mark.parametrize("seed", range(5))
def test_cumulated_at_equals_reference(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5000))
    M = (rng.random((13, n)) < rng.random()).astype(np.uint8)
    bounds = np.unique(np.concatenate(([0, n], rng.integers(0, n + 1, size=int(rng.integers(0, 200))))))
    got = K.cumulated_at(M, bounds)
    assert got.dtype == np.int32
    assert np.array_equal(got, PY_KERNELS["cumulated_at"](M, bounds))
