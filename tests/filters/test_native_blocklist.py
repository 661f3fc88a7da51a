"""filters/_native/blocklist.pyx against the pure-Python references in filters/blocklist.py."""
from __future__ import annotations

import csv
import json
import lzma
import random
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

import filters.blocklist as bl
from filters._native import native
from filters.blocklist import PY_KERNELS, WordBlocklist, _COMPOSING, _form_entry, _is_word_char, default_scoring
from filters.scripts import in_blocks

K = native("blocklist")

# characters whose form depends on their neighbours or on lower()'s context, that expand, or that are
# ordinary (see tests/filters/test_blocklist.py), plus combining marks in and out of canonical order
_TRICKY = ("aeiouAEIOU sxSX\u00a0\u0301\u0323\u0345\u0308\u0316\u064b\u0651\u094d\u093c한가\u1161\u11a8\u3131"
           "\u314f\u09c7\u09be\u09cb\u0b47\u0b3e카か\u3099\u309a\u309b\u03a3\u03c3\u03c2\u03f9\u0130\u0131\ufb01"
           "\ufb03\u2026\uff0c\uff10\uff21\uff41\u00bd\u00b2\u2122\u3392\ufdfa\u1e9b\u0390\u1f80\u01c5\u00df"
           "\u1e9e\u212a\u2126\u0149\u0587\u0e33\ud800\udc00\U0001f600\U00020000你好他妈的三级片porn ass fuck")


@pytest.fixture(scope="module")
def words(shared_data) -> WordBlocklist:
    """The project's lists: LDNOOBW (weights, allow list) merged with zh_konsheng."""
    safety = shared_data / "safety"
    return WordBlocklist.from_ldnoobw_dir(safety / "ldnoobw", **default_scoring()).merge(
        WordBlocklist.from_category_dir(safety / "zh_konsheng", weight=0.5))


@pytest.fixture(scope="module")
def texts(shared_data) -> list[str]:
    """Web pages, Chinese offensive comments and LID sentences of many languages."""
    with lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        out = [json.loads(line)["text"] for line in f][:600]
    with open(shared_data / "safety" / "cold_dev.csv", encoding="utf-8-sig") as f:
        out += [row["TEXT"] for row in csv.DictReader(f)][:1500]
    with lzma.open(shared_data / "lid" / "lingua_sentences_public.tsv.xz", "rt", encoding="utf-8") as f:
        out += [line.rstrip("\n").split("\t")[-1] for line in f][::50]
    return out


_RUST: dict = {}  # id(pattern list) -> (pattern list, reference automaton, edge flags)


def _reference_automaton(words, patterns):
    if id(patterns) not in _RUST:
        where = {p: k for k, p in enumerate(words._patterns)}
        _RUST[id(patterns)] = (patterns, bl._automaton(patterns), [words._values[where[p]][:2] for p in patterns])
    return _RUST[id(patterns)][1:]


def _reference(words, patterns, text):
    """scan's pure-Python path: match form, reference automaton, word boundaries."""
    norm, longer = PY_KERNELS["match_form"](text)
    auto, values = _reference_automaton(words, patterns)
    out = []
    for k, s, e in PY_KERNELS["overlapping_matches"](auto, norm):
        left, right = values[k][:2]
        if left and s > 0 and _is_word_char(norm[s - 1]):
            continue
        if right and e < len(norm) and _is_word_char(norm[e]):
            continue
        out.append((k, s, e))
    index = None if longer is None else bl._index_map(text, longer)
    return sorted(out), index


def _check(words, text, langs):
    auto, values, patterns = words._matcher(langs)
    found = bl._compiled_scan(auto, text)
    want, index = _reference(words, patterns, text)
    if found is None:  # the general path: the compiled find equals the reference automaton on the match form
        norm, _ = PY_KERNELS["match_form"](text)
        ref = _reference_automaton(words, patterns)[0]
        assert sorted(auto.find(norm)) == sorted(PY_KERNELS["overlapping_matches"](ref, norm))
        return False
    hits, kindex = found
    assert sorted(hits) == want
    if hits:
        assert (kindex is None) == (index is None)
        if index is not None:
            assert kindex == index
    return True


