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


def _lowers(texts: list[str]) -> list[str]:
    """The lower-cased texts, each cut or padded to its text's length (as _score_chunk has them)."""
    return [(t.lower() + " " * len(t))[:len(t)] for t in texts]


def _char_pass_args(texts: list[str]):
    from filters.quality import _class_table, _cp1252_cont_table
    lowers = _lowers(texts)
    joined = " ".join(texts)
    rng = np.random.default_rng(len(joined))
    bounds = np.unique(np.concatenate(([0, len(joined)], rng.integers(0, len(joined) + 1, size=len(joined) // 7))))
    return joined, lowers, bounds.astype(np.int64), _class_table(), _cp1252_cont_table().view(np.uint8)


def _same_char_pass(texts):
    args = _char_pass_args(texts)
    got, ref = K.char_pass(*args), PY_KERNELS["char_pass"](*args)
    assert [a.dtype for a in got] == [a.dtype for a in ref]
    for a, b in zip(got, ref):
        assert np.array_equal(a, b)


def test_char_pass_equals_reference_on_real_pages(page_texts):
    _same_char_pass(page_texts[:100])


@pytest.mark.parametrize("texts", [
    [""], ["a"], ["", ""], ["aaaa", "bbbbb"], ["İstanbul ΣΑΣ", "x"],
    ["Ã©tÃ© \ufffd 中文字符 हिन्दी ...!!!! \U0001F600\U00020000\U0010FFFF x\ud800y", "Âé", "Ã"],
    ["\t  tab\u3000words  ", "ｆｕｌｌ\u00a0width 123 ab-cd_ef"],
    ["....... .. ...\n#…", "..", ".", "...a...\n\n##", "\u2026...\u00e9...."],
])
def test_char_pass_edge_cases(texts):
    _same_char_pass(texts)


def test_char_pass_on_random_text():
    rng = np.random.default_rng(3)
    alphabet = list("aAbB  \n.,!-_#1\u00c3\u00a9\u20ac\u00e9\ufffd中文ไทยनि\U0001F600\U00020001") + ["aaaa", "...."]
    for _ in range(30):
        texts = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 60)))) for _ in range(int(rng.integers(1, 6)))]
        _same_char_pass(texts)


def test_char_pass_checks_the_lengths():
    joined, lowers, bounds, table, cont = _char_pass_args(["ab", "cd"])
    with pytest.raises(ValueError):
        K.char_pass(joined, lowers[:1], bounds, table, cont)


