"""filters/_native/minhash.pyx against the pure-Python (numpy) reference in filters/minhash.py.

The compiled module is imported directly, so these tests compare kernel and reference also
under THRESHER_PURE_PYTHON=1 (which only stops filters/minhash.py from using the kernel).
"""
from __future__ import annotations

import importlib
import json
import lzma
import random

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
def page_texts(shared_data) -> list[str]:
    with lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


@pytest.fixture(scope="module")
def sentences(shared_data) -> list[str]:
    with lzma.open(shared_data / "lid" / "lingua_sentences_public.tsv.xz", "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f]
    return [r[1] for r in rows if len(r) == 2][::7]


@pytest.mark.parametrize("config", [M.MinHashConfig(), M.MinHashConfig(num_perm=64, ngram_word=3, ngram_char=2, seed=7),
                                    M.MinHashConfig(num_perm=200, ngram_word=1, ngram_char=9, seed=2**32 - 1)])
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
