"""filters/_native/langid.pyx against the pure-Python references in filters/langid.py (the built
module is compared whatever THRESHER_PURE_PYTHON says; the switch decides which one langid uses)."""
from __future__ import annotations

import dataclasses
import importlib
import random

import pytest

import filters.langid as L
from filters._native import disabled
from filters.segment import PY_KERNELS as SEGMENT_PY, paragraph_spans

K = importlib.import_module("filters._native.langid")
if L._KERNELS is None:
    L._configure(K)
PY_SAMPLES = L.PY_KERNELS["_paragraph_samples"]


def _native(lid, texts, spans, para_spans=paragraph_spans):
    cfg = lid.config
    return L._Batch(*K.paragraph_samples(texts, spans, para_spans, cfg.max_paragraph_chars,
                                         max(1, cfg.min_paragraph_letters), cfg.script_rules,
                                         cfg.script_dominance, cfg.kana_min_share))


def _assert_same(lid, texts, spans=None, para_spans=paragraph_spans):
    want = PY_SAMPLES(lid, texts, spans, para_spans)
    got = _native(lid, texts, spans, para_spans)
    assert dataclasses.astuple(got) == dataclasses.astuple(want)
    assert list(got.uniq.items()) == list(want.uniq.items())       # same order of the distinct samples
    return got


def _with_config(lid, **changes):
    """A copy of ``lid`` (sharing its models) with config fields changed, as __init__ sets them up."""
    other = object.__new__(L.LanguageIdentifier)
    other.__dict__.update(lid.__dict__)
    other.config = dataclasses.replace(lid.config, **changes)
    n = max(1, other.config.min_paragraph_letters)
    other._enough_letters = L.re.compile(r"[\W\d_]*+(?:[^\W\d_][\W\d_]*+){%d}" % n)
    other._enough_ascii = L.re.compile(r"[^A-Za-z]*+(?:[A-Za-z][^A-Za-z]*+){%d}" % n)
    return other


@pytest.fixture(scope="module")
def lid() -> L.LanguageIdentifier:
    return L.LanguageIdentifier(L.LidConfig(fallback="none"))


@pytest.fixture(scope="module")
def lid_docs(lingua_rows) -> list[str]:
    """One document per language of the lingua sentence set: one sentence a line, some lines joined."""
    by_lang: dict[str, list[str]] = {}
    for lang, sentence in lingua_rows:
        by_lang.setdefault(lang, []).append(sentence)
    assert len(by_lang) == 75
    return ["\n".join(" ".join(s[i:i + 1 + i % 3]) for i in range(0, len(s), 2)) for s in by_lang.values()]


def test_kernel_replaces_the_reference_unless_switched_off():
    native = L.LanguageIdentifier._paragraph_samples is L._paragraph_samples_native
    assert native == (not disabled())
    assert (L.chinese_script is L._chinese_script_native) == native
    assert PY_SAMPLES is not L._paragraph_samples_native


def test_real_pages_equal_reference(lid, page_texts):
    b = _assert_same(lid, page_texts)
    assert len(b.flat_s) > 3000 and b.n_script > 0 and len(b.uniq) < len(b.flat_s)
    assert any(x == L._UND_T for pp in b.pp_all for x in pp) and any(x is None for pp in b.pp_all for x in pp)
    _assert_same(lid, page_texts, [SEGMENT_PY["paragraph_spans"](t) for t in page_texts])
    _assert_same(lid, page_texts[:100] + [None, "", " \n "], None, SEGMENT_PY["paragraph_spans"])


@pytest.mark.parametrize("changes", [{}, {"max_paragraph_chars": 16}, {"max_paragraph_chars": 300},
                                     {"min_paragraph_letters": 0}, {"min_paragraph_letters": 1},
                                     {"min_paragraph_letters": 40}, {"script_rules": False},
                                     {"script_dominance": 0.9, "kana_min_share": 0.5},
                                     {"script_dominance": 1.0, "kana_min_share": 1.0}])
def test_every_language_and_config_equal_reference(lid, lid_docs, page_texts, changes):
    b = _assert_same(_with_config(lid, **changes), lid_docs + page_texts[::5])
    assert len(b.flat_s) > 1000


def test_script_rule_equals_reference(lid, page_texts, lid_docs):
    rng = random.Random(3)
    pieces = ["\u4e2d\u6587", "\u6f22\u5b57", "\u3072\u3089\u304c\u306a", "\u30ab\u30bf\u30ab\u30ca", "\uff76\uff80",
              "\ud55c\uad6d\uc5b4", "\u1100\u1161", "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22", "\u0e33\u0e48",
              "\U00020000\U0002fa1d", "latin", "\u00e9\u00df", "123", " ", ".", "\u0661", "\U0001F600"]
    samples = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    samples += [s for t in page_texts + lid_docs for s in t.split("\n") if L._SPECIAL_SCRIPT.search(s)][:5000]
    n_rules = 0
    for dom, kana in ((0.5, 0.1), (0.3, 0.5), (0.9, 0.05), (1.0, 1.0), (0.1, 0.9)):
        ref = _with_config(lid, script_dominance=dom, kana_min_share=kana)
        for s in samples:
            letters = L.letter_count(s)
            want = ref._script_rule(s, letters)
            assert K.script_rule(s, letters, dom, kana) == want, s
            n_rules += want is not None
    assert n_rules > 10_000