def _ranges_case(rng, scale):
    """Token ids from a small vocabulary (much repetition), their lengths, and document ranges."""
    n = int(rng.integers(0, 3000))
    ids = rng.integers(1, int(rng.integers(2, 40)), size=n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    csum = np.concatenate(([0], np.cumsum(rng.integers(1, 9, size=n)))).astype(np.int64)
    cuts = np.unique(np.concatenate(([0, n], rng.integers(0, n + 1, size=int(rng.integers(0, 12))))))
    return ids, csum, cuts[:-1].astype(np.int64), cuts[1:].astype(np.int64), scale


@pytest.mark.parametrize("seed", range(12))
def test_ngram_fractions_ranges_equal_reference(seed):
    from filters.quality import _ngram_fractions_native
    rng = np.random.default_rng(seed)
    args = _ranges_case(rng, 1 + seed % 3)
    ref = PY_KERNELS["ngram_fractions_ranges"](*args)
    got, unsure = K.ngram_fractions_ranges(*args)
    sure = np.setdiff1d(np.arange(len(args[2])), unsure)
    assert np.array_equal(got[sure], ref[sure])
    assert np.array_equal(_ngram_fractions_native(*args), ref)


def test_ngram_fractions_ranges_on_real_pages(page_texts):
    from filters.quality import _char_pass, _class_table, _cp1252_cont_table, _ngram_fractions_native
    texts = page_texts[:200]
    joined = " ".join(texts)
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    ends = starts + np.array([len(t) for t in texts])
    bounds = np.unique(np.concatenate((starts, ends)))
    _, tok_pos, tok_end, tokh, _ = _char_pass(joined, _lowers(texts), bounds, _class_table(),
                                              _cp1252_cont_table().view(np.uint8))
    csum = np.concatenate(([0], np.cumsum(tok_end - tok_pos))).astype(np.int64)
    args = (tokh, csum, np.searchsorted(tok_pos, starts), np.searchsorted(tok_pos, ends), 1)
    ref = PY_KERNELS["ngram_fractions_ranges"](*args)
    assert ref[:, 0].any() and ref[:, 8].any()
    assert np.array_equal(_ngram_fractions_native(*args), ref)


def test_ngram_fractions_ranges_flag_colliding_top_ngrams():
    """Polynomial hashes collide: a*P + b == c*P + d for d = b + (a - c) * P. The most frequent
    2-gram hash then stands for two 2-grams of different lengths: the kernel says it is unsure, and
    the glue takes that row from the reference (numpy's argsort order decides which counts)."""
    from filters.quality import _PRIME_INT, _ngram_fractions_native
    a, b, c = 5, 7, 4
    d = (b + (a - c) * _PRIME_INT) % (1 << 64)
    ids = np.array([a, b, 11, c, d, 12, 13, 14], dtype=np.uint64)
    csum = np.concatenate(([0], np.cumsum([1, 1, 1, 3, 3, 1, 1, 1]))).astype(np.int64)
    args = (ids, csum, np.array([0]), np.array([ids.size]), 1)
    _, unsure = K.ngram_fractions_ranges(*args)
    assert unsure.tolist() == [0]
    assert np.array_equal(_ngram_fractions_native(*args), PY_KERNELS["ngram_fractions_ranges"](*args))


def test_ngram_fractions_ranges_empty_and_short():
    ids = np.array([3, 3, 3], dtype=np.uint64)
    csum = np.arange(4, dtype=np.int64)
    cases = [([], [], 1), ([0], [0], 1), ([0], [1], 1), ([0, 1], [1, 3], 1), ([0], [3], 2), ([0], [3], 1)]
    for los, his, scale in cases:
        args = (ids, csum, np.array(los, dtype=np.int64), np.array(his, dtype=np.int64), scale)
        got, unsure = K.ngram_fractions_ranges(*args)
        assert unsure.size == 0
        assert np.array_equal(got, PY_KERNELS["ngram_fractions_ranges"](*args))


def test_find_hashes_equals_reference(page_texts):
    from filters.quality import QualityScorer
    texts = page_texts[:150]
    joined = " ".join(texts)
    _, tok_pos, _, tokh, _ = K.char_pass(joined, _lowers(texts), np.array([0, len(joined)]),
                                         *_char_pass_args(["x"])[3:])
    scorer = QualityScorer()
    rng = np.random.default_rng(0)
    cuts = np.unique(np.concatenate(([0, tokh.size], rng.integers(0, tokh.size, 40))))
    los, his = cuts[:-1:2].astype(np.int64), cuts[1::2].astype(np.int64)       # every other range
    tables = [(m._first_hashes, m._first_filter) for m in (scorer.cues, scorer.spam)]
    for lang in ("en", "de", "fr", "zh"):
        info = scorer._lang_info(lang)
        if info.stop_h is not None:
            tables.append((info.stop_h, info.stop_filter))
    for keys, table in tables:
        for args in [(keys, table, tokh, los, his), (keys, table, tokh, np.array([0]), np.array([tokh.size])),
                     (keys, table, tokh, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))]:
            got = K.find_hashes(*args)
            assert np.array_equal(got, PY_KERNELS["find_hashes"](*args))
        every = K.find_hashes(keys, table, keys.copy(), np.array([0]), np.array([keys.size]))
        assert every.tolist() == list(range(keys.size))


def test_match_phrases_equals_reference():
    """Random candidate tokens against a phrase index with shared first tokens, phrases longer
    than what is left of the document, and one-token phrases."""
    rng = np.random.default_rng(5)
    vocab = np.arange(1, 7, dtype=np.uint64)
    tokh = rng.choice(vocab, size=4000)
    firsts = np.array([1, 2, 3], dtype=np.uint64)
    phrases = {1: [(1, 2, 3, 4), (1, 2), (1,)], 2: [(2, 2, 2), (2, 5)], 3: [(3, 1, 1, 1)]}
    W = 4
    flat = [p for f in firsts.tolist() for p in phrases[f]]
    phr_lo = np.cumsum([0] + [len(phrases[f]) for f in firsts.tolist()]).astype(np.int64)
    phr_len = np.array([len(p) for p in flat], dtype=np.int64)
    phr_tok = np.array([p + (0,) * (W - len(p)) for p in flat], dtype=np.uint64)
    cand = np.flatnonzero(np.isin(tokh, firsts)).astype(np.int64)
    first = np.searchsorted(firsts, tokh[cand]).astype(np.int64)
    doc_hi = np.array([1000, 2500, 4000])
    cand_hi = doc_hi[np.searchsorted(doc_hi, cand, side="right")].astype(np.int64)
    args = (cand, first, cand_hi, tokh, phr_lo, phr_len, phr_tok)
    got = K.match_phrases(*args)
    assert np.array_equal(got, PY_KERNELS["match_phrases"](*args))
    assert {0, 1, 2, 3, 4, 5, -1} <= set(got.tolist())


_BLOCKY = ["\n", "\n\n", " ", "\t", "\r", "\x0b", "\x0c", "\u00a0", "\u3000", "\u2028", "\x1c", "a", "b", "ab", "a b",
           "é", "中", "\U0001F600", "\ud800"]


def _random_docs(rng, n):
    return ["".join(rng.choice(_BLOCKY, size=int(rng.integers(0, 40)))) for _ in range(n)]


def _doc_ranges(texts):
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]]).astype(np.int64)
    return " ".join(texts), starts, starts + np.array([len(t) for t in texts], dtype=np.int64)


