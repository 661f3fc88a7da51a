"""filters/_native/minhash.pyx against the pure-Python (numpy) reference in filters/minhash.py.

The compiled module is imported directly, so these tests compare kernel and reference also
under THRESHER_PURE_PYTHON=1 (which only stops filters/minhash.py from using the kernel).
"""
from __future__ import annotations

import importlib
import random
import unicodedata

import numpy as np
import pytest

from filters import minhash as M

K = importlib.import_module("filters._native.minhash")
REF = M.PY_KERNELS["signature_rows"]


def _native_rows(hasher, texts, out, normalize_texts=True):
    norm = [M.normalize(t) for t in texts] if normalize_texts else list(texts)
    c = hasher.config
    return K.signatures_into(norm, hasher._table, hasher.a, hasher.b, out, c.ngram_word, c.ngram_char,
                             hasher._shingle_pow)


def _both(hasher, texts):
    """(reference rows, counts), (kernel rows, counts) of ``texts``."""
    res = []
    for fn in (REF, _native_rows):
        out = np.full((len(texts), hasher.config.num_perm), M.EMPTY_VALUE, dtype=np.uint32)
        counts = fn(hasher, texts, out)
        res.append((out, tuple(int(x) for x in counts)))
    return res


def _assert_equal(hasher, texts):
    (ref, ref_counts), (got, got_counts) = _both(hasher, texts)
    assert got_counts == ref_counts
    assert np.array_equal(got, ref)
    return ref_counts


@pytest.fixture(scope="module")
def sentences(lingua_sentences) -> list[str]:
    return lingua_sentences[::7]


CONFIGS = [M.MinHashConfig(), M.MinHashConfig(num_perm=64, ngram_word=3, ngram_char=2, seed=7),
           M.MinHashConfig(num_perm=200, ngram_word=1, ngram_char=9, seed=2**32 - 1)]


@pytest.mark.parametrize("config", CONFIGS)
def test_signatures_equal_reference_on_real_pages(page_texts, config):
    hasher = M.MinHasher(config)
    for lo in range(0, len(page_texts), 64):
        _assert_equal(hasher, page_texts[lo:lo + 64])
    empty, char_mode, shingles = _assert_equal(hasher, page_texts[:200])
    assert char_mode > 0 and shingles > 10_000


def test_signatures_equal_reference_on_sentences_of_many_languages(sentences):
    hasher = M.MinHasher()
    assert len(sentences) > 3000
    for lo in range(0, len(sentences), 500):
        _assert_equal(hasher, sentences[lo:lo + 500])


EDGE = ["", " ", ".,;!? \n\t", "a", "ab cd", "本", "本网站使用cookie来改善", "one two three four",
        "one two three four five", "one two three four five six", "İstanbul İİ ǅ ß ﬁ Ⅻ ｆｕｌｌ",
        "😀 emoji 😀😀 \U0001F468\u200D\U0001F469 x", "soft\u00adhyphen zw\u200bsp zw\u200dj var\ufe0fsel tag\U000E0041s",
        "lone \ud800 surrogate \udfff here", "\ud800", "𝐀𝐁𝐂 math 𝟙𝟚", "ก่อนที่จะ ภาษาไทย ລາວ ខ្មែរ မြန်မာ",
        "ㄅㄆㄇ ひらがな カタカナ ｶﾀｶﾅ 한국어 텍스트", "\x00nul\x00 \x85nel \u2028ls", "a" * 5000,
        "e\u0301 cafe\u0301 Å Å", "\U0010FFFF \U000F0000 private", "x\ufe00\ufe01y \u180bz"]


def test_signatures_equal_reference_on_edge_cases():
    for config in (M.MinHashConfig(), M.MinHashConfig(num_perm=3, bands=1, rows=3, ngram_word=2, ngram_char=4)):
        hasher = M.MinHasher(config)
        _assert_equal(hasher, EDGE)
        for t in EDGE:
            _assert_equal(hasher, [t])
        assert _assert_equal(hasher, ["", " .,"]) == (2, 0, 0)