def test_kernel_is_used():
    assert bl._NATIVE is K is not None
    assert bl._word_count is K.word_count and bl._nonspace_count is K.nonspace_count


def test_composing_list_is_the_quick_check_maybe_set():
    maybe = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<"):
            parts = d.split()
            if len(parts) == 2 and unicodedata.normalize("NFC", "".join(chr(int(p, 16)) for p in parts)) == chr(cp):
                maybe.add(int(parts[1], 16))
    assert maybe == {cp for lo, hi in _COMPOSING for cp in range(lo, hi + 1)}


def test_form_entries_are_each_characters_match_form():
    rng = random.Random(3)
    cps = list(range(0x10000)) + rng.sample(range(0x10000, 0x110000), 20000)
    taken = checked = 0
    for cp in cps:
        entry = _form_entry(cp)
        if entry is None:
            continue
        taken += 1
        items, check, changed = entry
        nfkc = unicodedata.normalize("NFKC", chr(cp))
        assert changed == (nfkc != chr(cp))
        assert "".join(chr(low) for low, _, _ in items) == nfkc.lower()
        assert [w for _, w, _ in items] == [_is_word_char(c) for c in nfkc.lower()]
        assert [c for _, _, c in items] == [unicodedata.combining(c) for c in nfkc for _ in c.lower()]
        if any(in_blocks(ord(c), _COMPOSING) for c in nfkc) or (len(items) > 1 and any(c for _, _, c in items)):
            assert check
            checked += 1
    assert taken > 60000 and checked > 100


@pytest.mark.parametrize("langs", [frozenset(["en"]), frozenset(["zh"]), frozenset(["de", "en"]), None,
                                   frozenset(["ja"]), frozenset(["ru"]), frozenset(["th"]), frozenset(["ko"]),
                                   frozenset(["fr", "es", "it"])])
def test_scan_equals_reference_on_real_text(words, texts, langs):
    if words._matcher(langs)[0] is None:
        pytest.fail(f"no automaton for {langs}")
    taken = sum(_check(words, t, langs) for t in texts)
    assert taken > len(texts) // 2
    for t in texts[:200]:
        for extra in ("Σ", "ﬁ", "\u0301", "\u1161", "，…", "\u0130", "\ud800", "\u0316\u0301", "\u0301\u0316"):
            _check(words, t + extra + t[:50], langs)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_TRICKY), st.characters()), max_size=40).map("".join))
def test_scan_equals_reference_on_random_text(words, text):
    for langs in (frozenset(["en"]), frozenset(["zh"]), None):
        _check(words, text, langs)


def test_edge_cases(words):
    for text in ("", "a", "ass", " ass ", "class", "ASS!", "Ａｓｓ", "a\u00a0ss", "ass\u2026", "…ass…", "ﬁ ass",
                 "İass", "ass\U0001f600", "\U0001f600ass", "他妈的", "他\u00a0妈的", "１２３ ass ４", "ΣASS"):
        for langs in (frozenset(["en"]), frozenset(["zh"]), None):
            _check(words, text, langs)


def test_document_results_equal_the_pure_python_path(words, texts, monkeypatch, shared_data):
    langs_of = (["en"], ["zh"], ["de", "en"], ["ja"], ["und"], ["ru", "uk"])
    native_results = [words.scan(t, langs_of[i % len(langs_of)]).to_dict() for i, t in enumerate(texts)]
    monkeypatch.setattr(bl, "_NATIVE", None)
    monkeypatch.setattr(bl, "_word_count", PY_KERNELS["word_count"])
    monkeypatch.setattr(bl, "_nonspace_count", PY_KERNELS["nonspace_count"])
    safety = shared_data / "safety"
    pure = WordBlocklist.from_ldnoobw_dir(safety / "ldnoobw", **default_scoring()).merge(
        WordBlocklist.from_category_dir(safety / "zh_konsheng", weight=0.5))
    pure_results = [pure.scan(t, langs_of[i % len(langs_of)]).to_dict() for i, t in enumerate(texts)]
    assert native_results == pure_results
    assert sum(r["hits"] for r in pure_results) > 100


