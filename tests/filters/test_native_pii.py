"""filters/_native/pii.pyx against the pure-Python references in filters/pii.py."""
from __future__ import annotations

import csv
import json
import lzma

from hypothesis import given, settings, strategies as st

import filters.pii as pii
from filters._native import native
from filters.pii import PY_KERNELS, find_pii

K = native("pii")

# digits of several scripts (full-width, Arabic-Indic, Devanagari, Mathematical), every kind of
# separator the run takes, spaces str.isspace() knows beyond ASCII, the x/X of ID numbers, and
# characters next to them that are not in the run (letters, superscript digits, commas)
_ALPHABET = ("0123456789" * 3 + "  ..--()+/::xXa,\t\n\x1c\x1f\x85\u00a0\u2009\u3000\u2028\uff10\uff19\u0660\u0669"
             "\u0966\u096f\U0001d7ce\U0001d7ff\u00b2\u00b9\u2460\u00bd年号\ud800")


def _pages(shared_data) -> list[str]:
    with lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        out = [json.loads(line)["text"] for line in f]
    with open(shared_data / "safety" / "cold_dev.csv", encoding="utf-8-sig") as f:
        out += [row["TEXT"] for row in csv.DictReader(f)][:1500]
    with open(shared_data / "web_zh" / "c4zh_duplicated_lines_samples.jsonl", encoding="utf-8") as f:
        out += f.read().splitlines()[:500]  # one Python-literal row a line: read as text
    with lzma.open(shared_data / "lid" / "lingua_sentences_public.tsv.xz", "rt", encoding="utf-8") as f:
        out += [line.rstrip("\n").split("\t")[-1] for line in f][::50]
    return out


def test_kernel_is_used():
    assert K is not None and pii._numeric_windows is K.numeric_windows and pii._prescan is K.prescan
    assert pii._digit_count is K.digit_count


def test_numeric_windows_equal_reference_on_real_text(shared_data):
    texts = _pages(shared_data)
    windows = 0
    for text in texts:
        want = PY_KERNELS["numeric_windows"](text)
        assert K.numeric_windows(text) == want
        windows += len(want)
    assert windows > 2000


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_ALPHABET), st.characters()), max_size=60).map("".join))
def test_numeric_windows_equal_reference_on_random_text(text):
    assert K.numeric_windows(text) == PY_KERNELS["numeric_windows"](text)


def test_numeric_windows_edge_cases():
    for text in ("", "1", "1234567", "123456x", "(1234567", "+1234567", "a+(1234567)", "1      2", "1     2",
                 "1......x", "1.....x", "1234567X8", "１２３４５６７", "١٢٣٤٥٦٧", "1\u00a02\u00a03\u00a04", "1" * 1000,
                 "12345 67890 12345x 1", "\U0001d7ce" * 8, "x1234567", "1234567" + "-" * 50, "+" * 9 + "1" * 9):
        assert K.numeric_windows(text) == PY_KERNELS["numeric_windows"](text), text


def test_find_pii_equals_the_pure_python_path(shared_data, monkeypatch):
    texts = _pages(shared_data)
    fast = [find_pii(t) for t in texts]
    monkeypatch.setattr(pii, "_numeric_windows", PY_KERNELS["numeric_windows"])
    monkeypatch.setattr(pii, "_prescan", PY_KERNELS["prescan"])
    monkeypatch.setattr(pii, "_digit_count", PY_KERNELS["digit_count"])
    assert fast == [find_pii(t) for t in texts]
    assert sum(map(len, fast)) > 100


def test_prescan_equals_reference(shared_data):
    texts = _pages(shared_data)
    texts += ["", ":", "::", "a:b:c:d:e:f:g", "a:b:c:d:e:f:g:h", "1:2", "fe80::1", ":x:", "１２３４５６７::"]
    may = 0
    for text in texts:
        want = PY_KERNELS["prescan"](text)
        assert K.prescan(text) == want
        may += want[1]
    assert 10 < may < len(texts)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET + "::::a"), max_size=60).map("".join))
def test_prescan_equals_reference_on_random_text(text):
    assert K.prescan(text) == PY_KERNELS["prescan"](text)


def test_digit_count_equals_reference(shared_data):
    texts = _pages(shared_data)[:800] + ["", "1", "１２", "\U0001d7ce9a", "\u00b2\u2460\u0660"]
    for text in texts:
        for lo, hi in [(0, len(text))] + K.numeric_windows(text):
            assert K.digit_count(text, lo, hi) == PY_KERNELS["digit_count"](text, lo, hi)
    assert K.digit_count("a12", 0, 10) == 2


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_ALPHABET), st.characters()), max_size=40).map("".join), st.data())
def test_digit_count_and_candidates_equal_reference_on_random_text(text, data):
    lo = data.draw(st.integers(0, len(text)))
    hi = data.draw(st.integers(lo, len(text)))
    assert K.digit_count(text, lo, hi) == PY_KERNELS["digit_count"](text, lo, hi)


def test_digit_gates_keep_every_candidate(shared_data, monkeypatch):
    """_digit_candidates with its digit-count gates opened (a count that passes every gate) finds the same."""
    texts = _pages(shared_data)
    texts += ["call +1 (555) 234-5678 or 4111 1111 1111 1111, id 11010519491231002X, ip 10.1.2.3 / 1.2.3.45",
              "电话13812345678，座机010-62345678，身份证110105194912310021号", "x 4111111111111111 y 555-234-5678"]
    gated = [sorted(set(pii._candidates(t))) for t in texts]
    monkeypatch.setattr(pii, "_digit_count", lambda text, lo, hi: 99)
    assert gated == [sorted(set(pii._candidates(t))) for t in texts]
    assert sum(map(len, gated)) > 100