def test_signatures_equal_reference_on_random_text():
    rng = random.Random(3)
    alphabet = ("abcXYZ019 .,-\n\t\u00a0\u00ad\u200b\u200d\ufe0f本网站ひカ한กéß\u0130\u0301ﬁ①"
                "\U0001F600\U00020000\U000E0041\ud800")
    hasher = M.MinHasher(M.MinHashConfig(num_perm=32, ngram_word=3, ngram_char=3))
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300))) for _ in range(400)]
    _assert_equal(hasher, texts)


def test_very_long_document_equals_reference(page_texts):
    long_text = "\n".join(page_texts[:120])  # longer than one batch's position tables
    hasher = M.MinHasher(max_chars_per_batch=1 << 12)
    assert len(long_text) > 2 * (1 << 12) + 2
    _assert_equal(hasher, [long_text, "short one", long_text[::-1]])


def test_minhasher_signatures_with_and_without_the_kernel(page_texts, monkeypatch):
    texts = page_texts[:150] + EDGE
    runs = []
    for rows in (_native_rows, REF):
        monkeypatch.setattr(M, "_signature_rows", rows)
        counts: dict[str, int] = {}
        hasher = M.MinHasher(max_chars_per_batch=1 << 15, max_doc_chars=3000)
        sigs = hasher.signatures(texts, count=lambda k, n=1: counts.__setitem__(k, counts.get(k, 0) + n))
        runs.append((sigs, counts))
    assert np.array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1] and runs[0][1]["minhash_truncated_docs"] > 0


def test_kernel_rejects_bad_arguments():
    h = M.MinHasher()
    out = np.zeros((1, 128), dtype=np.uint32)
    with pytest.raises(ValueError):
        K.signatures_into(["a", "b"], h._table, h.a, h.b, out, 5, 5, h._shingle_pow)
    with pytest.raises(ValueError):
        K.signatures_into(["a"], h._table, h.a, h.b, out, 5, 50, h._shingle_pow)
    with pytest.raises(TypeError):
        K.signatures_into([b"a"], h._table, h.a, h.b, out, 5, 5, h._shingle_pow)


def test_module_uses_the_kernel_unless_switched_off():
    from filters._native import native
    expected = M.PY_KERNELS["signature_rows"] if native("minhash") is None else M._signature_rows_native
    assert M._signature_rows is expected


# --- normalize (NFKC + casefold) ---------------------------------------------------------------

NORMALIZE_REF = M.PY_KERNELS["normalize"]
_QC, *_FOLD = M._fold_tables()
NORM = K.Normalizer(_QC, *M.composition_tables(), *M._nfkc_tables(), *_FOLD)


def _native_normalize(text):
    if text.isascii():
        return text.lower()
    out = NORM(text)
    return NORM.fold(M.nfkc(text)) if out is None else out


def _assert_normalize_equal(texts):
    for t in texts:
        got, want = _native_normalize(t), NORMALIZE_REF(t)
        assert got == want, (t, got, want)
        assert NORM.fold(t) == t.casefold()


def test_casefold_changes_no_code_point_above_the_low_planes():
    cps, out, first, lens = M.per_char_mapping(str.casefold)
    changed = cps[(lens != 1) | (out[first] != cps)]
    assert changed.max() < len(_FOLD[0]) <= M.LOW_PLANES


def test_normalize_equals_reference_on_real_text(page_texts, sentences):
    _assert_normalize_equal(page_texts)
    _assert_normalize_equal(sentences)
    # most non-ASCII pages take the compiled path (NFKC text, or NFKC after per-character mapping)
    fast = sum(NORM(t) is not None for t in page_texts if not t.isascii())
    assert fast > 0.9 * sum(not t.isascii() for t in page_texts)