def test_sample_info_of_every_code_point():
    for c in range(0x110000):
        ch = chr(c)
        info = K.sample_info(ch)
        assert info[:3] == (ch.isascii(), L.letter_count(ch), int(L._SPECIAL_SCRIPT.search(ch) is not None)), hex(c)
        assert info[3:] == (L._count(L._NOT_HAN, ch), L._count(L._NOT_KANA, ch), L._count(L._NOT_HANGUL, ch),
                            L._count(L._NOT_THAI, ch)), hex(c)


def test_odd_spans_and_samples_equal_reference(lid):
    rng = random.Random(11)
    words = ["The committee will publish", "Straße", "\u4e2d\u6587\u7684\u53e5\u5b50", "x" * 300, "a\nb ",
             "\r\n", "  spaced   out  ", "\u00a0\u3000", "\u0e44\u0e17\u0e22 ", "\ud55c\uad6d\uc5b4 ", "123 ... !!",
             "\u30ab\u30bf\u30ab\u30ca", "\U0001F600", "\t", "I\u0307stanbul", " " * 70]
    texts = ["".join(rng.choice(words) for _ in range(rng.randint(0, 10))) for _ in range(400)]
    spans = []
    for t in texts:
        n = len(t)
        spans.append([(s, s + rng.choice([-3, 0, 1, 5, 63, 64, 65, 127, 128, 129, 130, 200, 500, n + 50]))
                      for s in (rng.randint(-20, n + 10) for _ in range(10))])
    b = _assert_same(lid, texts, spans)
    assert len(b.flat_s) > 500
    _assert_same(lid, texts)
    _assert_same(lid, texts, [[(float(s), e) for s, e in sp] for sp in spans])   # int() of the given spans


def _use(monkeypatch, native: bool) -> None:
    """The langid kernels (native) or their references, whatever the switch."""
    monkeypatch.setattr(L.LanguageIdentifier, "_paragraph_samples",
                        _native if native else L.PY_KERNELS["_paragraph_samples"])
    monkeypatch.setattr(L, "chinese_script", _chinese_script_kernel if native else L.PY_KERNELS["chinese_script"])


@pytest.mark.parametrize("changes", [{}, {"fallback": "none"}, {"lingua_candidates": 0, "group_fallback_chars": 0},
                                     {"lingua_restrict_first": False, "merge_unsure_below": 0.0}])
def test_annotate_batch_unchanged(page_texts, lid_docs, monkeypatch, changes):
    """Every kernel against every reference, with counts, in several configurations."""
    texts = page_texts[:400] + lid_docs + ["", "123", "\u4e2d\u6587\u7684\u53e5\u5b50", "short", None]
    results = []
    for native in (False, True):
        _use(monkeypatch, native)
        ident = L.LanguageIdentifier(L.LidConfig(**changes))
        counts: dict = {}
        results.append((ident.annotate_batch(texts, score_key="lang_score", count=counts.__setitem__),
                        ident.annotate_batch(texts[:50]),
                        ident.annotate_batch(texts[:50], [paragraph_spans(t or "")[::-1] for t in texts[:50]]),
                        counts))
    assert results[1] == results[0]
    docs, counts = results[0][0], results[0][3]
    assert len({d.lang for d in docs}) > 40 and {d.lang_script for d in docs} >= {"Hans", None}
    assert counts["docs"] == len(texts)
    assert (counts.get("fallback_calls", 0) > 100) == (changes.get("fallback") != "none")


def _chinese_script_kernel(text):
    if not K.hans_hant_ready():
        K.set_hans_hant(*L._hans_hant_chars())
    s, t = K.hans_hant_counts(text)
    return None if s == 0 and t == 0 else ("Hant" if t > s else "Hans")


def test_chinese_script_equals_reference(shared_data, page_texts):
    ref = L.PY_KERNELS["chinese_script"]
    s_re, t_re = L._hans_hant_patterns()
    assert _chinese_script_kernel("") is None and K.hans_hant_ready()
    for c in range(0x110000):                               # every code point alone
        ch = chr(c)
        want = (len(s_re.findall(ch)), len(t_re.findall(ch)))
        assert K.hans_hant_counts(ch) == want, hex(c)
        if want != (0, 0) or c % 97 == 0:
            assert _chinese_script_kernel(ch) == ref(ch), hex(c)
    with open(shared_data / "web_zh" / "c4zh_duplicated_lines_samples.jsonl", encoding="utf-8") as f:
        zh = f.read().splitlines()                          # raw lines: Chinese web text with URLs
    rng = random.Random(4)
    only_s, only_t = L._hans_hant_chars()
    mixed = ["".join(rng.choice(rng.choice((only_s, only_t, "\u4e2d\u6587 abc\U00020000")))
                     for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    answers = [ref(t) for t in zh + page_texts + mixed]
    assert [_chinese_script_kernel(t) for t in zh + page_texts + mixed] == answers
    assert {"Hans", "Hant", None} <= set(answers) and len(zh) > 100
    with pytest.raises(TypeError):
        K.hans_hant_counts(None)