@pytest.mark.parametrize("seed", range(6))
def test_block_stats_equal_reference(seed):
    rng = np.random.default_rng(seed)
    texts = _random_docs(rng, 300) + ["", " ", "\n\n", "a\n\na\n \na", "x\n\r\nx", "x\n\u3000\ny\n\n y \n\ny"]
    if seed % 3 == 1:
        texts = [t.replace("\U0001F600", "") for t in texts]                      # two-byte strs
    if seed % 3 == 2:
        texts = ["".join(ch for ch in t if ord(ch) < 256) for t in texts]      # a one-byte str
    joined, starts, ends = _doc_ranges(texts)
    got = K.block_stats(joined, starts, ends)
    assert np.array_equal(got, PY_KERNELS["block_stats"](joined, starts, ends))
    assert got[:, 1].any()


def test_block_stats_on_real_pages(page_texts):
    joined, starts, ends = _doc_ranges(page_texts)
    got = K.block_stats(joined, starts, ends)
    assert np.array_equal(got, PY_KERNELS["block_stats"](joined, starts, ends))
    assert got[:, 0].max() > 5


@pytest.mark.parametrize("seed", range(4))
def test_span_repeats_equal_reference(seed):
    rng = np.random.default_rng(seed)
    texts = _random_docs(rng, 50)
    joined = " ".join(texts)
    cuts = np.unique(np.concatenate(([0, len(joined)], rng.integers(0, len(joined), len(joined) // 3))))
    starts, ends = cuts[:-1].astype(np.int64), cuts[1:].astype(np.int64)
    starts = np.minimum(starts + rng.integers(0, 2, starts.size), ends)        # gaps and empty spans too
    group_off = np.unique(np.concatenate(([0, starts.size], rng.integers(0, starts.size, 8)))).astype(np.int64)
    got = K.span_repeats(joined, starts, ends, group_off)
    assert np.array_equal(got, PY_KERNELS["span_repeats"](joined, starts, ends, group_off))
    assert got.max() > 1


def test_span_repeats_on_real_lines(page_texts):
    from filters.segment import paragraph_spans
    texts = page_texts[:200]
    joined, starts, _ = _doc_ranges(texts)
    spans = [paragraph_spans(t) for t in texts]
    ps = np.concatenate([np.array([a for a, _ in sp], dtype=np.int64) + s for sp, s in zip(spans, starts)])
    pe = np.concatenate([np.array([b for _, b in sp], dtype=np.int64) + s for sp, s in zip(spans, starts)])
    group_off = np.cumsum([0] + [len(sp) for sp in spans]).astype(np.int64)
    got = K.span_repeats(joined, ps, pe, group_off)
    assert np.array_equal(got, PY_KERNELS["span_repeats"](joined, ps, pe, group_off))
    assert got.any()


def test_find_hashes_groups_equals_reference(page_texts):
    from filters.quality import QualityScorer
    texts = page_texts[:120]
    joined, starts, ends = _doc_ranges(texts)
    _, tok_pos, _, tokh, _ = K.char_pass(joined, _lowers(texts), np.array([0, len(joined)]),
                                         *_char_pass_args(["x"])[3:])
    los, his = np.searchsorted(tok_pos, starts), np.searchsorted(tok_pos, ends)
    scorer = QualityScorer()
    groups = [(i.stop_h, i.stop_filter) for i in map(scorer._lang_info, ("en", "de", "es", "fr"))]
    rng = np.random.default_rng(1)
    for group_of in (rng.integers(-1, 4, size=len(texts)), np.zeros(len(texts)), np.full(len(texts), -1)):
        args = (groups, group_of.astype(np.int64), tokh, los, his)
        got = K.find_hashes_groups(*args)
        assert np.array_equal(got, PY_KERNELS["find_hashes_groups"](*args))
    assert K.find_hashes_groups(groups, np.zeros(len(texts), dtype=np.int64), tokh, los, his).size > 1000
    assert K.find_hashes_groups([], np.zeros(0, dtype=np.int64), tokh, los[:0], his[:0]).size == 0


def test_keys_in_equals_reference(page_texts):
    from filters.quality import QualityScorer, _key_table
    table = QualityScorer()._scan_keys
    lowers = _lowers(page_texts)
    got = [K.keys_in(low, table) for low in lowers]
    assert got == [PY_KERNELS["keys_in"](low, table) for low in lowers]
    assert len({g for g in got}) > 5
    rng = np.random.default_rng(2)
    keys = ("a", "ab", "ba", "\u0101b", "中文", "\U0001F600x", "x\ud800", "aaa", " / ", "{")
    keys += tuple(f"k{i}" for i in range(54))
    table = _key_table(keys)
    alphabet = ["a", "b", "\u0101", "\u0201", "中", "文", "\U0001F600", "x", "\ud800", " ", "/", "{", "k", "1", "5"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet, size=int(rng.integers(0, 12))))
        assert K.keys_in(text, table) == PY_KERNELS["keys_in"](text, table), repr(text)
    assert K.keys_in("k53k9", table) == PY_KERNELS["keys_in"]("k53k9", table) == (1 << 63) | (1 << 19) | (1 << 15)
