"""filters/_native/dedup_text.pyx against the pure-Python references in filters/dedup_text.py.

The compiled module is imported directly, so these tests compare kernel and reference also
under THRESHER_PURE_PYTHON=1 (which only stops filters/dedup_text.py from using the kernels).
"""
from __future__ import annotations

import importlib
import random

import numpy as np
import pytest

from filters import dedup_text as D
from filters import minhash as M

K = importlib.import_module("filters._native.dedup_text")
REF = D.PY_KERNELS

EDGE = ["", " ", "  \n\t ", ".,;!?", "a", " a ", "a  b\n\nc ", "Hello, World! 2023", "İstanbul ǅ ß ﬁ Ⅻ ｆｕｌｌ…",
        "😀 emoji \U0001F468\u200D\U0001F469 x", "soft\u00adhyphen zw\u200bsp \u200b \u200b tag\U000E0041s",
        "lone \ud800 surrogate \udfff", "\ud800", "本网站使用cookie来改善，标点！ ０１２", "\u0661\u0662 ١٢ ۱۲",
        "\ufdfa \u2026\u2026 \u00bd", "\x00nul \x85nel \u2028ls \u3000", "a" * 3000 + " " * 50 + "b", "\u200b" * 5,
        "\U0010FFFF \U000F0000", "e\u0301 ｅ\u0301", "\ufdfa" * 500 + "a" * 10, "…" * 1000 + " x", "ab" + "\u3000" * 99]


@pytest.fixture(scope="module")
def sentences(lingua_sentences) -> list[str]:
    return lingua_sentences[::11]


def _random_texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = ("ab AZ 09 .,-\n\t\u00a0\u3000\u00ad\u200b\u200d\ufe0f本ひ한éß\u0130\u0301ﬁ①…٣"
                "\U0001F600\U00020000\U000E0041\ud800\x00")
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 200))) for _ in range(n)]


@pytest.mark.parametrize("flags", [(True, False), (False, True), (True, True), (False, False)])
def test_doc_hashes_equal_reference(page_texts, sentences, flags):
    for texts in (page_texts, sentences, EDGE, _random_texts(1, 2000)):
        norms = [M.PY_KERNELS["normalize"](t) for t in texts]
        want = REF["doc_hashes_chunk"](norms, *flags, 7)
        assert _native_doc_hashes(norms, flags, 7) == want
    assert sum(h is None for h in REF["doc_hashes_chunk"](EDGE, *flags, 0)) >= 3


def _native_doc_hashes(norms, flags, seed):
    import xxhash
    raw, offsets = K.doc_forms(list(norms), D._doc_single(*flags))
    offsets = offsets.tolist()
    return [xxhash.xxh3_64_intdigest(raw[a:b], seed) if b > a else None for a, b in zip(offsets[:-1], offsets[1:])]


def test_doc_forms_are_the_comparison_forms(page_texts):
    texts = page_texts[:100] + EDGE
    raw, offsets = K.doc_forms([M.normalize(t) for t in texts], D._doc_single(True, False))
    for k, t in enumerate(texts):
        form = D.comparison_form(t) if len(t) >= D._SHORT else None
        if form is not None:
            assert raw[offsets[k]:offsets[k + 1]] == form.encode("utf-8", "surrogatepass")


def _native_collapsed(cps, flags, edges):
    _, length, offset, flat = D._unit_tables(*flags)
    order = np.argsort(edges, kind="stable")
    pos, bpos = np.empty(len(edges), dtype=np.int64), np.empty(len(edges), dtype=np.int64)
    raw = K.collapse_utf8(cps, D._unit_single(*flags), length, offset, flat, edges[order], pos, bpos)
    p, b = np.empty_like(pos), np.empty_like(bpos)
    p[order], b[order] = pos, bpos
    return raw, p, b


def test_collapse_utf8_rejects_unsorted_or_outside_edges():
    _, length, offset, flat = D._unit_tables(True, True)
    cps = np.frombuffer("ab c".encode("utf-32-le"), dtype=np.uint32)
    for edges in ([2, 1], [0, 5], [-1, 0]):
        with pytest.raises(ValueError):
            K.collapse_utf8(cps, D._unit_single(True, True), length, offset, flat,
                            np.array(edges, dtype=np.int64), np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64))


def _assert_collapsed_equal(texts, flags, rng):
    cps, starts = D._joined(texts)
    n = len(cps)
    edges = rng.integers(0, n + 1, size=2 * min(5000, n + 1)).astype(np.int64)
    edges = np.concatenate((edges, starts, [n, 0]))
    want = REF["collapsed_utf8"](cps, *flags, edges)
    got = _native_collapsed(cps, flags, edges)
    assert got[0] == want[0]
    assert got[1].dtype == got[2].dtype == np.int64
    assert np.array_equal(got[1], want[1]) and np.array_equal(got[2], want[2])
    # the reference's parts: the collapsed text and its positions
    collapsed, pos = D._collapsed_positions(cps, *flags, edges)
    assert np.array_equal(pos, want[1])
    assert want[0] == collapsed.tobytes().decode("utf-32-le", "surrogatepass").encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("flags", [(True, True), (False, False)])
def test_collapsed_utf8_equals_reference(page_texts, sentences, flags):
    rng = np.random.default_rng(0)
    for lo in range(0, len(page_texts), 50):
        _assert_collapsed_equal(page_texts[lo:lo + 50], flags, rng)
    _assert_collapsed_equal(sentences, flags, rng)
    _assert_collapsed_equal(EDGE, flags, rng)
    for t in EDGE:
        _assert_collapsed_equal([t], flags, rng)
    _assert_collapsed_equal(_random_texts(2, 1000), flags, rng)


def test_batched_hashes_with_and_without_kernels(page_texts, monkeypatch):
    texts = page_texts[:200] + EDGE + _random_texts(4, 200)
    spans = [[(0, len(t))] + [(i, min(len(t), i + 40)) for i in range(0, len(t), 37)] for t in texts]
    hosts = ["example.com" if k % 3 else None for k in range(len(texts))]
    hasher = M.MinHasher()
    monkeypatch.setattr(D, "_KERNELS", K)  # also under THRESHER_PURE_PYTHON=1
    runs = []
    for mode in ("native", "ref"):
        for name, fn in REF.items():
            monkeypatch.setattr(D, "_" + name, getattr(D, f"_{name}_native") if mode == "native" else fn)
        runs.append((D.text_hashes(texts, spans, D.TextDedupConfig(min_unit_chars=5)),
                     D.site_line_hashes_batch(texts, hosts),
                     D.dedup_features(texts, hasher, sentences=[[]] * len(texts), hosts=hosts, flat=True)))
    a, b = runs
    assert a[0] == b[0] and a[1] == b[1]
    assert np.array_equal(a[2][0], b[2][0])
    for x, y in zip(a[2][1], b[2][1]):
        assert (x == y) if isinstance(x, list) else np.array_equal(x, y)
    assert sum(len(u) for _, u in a[0]) > 1000


def test_module_uses_the_kernels_unless_switched_off():
    from filters._native import native
    for name, ref in REF.items():
        assert getattr(D, "_" + name) is (ref if native("dedup_text") is None else getattr(D, f"_{name}_native"))