NORMALIZE_EDGE = EDGE + [
    "ᄀ\u1161\u11a8 가 \u1100\u1161", "a\u0301\u0316 a\u0316\u0301 e\u0301 ｅ\u0301 Ａ\u030a", "\ufdfa \ufb03 ǆ ＡＢＣ１２３",
    "ΐ ß ẞ İ ŉ ǰ ﬀ ﬗ", "\U00010400\U00010428 \U0001E900 \U000118A0 Ꭰꭰ", "\u0958 \u0915\u093c \u09bc\u09be",
    "x\u0345\u0301", "\u0344 \u0f73 \u0f75", "\u2126 \u212b \u1e9b\u0323", "\uff0c\uff01 中文，标点！", "\u3000\u00a0 ", "\ud7a3\u11a8"]


def test_normalize_equals_reference_on_edge_cases():
    _assert_normalize_equal(NORMALIZE_EDGE)
    _assert_normalize_equal(["".join(NORMALIZE_EDGE)])


def test_normalize_equals_reference_on_every_code_point():
    rng = np.random.default_rng(5)
    cps = np.arange(0x110000)
    cps = cps[(cps < 0xD800) | (cps >= 0xE000) | (cps % 97 == 0)]  # a few lone surrogates
    rng.shuffle(cps)
    text = cps.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    step = 3
    _assert_normalize_equal([text[i:i + step] for i in range(0, len(text), step)])
    marks = "\u0301\u0316\u093c\u3099\u1161"
    _assert_normalize_equal([text[i] + marks[i % 5] for i in range(0, 0x30000, 2)])


def test_normalize_equals_reference_on_random_text():
    rng = random.Random(11)
    alphabet = ("aeAE\u0301\u0308\u0316\u0345ᄀ\u1161\u11a8가ｅＡ①ﬁß\u0130ΐ\u00adｶﾞ\u3099\u309a"
                "\u093c\u0915\u09bc\u09be\u0b47\u0b3e\ud800\U0001D400\U00010400 ,.")
    _assert_normalize_equal(["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))) for _ in range(20000)])


def composition_alphabet(seed: int) -> list[str]:
    """Code points that compose or block composition: both halves of sampled canonical pairs
    (primary composites and excluded ones), their composites, marks of several classes, Hangul
    jamo and syllables, Indic vowel signs and nukta."""
    rng = np.random.default_rng(seed)
    pairs = []
    for cp in range(M.LOW_PLANES):
        d = unicodedata.decomposition(chr(cp)).split()
        if len(d) == 2 and not d[0].startswith("<"):
            pairs.append((cp, int(d[0], 16), int(d[1], 16)))
    picked = [pairs[i] for i in rng.choice(len(pairs), size=60, replace=False)]
    chars = {chr(c) for p in picked for c in p}
    chars |= set("ȩ़ָּ̖̣ٕ́̀̂̈ٔͅकनऩ"
                 "ড়ােোৗড়কாெொஔ਼ਖਖ਼"
                 "ᄀ하ᅵᆨᇂ가각゙゚かがéẹệ̈́"
                 "ཱཱིིÅΩaA ")
    return sorted(chars)


def test_normalize_equals_reference_around_compositions():
    rng = random.Random(13)
    for seed in range(3):
        alphabet = composition_alphabet(seed)
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 9))) for _ in range(30000)]
        _assert_normalize_equal(texts)
    # the quick check accepts many of these texts that are NFKC despite "maybe" code points
    maybe = [t for t in texts if unicodedata.is_normalized("NFKC", t)
             and any(_QC[ord(c)] == M._NOT_QUICK for c in t)]
    assert sum(NORM(t) is not None for t in maybe) > 0.3 * len(maybe) > 100


def test_normalize_is_rebound_unless_switched_off():
    from filters._native import native
    assert M.normalize is (NORMALIZE_REF if native("minhash") is None else M._normalize_native)