def test_matcher_cache_keeps_single_languages_when_full(words):
    text = "what an ass, 他妈的 fuck"
    en = words._matcher(frozenset(["en"]))[0]
    want = words.scan(text, ["en", "zh"]).to_dict()
    for i in range(1100):
        assert words.scan(text, ["en", "zh", f"x{i}"]).to_dict() == want
    assert len(words._matchers) < 1024
    assert words._matcher(frozenset(["en"]))[0] is en
    assert words.scan(text, ["en", "zh"]).to_dict() == want and want["hits"] == 3


# starters (plain, precomposed, Indic, Hangul, kana) and marks that compose with them or only reorder, and
# characters NFKC changes into such starters or marks (spacing accents, Hangul compatibility jamo,
# half-width kana voicing marks, full-width letters, ligatures, NBSP)
_COMPOSE = ("aeoAEO\u00e9\u1eb9\u00ea\u0101 \u0995\u09c7\u09cb\u0b47\u0b95\u0bc6\u0928\u0915\u1100\u1161\u11a8"
            "\uac00\uac01\u304b\u30ab\u3099\u309a\u0301\u0323\u0302\u0308\u0304\u0316\u031b\u0345\u093c\u09be"
            "\u09d7\u0b3e\u0bbe\u0654\u0627\u0648\u064a\u05b4\u0e48\u0f71\u0f72\u00b4\u02dd\u00a8\u00b8\u0384"
            "\u1fbd\u1fef\u3131\u314f\u3154\uff9e\uff76\uff41\ufb01\u00a0\u2026\u0958\u0340\u0f73")


@settings(max_examples=6000, deadline=None)
@given(st.lists(st.sampled_from(_COMPOSE), max_size=12).map("".join))
def test_nfkc_check_pieces_decide_as_the_whole_text(words, text):
    auto = words._matcher(None)[0]
    found = auto.scan(text)
    if found is None:
        return
    _, _, pieces, changed = found
    near = "".join(unicodedata.normalize("NFKC", c) for c in text)
    assert changed == (near != text)
    assert all(unicodedata.is_normalized("NFKC", "".join(unicodedata.normalize("NFKC", c) for c in text[lo:hi]))
               for lo, hi in pieces) == unicodedata.is_normalized("NFKC", near)


def test_word_counts_equal_reference(texts):
    extra = ["", " ", "a", " a ", "a  b\u00a0c\u2028d\x1ce\x85f\u3000g\u200bh", "\t\n", "你好 世界", "\ud800 x"]
    for text in texts + extra + [t + " \u00a0" for t in texts[:50]]:
        assert K.word_count(text) == PY_KERNELS["word_count"](text) == len(text.split())
        assert K.nonspace_count(text) == PY_KERNELS["nonspace_count"](text)


@settings(max_examples=2000, deadline=None)
@given(st.text(st.one_of(st.sampled_from(" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u00a0\u1680\u2000\u200a\u2028\u2029"
                                         "\u202f\u205f\u3000\u180e\u200b\ufeffab"), st.characters()), max_size=30))
def test_word_counts_equal_reference_on_random_text(text):
    assert K.word_count(text) == PY_KERNELS["word_count"](text)
    assert K.nonspace_count(text) == PY_KERNELS["nonspace_count"](text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(st.sampled_from("abcAB -你好他妈ㄱ\u0301é…"), min_size=1, max_size=4),
                          st.sampled_from(["en", "zh", None])), min_size=1, max_size=30),
       st.lists(st.text(st.sampled_from("abcAB -,你好他妈ㄱ\u0301é…ｂ\u00a0Σ"), max_size=30), min_size=1, max_size=5))
def test_scan_equals_reference_on_random_lists(entries, texts):
    """Small random lists over a few letters (shared prefixes, one-character entries, allow words): tries,
    pair bitmaps and Aho-Corasick links against the reference automaton."""
    wb = WordBlocklist([(t, lang, "x") for t, lang in entries], min_unspaced_len=1,
                       allow_terms=[(None, t + "b") for t, _ in entries[:3]])
    if not wb._entries:
        return
    for langs in (frozenset(["en"]), frozenset(["zh"]), None, frozenset(["en", "zh"])):
        if wb._matcher(langs)[0] is None:
            continue
        for text in texts:
            _check(wb, text, langs)
