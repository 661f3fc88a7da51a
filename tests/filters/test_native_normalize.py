"""filters/_native/normalize.pyx against the pure-Python reference in filters/normalize.py.

The compiled module is imported directly, so these tests compare kernel and reference also
under THRESHER_PURE_PYTHON=1 (which only stops filters/normalize.py from using the kernel).
"""
from __future__ import annotations

import importlib
import random

import pytest

from filters import normalize as N

K = importlib.import_module("filters._native.normalize")
REF = N.PY_KERNELS["clean_text"]


def _native(text):
    out = K.clean_text(text, *N._clean_tables())
    return REF(text) if out is None else (out, [])


def _assert_equal(texts):
    fast = 0
    for t in texts:
        assert _native(t) == REF(t), t
        fast += K.clean_text(t, *N._clean_tables()) is not None
    return fast


def test_clean_text_equals_reference_on_real_text(page_texts, lingua_sentences):
    assert _assert_equal(page_texts) > 0.9 * len(page_texts)
    _assert_equal(lingua_sentences)
    # the same pages re-rendered the ways crawls break them
    _assert_equal([t.replace("\n", " \n\n\n\t\n") for t in page_texts[:100]])
    _assert_equal([t.replace("\n", "\r\n") for t in page_texts[:50]])
    _assert_equal([" \u3000 " + t.replace(". ", ".\u00a0\n") + "\n\u2003" for t in page_texts[:100]])


EDGE = ["", " ", "\n", "\n\n\n", " \n \n \n ", "a", " a \n", "a \nb", "a\t\nb", "a\n\n\nb", "a\n\n\n\n\nb", "a\n \n \nb",
        "a\u00a0\nb\u3000\n\n\nc", "\u2003a\u2003", "\u3000\u3000", "a\r\nb", "a\rb", "a\x0bb\x0cc", "a\u2028b\u2029c",
        "a\x85b", "a\x01\x02b", "a\u200bb\u00adc\ufeff", "a\ud800b", "\ud800", "\x1c\x1d a", "e\u0301", "e\u0301\u0316",
        "e\u0316\u0301", "\u00e9\u0323", "\u1100\u1161", "\uac00\u11a8", "\u212b \u2126", "ｆｕｌｌ ﬁ", "\u09c7\u09be \u0995\u09be",
        "\U0001F600 \U00020000 \U000E0041", "a \t \n\t b  \n", "\u0958", "x" * 10000 + " \n" * 10]


def test_clean_text_equals_reference_on_edge_cases():
    _assert_equal(EDGE)
    _assert_equal(["".join(EDGE)])
    assert K.clean_text("a \n\n\n\nb\u3000 ", *N._clean_tables()) == "a\n\nb"
    assert K.clean_text("a\r\nb", *N._clean_tables()) is None


def test_clean_text_equals_reference_on_random_text():
    rng = random.Random(9)
    alphabet = ("ab Z09.\n\n\n\t \u00a0\u3000\u2003\r\x0b\x85\x01\u200b\u00ad\u2028e\u0301\u0316\u0323é\u1100\u1161"
                "\uac00\u11a8\u212b本ß\ud800\U0001F600\u09c7\u09be")
    _assert_equal(["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60))) for _ in range(20000)])


def test_clean_text_equals_reference_around_compositions():
    from tests.filters.test_native_minhash import composition_alphabet
    import unicodedata
    rng = random.Random(17)
    for seed in range(3):
        alphabet = composition_alphabet(seed) + ["\n", " \n", "\u3000"]
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 9))) for _ in range(30000)]
        _assert_equal(texts)
    maybe = [t for t in texts if unicodedata.is_normalized("NFC", t)
             and any(N._clean_tables()[0][ord(c)] == 255 for c in t)]
    assert sum(K.clean_text(t, *N._clean_tables()) is not None for t in maybe) > 0.3 * len(maybe) > 100


def test_module_uses_the_kernel_unless_switched_off():
    from filters._native import native
    assert N.clean_text is (REF if native("normalize") is None else N._clean_text_native)


def test_nfc_quick_check_table_flags_every_code_point_nfc_changes():
    import numpy as np
    import unicodedata
    from filters import minhash as M
    qc = M.quick_check_table("NFC")
    cps, out, first, lens = M.per_char_mapping(lambda t: unicodedata.normalize("NFC", t))
    changed = cps[(lens != 1) | (out[first] != cps)]
    assert len(changed) > 1000 and np.all(qc[changed] >= M._SURE_NO)
    with pytest.raises(ValueError):
        M.quick_check_table("NFD")
