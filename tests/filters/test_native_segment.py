"""filters/_native/segment.pyx against the pure-Python references in filters/segment.py (the built
module is compared whatever THRESHER_PURE_PYTHON says; the switch decides which one segment uses)."""
from __future__ import annotations

import collections
import importlib
import json
import lzma
import random

import numpy as np
import pytest

from filters import segment as S
from filters._native import disabled

K = importlib.import_module("filters._native.segment")
if S._KERNELS is None:
    S._configure(K)
PY_SPLIT = S.PY_KERNELS["split"]
PY_PARAGRAPHS = S.PY_KERNELS["paragraph_spans"]
LANGS = (None, "en", "de", "el", "th", "zh")


def _both(text, paragraphs, lang, prefix=()):
    want, got = list(prefix), list(prefix)
    PY_SPLIT(text, paragraphs, lang, want)
    K.split(text, paragraphs, lang, got)
    return want, got


def _matches(text, pos=0, endpos=None):
    endpos = len(text) if endpos is None else endpos
    return [(m.start(), m.end(), m.lastindex) for m in S._BOUNDARY.finditer(text, pos, endpos)]


@pytest.fixture(scope="module")
def pages(shared_data) -> list[str]:
    with lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


@pytest.fixture(scope="module")
def lid_sentences(shared_data) -> dict[str, list[str]]:
    by_lang = collections.defaultdict(list)
    with lzma.open(shared_data / "lid" / "lingua_sentences_public.tsv.xz", "rt", encoding="utf-8") as f:
        for line in f:
            lang, _, sentence = line.rstrip("\n").partition("\t")
            by_lang[lang].append(sentence)
    return by_lang


def test_kernels_replace_the_references_unless_switched_off():
    assert (S._split is K.split) == (S.paragraph_spans is K.paragraph_spans) == (not disabled())
    assert PY_SPLIT is not K.split and PY_PARAGRAPHS is not K.paragraph_spans


def test_real_pages_equal_reference(pages):
    assert len(pages) > 700
    n_sents = 0
    for text in pages:
        paras = PY_PARAGRAPHS(text)
        assert K.paragraph_spans(text) == paras
        assert K.boundary_matches(text, 0, len(text)) == _matches(text)
        for lang in LANGS:
            want, got = _both(text, paras, lang)
            assert got == want, lang
            n_sents += len(got)
    assert n_sents > 50_000


def test_lid_sentences_of_every_language_equal_reference(lid_sentences):
    assert len(lid_sentences) == 75
    for lang, sentences in lid_sentences.items():
        # a document of 5-sentence lines (one line of 1 sentence in 7: list items, headings)
        lines = [" ".join(sentences[i:i + (1 if i % 7 == 0 else 5)]) for i in range(0, len(sentences), 5)]
        text = "\n".join(lines)
        paras = PY_PARAGRAPHS(text)
        assert K.paragraph_spans(text) == paras
        for doc_lang in (lang, None):
            want, got = _both(text, paras, doc_lang)
            assert got == want, lang
        assert len(got) > len(paras)


def test_character_classes_of_every_code_point():
    """Every code point after a dot and as the closing white space of a line (scan and trimming);
    every BMP code point and every 17th astral one in front of / inside the token of a dot and
    after it (the splitting decisions)."""
    chars = [chr(c) for c in range(0x110000)]
    text = "".join("." + c for c in chars)                  # terminal / closer / space / CJK classes
    assert K.boundary_matches(text, 0, len(text)) == _matches(text)
    text = "\n".join("a" + c + "b" + c for c in chars)     # str.isspace in trimming
    assert K.paragraph_spans(text) == PY_PARAGRAPHS(text)
    sample = chars[:0x10000] + chars[0x10000::17]
    for pattern in ("Word. {c}x", "Word... {c}x", "{c}. Next", "{c}{c}. Next", "x a.{c}. Next",
                    "x 12. {c}x", "am 3. {c}", "\u00ab{c}. Next", "x {c}\u2026 Next", "x{c}Dr. Who"):
        text = "\n".join(pattern.format(c=c) for c in sample)
        want, got = _both(text, PY_PARAGRAPHS(text), "de")
        assert got == want, pattern


EDGE_CASES = [
    "", " ", "\n\n", ".", "...", "\u2026", "a.", "A. B", "Dr. Who. Dr. no.", "e.g. this. U.S. That. z.B. Das.",
    "He said \u201cStop.\u201d Then he left.", "(Dr. Smith.) Next one.", "Call me at 3.14. Then pi.",
    "1. Introduction 2. Methods", "10. 10. 2013 was a day.", "am 3. Oktober. Am 3. oktober.",
    "Wait... What? Yes!! No?! Ok.", "\u0130stanbul. \u0130NC. Next.", "I\u0307. Next.",
    "tab\t. Next.\tDone.\u00a0Ok. \u00a0Next.", "Line one.\r\nLine two.\r\n", "a.\u2028B. c",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \u0e04\u0e37\u0e2d \u0e20\u0e32\u0e29\u0e32. \u0e17\u0e14\u0e2a\u0e2d\u0e1a",
    "\u4e2d\u6587\u3002\u6d4b\u8bd5\uff01\u771f\u7684\uff1f\u300c\u597d\u3002\u300d\u5bf9\u3002",
    "\u65e5\u672c\u8a9e.\u30c6\u30b9\u30c8.  \u3067\u3059\u3002", "Emoji \U0001F600. \U0001F600. Next.",
    "\U00020000. \U00020001\u3002 ok. \U0010FFFF. Z", "\u03a4\u03b9; \u039d\u03b1\u03b9; \u039f\u03c7\u03b9.",
    "one; two; Three.", "\u0645\u0631\u062d\u0628\u0627\u061f \u0646\u0639\u0645. \u0644\u0627\u06d4 \u0627\u0644",
    "\u0928\u092e\u0938\u094d\u0924\u0947\u0964 \u0920\u0940\u0915 \u0939\u0948\u0965 \u0939\u093e\u0901",
    "\"Quoted.\" 'Single.' \u00bbGuillemets.\u00ab \u2018Curly.\u2019 Done.", "Ends with closer.)]}",
    "x.y.z. Next. ab.cd. Next. abc.d. Next. a.b.c.d.e.f.g.h.i.j.k.l. Next.", "\u00b2. Next \u2163. Next",
    "\u0663. \u0664 \u0665. X", "v. 2 \u00b2\u00b2. A", "Nr. 5 ist gut. Nr. 6 nicht.", "DOTT.SSA. Rossi.",
    "\u0442.\u0435. \u0442\u0430\u043a. \u0422.\u0415. \u0422\u0430\u043a.", "a . b . C", ". . . A", "!!! ??? A",
    "abcdefghijklmnopqrstuvwxyz0123. Next.", "x" * 40 + ". Next.", "\u00ab(\u201c\u2018[Dr. Next.",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_equal_reference(text):
    paras = PY_PARAGRAPHS(text)
    assert K.paragraph_spans(text) == paras
    assert K.boundary_matches(text, 0, len(text)) == _matches(text)
    for lang in LANGS:
        for ps in (paras, [(0, len(text))] if text else [], [(0, len(text) // 2), (len(text) // 2, len(text))]):
            for prefix in ((), ((0, 0),)):
                want, got = _both(text, ps, lang, prefix)
                assert got == want


def test_edge_cases_split_as_documented():
    text = "Dr. Smith went to Washington. He arrived at 3.14 p.m. on Monday! Was it good? Yes."
    out = []
    K.split(text, K.paragraph_spans(text), "en", out)
    assert [text[a:b] for a, b in out] == ["Dr. Smith went to Washington.", "He arrived at 3.14 p.m. on Monday!",
                                           "Was it good?", "Yes."]


_PIECES = (list(". . . .. ... \u2026 ! ? ; \u037e \u3002 \uff01 \uff1f \uff61 \uff0e \u203c \ufe52 \" ' \u201d \u2019 \u00bb ) ] } "
                "\uff09 \u300d \u201c \u2018 \u00ab ( [ \t \u00a0 \n \r \u2028 \u3000 \x1c a b Z Q \u00e9 \u00c9 \u0130 "
                "\u00df \u01c5 \u00b2 \u0663 \u216b _ 1 2 3 0 \u4e2d \u6587 \u30a2 \ud55c \u0e44 \u0e17 \u0e22 "
                "\U0001F600 \U00020001 \U00030000 \U000E0001 \u061f \u0964 \u1362 \u104a \u0589 \u166e \ua4ff".split(" "))
           + [" "] * 4 + ["Dr", "dr", "etc", "e.g", "U.S", "z.B", "\u0442.\u0435", "J", "DOTT.SSA", "approx", "vs",
                          "Mr", "12", "3", "2013", "x.y.z", "ab.cd", "abc.d", "a.b\n", "No", "\u0130nc"])
_WORDS = ["Dr.", "dr.", "etc.", "e.g.", "U.S.", "J.", "3.", "12.", "2013.", "word.", "Word", "word", "Word.",
          "\u201cQuote.\u201d", "(Paren.)", "...", "\u2026", "Why?", "Yes!", "\u0130.", "\u00e9t\u00e9.", "\u4e2d\u6587\u3002",
          "x;", "\u00b2.", "Ok.\t", "a.b.", "\u00bbNo.\u00ab", "\u0e44\u0e17\u0e22", "3.14", "v.", "\n", "Oktober"]


@pytest.mark.parametrize("seed", range(4))
def test_random_texts_equal_reference(seed):
    rnd = random.Random(seed)
    for it in range(6000):
        if it % 2:
            text = "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 60)))
        else:
            text = rnd.choice(("", " ", "  ", "\u00a0")).join(rnd.choice(_WORDS) for _ in range(rnd.randint(0, 25)))
            text = text.replace(" ", rnd.choice((" ", " ", "\t", "\u00a0", "  ")), rnd.randint(0, 3))
        n = len(text)
        paras = PY_PARAGRAPHS(text)
        assert K.paragraph_spans(text) == paras
        a, b = sorted((rnd.randint(0, n), rnd.randint(0, n)))
        assert K.boundary_matches(text, a, b) == _matches(text, a, b)
        if rnd.random() < 0.4:                              # any sorted, disjoint spans
            cuts = sorted(rnd.randint(0, n) for _ in range(2 * rnd.randint(0, 4)))
            paras = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2)]
        lang = rnd.choice(LANGS)
        want, got = _both(text, paras, lang, [(0, 1)] if rnd.random() < 0.2 else [])
        assert got == want, (text, paras, lang)


def _outcome(f, *args):
    out = []
    try:
        f(*args, out)
    except Exception as e:  # noqa: BLE001 - the same exception type as the reference is the point
        return type(e)
    return out


def test_inputs_outside_the_fast_path_go_to_the_reference():
    text = "One. Two. Three.\nFour. Five."
    cases = [[(5, 9), (0, 4)],                              # not sorted
             [(0, 9), (5, 16)],                             # overlapping
             [(0, 40)], [(-3, 16)], [(3, 1)],               # past the end, negative, reversed
             [(np.int64(0), np.int64(16))],                 # numpy ints stay in the spans as given
             ((0, 16), (17, 28)),                           # a tuple of spans
             [(True, 16)], [(0,)], [(0, 1, 2)], [None], [(0.0, 16)]]
    for paras in cases:
        for lang in ("en", ["not hashable"]):
            want, got = _outcome(PY_SPLIT, text, paras, lang), _outcome(K.split, text, paras, lang)
            assert got == want, paras
            if isinstance(want, list):
                assert [type(x) for s in got for x in s] == [type(x) for s in want for x in s]
    assert type(_outcome(PY_SPLIT, text, [(0,)], "en")) is type  # the cases do raise
    assert _outcome(K.split, text, [(np.int64(0), np.int64(16))], "en")[0][0].__class__ is np.int64
    assert K.split(text, [], "en", []) is None
    assert K.paragraph_spans(" a \n b ") == [(1, 2), (5, 6)]
    for bad in (None, b"a b"):
        with pytest.raises(TypeError):
            PY_PARAGRAPHS(bad)
        with pytest.raises(TypeError):
            K.paragraph_spans(bad)
