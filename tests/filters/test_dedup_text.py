"""Tests for filters/dedup_text.py: normalization, document and unit hashes."""
from __future__ import annotations

import glob
import json
import unicodedata
from collections import Counter

import pytest
import xxhash
import zstandard

from filters import dedup_text as D
from filters.segment import paragraph_spans


def load_corpus(path):
    docs = []
    for p in sorted(glob.glob(str(path / "raw" / "*.jsonl.zst"))):
        with zstandard.open(p, "rt", encoding="utf-8") as f:
            docs += [json.loads(line) for line in f]
    with open(path / "truth.jsonl", encoding="utf-8") as f:
        truth = {t["id"]: t for t in map(json.loads, f)}
    return {d["id"]: d for d in docs}, truth


@pytest.fixture(scope="module")
def corpus(corpus_small):
    return load_corpus(corpus_small)


@pytest.mark.parametrize("raw,expected", [
    ("Hello,   World!!", "hello world"),
    ("ＨＥＬＬＯ，ｗｏｒｌｄ。", "hello world"),          # full-width forms (NFKC) and CJK punctuation
    ("Straße STRASSE", "strasse strasse"),              # casefold
    ("co\u00adop\u200beration\ufeff", "cooperation"),   # format characters removed
    ("«Quoted» — “text” … ok?", "quoted text ok"),
    ("版权所有 © 2024 保留所有权利。未经许可，不得转载。", "版权所有 © 2024 保留所有权利 未经许可 不得转载"),
    ("ﬁne\tline\n\nbreaks  ", "fine line breaks"),
    ("", ""),
    ("?!... ,", ""),
])
def test_normalize_text(raw, expected):
    assert D.comparison_form(raw) == expected


def test_normalize_options():
    assert D.comparison_form("Hi, there!", strip_punctuation=False) == "hi, there!"
    assert D.comparison_form("Copyright 2023-2024 ٣", digits_to_zero=True) == "copyright 0000 0000 0"
    s = "Ａｂｃ２"
    assert D.comparison_form(s) == unicodedata.normalize("NFKC", s).casefold()


def test_doc_hash_properties():
    h = D.doc_hash("Hello, world!")
    assert isinstance(h, int) and 0 <= h < 1 << 64
    assert h == xxhash.xxh3_64_intdigest(b"hello world", 0)
    assert D.doc_hash("hello   WORLD") == h
    assert D.doc_hash("hello world 2") != h
    assert D.doc_hash("") is None and D.doc_hash(" \n ") is None and D.doc_hash("...!") is None
    assert D.doc_hash("Report 2023") != D.doc_hash("Report 2024")  # documents keep digits by default
    assert D.doc_hash("Report 2023", D.TextDedupConfig(doc_digits_to_zero=True)) == \
        D.doc_hash("Report 2024", D.TextDedupConfig(doc_digits_to_zero=True))
    assert D.doc_hash("Hello, world!", D.TextDedupConfig(seed=5)) != h
    assert D.doc_hash("Hello world", D.TextDedupConfig(strip_punctuation=False)) != \
        D.doc_hash("Hello, world", D.TextDedupConfig(strip_punctuation=False))


def test_as_int64():
    assert D.as_int64(0) == 0
    assert D.as_int64((1 << 63) - 1) == (1 << 63) - 1
    assert D.as_int64(1 << 63) == -(1 << 63)
    assert D.as_int64((1 << 64) - 1) == -1


def test_exact_duplicates_in_corpus_hash_alike_and_distinct_texts_do_not(corpus):
    docs, truth = corpus
    exact = [(i, t["dup_of"]) for i, t in truth.items() if t["kind"] == "exact_dup"]
    assert len(exact) >= 10
    for a, b in exact:
        assert D.doc_hash(docs[a]["text"]) == D.doc_hash(docs[b]["text"])
    by_norm = {}
    for d in docs.values():
        norm = D.comparison_form(d["text"])
        if norm:
            by_norm.setdefault(norm, set()).add(D.doc_hash(d["text"]))
    assert all(len(hs) == 1 for hs in by_norm.values())
    hashes = [next(iter(hs)) for hs in by_norm.values()]
    assert len(set(hashes)) == len(hashes)  # no collisions between different normalized texts


def test_unit_hashes_skip_short_units_and_count():
    text = "Copyright 2023 All rights reserved.\n\nHome\n\nA real paragraph about something.\n" \
           "Copyright 2024 ALL rights reserved!"
    spans = paragraph_spans(text)
    assert len(spans) == 4
    counts = Counter()

    def count(name, n=1):
        counts[name] += n

    indexed = D.unit_hashes_indexed(text, spans, count=count)
    assert [i for i, _ in indexed] == [0, 2, 3]
    assert counts == {"units_total": 4, "units_short": 1, "units_hashed": 3}
    hashes = D.unit_hashes(text, spans)
    assert hashes == [h for _, h in indexed]
    assert hashes[0] == hashes[2]  # digits map to 0 in units: same boilerplate line
    assert hashes[1] != hashes[0]
    dict_spans = [{"start": s, "end": e, "score": 0.5} for s, e in spans]
    assert D.unit_hashes(text, dict_spans) == hashes
    strict = D.TextDedupConfig(min_unit_chars=40)
    assert D.unit_hashes(text, spans, strict) == []
    loose = D.TextDedupConfig(min_unit_chars=1)
    assert len(D.unit_hashes(text, spans, loose)) == 4
    # CJK units count characters, not words
    zh = "扫描二维码关注我们的微信公众号"
    assert len(D.unit_hashes(zh, [(0, len(zh))])) == 1
    assert D.unit_hashes(zh, [(0, 5)]) == []


def test_unit_hashes_rejects_bad_spans():
    with pytest.raises(ValueError):
        D.unit_hashes("short text", [(0, 50)])
    with pytest.raises(ValueError):
        D.unit_hashes("short text", [(5, 2)])


def test_config_validation():
    with pytest.raises(ValueError):
        D.TextDedupConfig(min_unit_chars=0)
    with pytest.raises(ValueError):
        D.TextDedupConfig(seed=-1)


def test_planted_boilerplate_lines_repeat_across_documents(corpus):
    """Every boilerplate line make_corpus planted hashes to a unit that occurs in at least as
    many documents as it was planted in (untouched by later insertions)."""
    docs, truth = corpus
    doc_count = Counter()
    for d in docs.values():
        doc_count.update(set(D.unit_hashes(d["text"], paragraph_spans(d["text"]))))
    planted = Counter()
    for doc_id, t in truth.items():
        # PII / bad words are inserted into random paragraphs, possibly the boilerplate one
        if t["kind"] in ("page", "composed", "mixed") and not t.get("pii") and not t.get("badwords"):
            for line in t.get("boilerplate", []):
                planted[line] += 1
    assert len(planted) >= 5
    for line, n in planted.items():
        (h,) = D.unit_hashes(line, [(0, len(line))])
        assert doc_count[h] >= n, line
    repeated = {h for h, n in doc_count.items() if n >= 3}
    planted_hashes = {D.unit_hashes(line, [(0, len(line))])[0] for line in planted}
    assert planted_hashes & repeated


def test_fast_normalization_equals_plain_definition(corpus):
    """The numpy implementation equals the obvious (slow) one on real multilingual documents."""
    import re
    import sys

    punct = re.compile("[" + "".join(re.escape(chr(c)) for c in range(sys.maxunicode + 1)
                                     if not 0xD800 <= c < 0xE000 and unicodedata.category(chr(c))[0] == "P") + "]")

    def plain(text, digits):
        s = unicodedata.normalize("NFKC", text).casefold()
        s = "".join(ch for ch in s if unicodedata.category(ch) != "Cf")
        s = punct.sub(" ", s)
        if digits:
            s = "".join("0" if unicodedata.category(ch) == "Nd" else ch for ch in s)
        return " ".join(s.split())

    docs, _ = corpus
    texts = [d["text"] for _, d in sorted(docs.items())][:150]
    texts += ["a \u200b b", "\u00ad lead", "tail \ufeff", "x\u3000\u3000y", "٣ ४ 7", "\t"]
    texts += [t[:n] for t in texts[:40] for n in (50, 399, 400, 401)]  # both code paths (short/long)
    for t in texts:
        assert D.comparison_form(t) == plain(t, False)
        assert D.comparison_form(t, digits_to_zero=True) == plain(t, True)
        assert D.comparison_form(t, strip_punctuation=False) == " ".join(
            "".join(ch for ch in unicodedata.normalize("NFKC", t).casefold()
                    if unicodedata.category(ch) != "Cf").split())


def test_unit_normalization_matches_text_normalization(corpus):
    """Units are normalized in one pass per document with per-character NFKC; the result equals
    comparison_form on the unit itself except before combining marks."""
    docs, _ = corpus
    config = D.TextDedupConfig()
    checked = 0
    for _, d in sorted(docs.items())[:200]:
        text = d["text"]
        spans = paragraph_spans(text)
        for s, e in spans:
            unit = text[s:e]
            expected = D.comparison_form(unit, digits_to_zero=True)
            if any(unicodedata.category(ch)[0] == "M" for ch in unicodedata.normalize("NFKD", unit)):
                continue
            assert D.normalize_unit(unit, config) == expected
            checked += 1
        # cutting spans from the whole document gives the same as normalizing each unit alone
        whole = dict(D.unit_hashes_indexed(text, spans, config))
        for i, (s, e) in enumerate(spans):
            alone = D.unit_hashes(text[s:e], [(0, e - s)], config)
            assert whole.get(i) == (alone[0] if alone else None)
    assert checked > 500
    # the documented difference: NFKC composes a compatibility character with a following mark
    assert D.normalize_unit("Ｅ\u0301") == "e\u0301" and D.comparison_form("Ｅ\u0301") == "é"
    # expansion and deletion inside a document keep the spans aligned
    text = "①… \u00adＡＢＣ and more text here\n\nsecond ½ paragraph with words"
    spans = paragraph_spans(text)
    assert [D.normalize_unit(text[s:e]) for s, e in spans] == \
        [D.comparison_form(text[s:e], digits_to_zero=True) for s, e in spans]


# ---- vectorized tables and span hashing equal their per-character definitions -----------------

def _reference_char_table():
    import sys
    import numpy as np
    table = np.zeros(sys.maxunicode + 1, dtype=np.uint8)
    for cp in range(0x30000):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if ch.isspace():
            table[cp] = D._SPACE
        elif cat[0] == "P":
            table[cp] = D._PUNCT
        elif cat == "Cf":
            table[cp] = D._DELETE
        elif cat == "Nd":
            table[cp] = D._DIGIT
    table[0xE0000:0xE0080] = D._DELETE
    return table


def _reference_unit_map(cp, cls, strip_punctuation, digits_to_zero):
    if 0xE0000 <= cp < 0xE0080:
        return []
    if cp >= 0x30000:
        return [cp]
    mapped = []
    for m in unicodedata.normalize("NFKC", chr(cp)).casefold():
        c = cls[ord(m)]
        if c == D._DELETE:
            continue
        if c == D._SPACE or (c == D._PUNCT and strip_punctuation):
            mapped.append(32)
        elif c == D._DIGIT and digits_to_zero:
            mapped.append(48)
        else:
            mapped.append(ord(m))
    return mapped


def test_char_and_unit_tables_equal_per_code_point_definition():
    import numpy as np
    cls = _reference_char_table()
    assert np.array_equal(D._char_table(), cls)
    for flags in ((True, True), (False, False), (True, False)):
        single, length, offset, flat = D._unit_tables(*flags)
        for cp in list(range(0, 0x30000)) + [0xE0001, 0x10FFFF]:
            if 0xD800 <= cp < 0xE000:
                continue
            ref = _reference_unit_map(cp, cls, *flags)
            if len(ref) == 1:
                assert length[cp] == 1 and single[cp] == ref[0], (hex(cp), flags)
            else:
                assert length[cp] == len(ref), (hex(cp), flags)
                assert flat[offset[cp]:offset[cp] + len(ref)].tolist() == ref, (hex(cp), flags)


def test_unit_hashes_equal_per_span_reference(corpus):
    """unit_hashes_indexed (one vectorized pass, spans cut by byte offsets) equals normalizing
    each span character by character and hashing it, on real pages and edge cases."""
    import random
    from filters.segment import sentence_spans
    cls = _reference_char_table()
    docs, _ = corpus
    texts = [d["text"] for _, d in sorted(docs.items())][:120]
    texts += ["", "  a  b  ", "ＡＢＣ，ｄｅｆ！ ２０２４ and more", "x\u00ad\u200by  \ufeff", "\U00020000\U0001F600 emoji 🙂 text",
              "e\u0301 ﬁﬂ ½ ① Σ ΣΑΣ straße", "\ud800 lone surrogate \udfff text here"]
    rng = random.Random(3)
    for config in (D.TextDedupConfig(), D.TextDedupConfig(strip_punctuation=False, unit_digits_to_zero=False,
                                                         min_unit_chars=1, seed=5)):
        for text in texts:
            paras = paragraph_spans(text)
            spans = paras + sentence_spans(text, None, paras)
            spans += [tuple(sorted((rng.randrange(len(text) + 1), rng.randrange(len(text) + 1)))) for _ in range(3)]
            expected = []
            for i, (s, e) in enumerate(spans):
                mapped = [m for ch in text[s:e]
                          for m in _reference_unit_map(ord(ch), cls, config.strip_punctuation,
                                                       config.unit_digits_to_zero)]
                norm = " ".join("".join(map(chr, mapped)).split(" "))
                norm = " ".join(w for w in norm.split(" ") if w)
                assert D.normalize_unit(text[s:e], config) == norm
                if len(norm) - norm.count(" ") >= config.min_unit_chars:
                    expected.append((i, D.hash64(norm, config.seed)))
            assert D.unit_hashes_indexed(text, spans, config) == expected
            dict_spans = [{"start": s, "end": e} for s, e in spans]
            assert D.unit_hashes_indexed(text, iter(dict_spans), config) == expected


_EDGE_TEXTS = ["", "   ", "!!! ... ???", "  a  b  ", "ＡＢＣ，ｄｅｆ！ ２０２４ and more", "x\u00ad\u200by  \ufeff",
               "\U00020000\U0001F600 emoji 🙂 text", "e\u0301 ﬁﬂ ½ ① Σ ΣΑΣ straße … and… more…",
               "zwnj\u200cin persian\u200c text \u2026 with ellipsis and ß", "\ud800 lone surrogate \udfff text here",
               "Copyright 2023 Example Inc. All rights reserved.\nCopyright 2024 Example Inc. All rights reserved.",
               "a b c d e f g h i j k\na b c d e f g h i j k l\nabcdefghijk\n  abcdefghijkl  "]  # 11 / 12 non-space


def _batch_inputs(corpus, n=150):
    from filters.segment import sentence_spans
    docs, _ = corpus
    texts = [d["text"] for _, d in sorted(docs.items())][:n] + _EDGE_TEXTS
    import random
    rng = random.Random(5)
    spans = []
    for text in texts:
        paras = paragraph_spans(text)
        units = paras + [s for s in sentence_spans(text, None, paras) if s not in set(paras)]
        # and arbitrary spans (starting or ending inside runs of spaces, empty, whole text)
        units += [tuple(sorted((rng.randrange(len(text) + 1), rng.randrange(len(text) + 1)))) for _ in range(3)]
        spans.append(units + [(0, len(text))])
    return texts, spans


def test_text_hashes_equal_per_document_functions(corpus):
    """The batched text_hashes is bit-identical to doc_hash + unit_hashes_indexed, for both
    configs, with or without the shared normalized texts, for any chunking, and counts alike."""
    from filters.minhash import normalize
    texts, spans = _batch_inputs(corpus)
    norm = [normalize(t) for t in texts]
    for config in (D.DEFAULT_CONFIG, D.TextDedupConfig(strip_punctuation=False, doc_digits_to_zero=True,
                                                       unit_digits_to_zero=False, min_unit_chars=1, seed=5)):
        expected_counts, got_counts = Counter(), Counter()
        expected = [(D.doc_hash(t, config),
                     D.unit_hashes_indexed(t, s, config, count=lambda k, n=1: expected_counts.update({k: n})))
                    for t, s in zip(texts, spans)]
        assert any(u for _, u in expected) and any(h is None for h, _ in expected)
        got = D.text_hashes(texts, spans, config, normalized=norm,
                            count=lambda k, n=1: got_counts.update({k: n}))
        assert got == expected
        assert got_counts == expected_counts
        assert D.text_hashes(texts, spans, config) == expected
        assert D.text_hashes(texts, spans, config, max_chars=500) == expected  # many small chunks
        assert D.text_hashes(texts[::-1], spans[::-1], config, max_chars=1) == expected[::-1]
        assert D.text_hashes(texts, None, config) == [(h, []) for h, _ in expected]
    # dict spans, empty span lists
    dict_spans = [[{"start": a, "end": b, "score": 1.0} for a, b in s] for s in spans]
    assert D.text_hashes(texts, dict_spans) == D.text_hashes(texts, spans)
    assert D.text_hashes(texts, [[] for _ in texts]) == [(D.doc_hash(t), []) for t in texts]
    assert D.text_hashes([], []) == []


def test_text_hashes_rejects_bad_inputs():
    with pytest.raises(ValueError):
        D.text_hashes(["abc", "def"], [[(0, 2)], [(1, 4)]])
    with pytest.raises(ValueError):
        D.text_hashes(["abc"], [[(2, 1)]])
    with pytest.raises(ValueError):
        D.text_hashes(["abc"], [[(0, 1)], []])
    with pytest.raises(ValueError):
        D.text_hashes(["abc"], None, normalized=["abc", "x"])


def test_dedup_features_equal_separate_calls(corpus):
    """dedup_features == MinHasher.signatures + doc_hash + paragraph/sentence spans (or the given
    sentences) + unit_hashes_indexed, the way the dedup job combined them."""
    import numpy as np

    from filters.minhash import MinHasher
    from filters.segment import sentence_spans
    docs, truth = corpus
    ids = sorted(docs)[:120]
    texts = [docs[i]["text"] for i in ids] + _EDGE_TEXTS
    langs = [(truth[i].get("langs") or [None])[0] for i in ids] + [None] * len(_EDGE_TEXTS)
    hasher = MinHasher()
    counts = Counter()
    sigs, feats = D.dedup_features(texts, hasher, langs=langs, count=lambda k, n=1: counts.update({k: n}))
    assert np.array_equal(sigs, hasher.signatures(texts))
    assert counts["minhash_docs"] == len(texts)
    for text, lang, f in zip(texts, langs, feats):
        paras = paragraph_spans(text)
        sents = sentence_spans(text, lang, paras)
        spans = list(paras) + [s for s in sents if s not in set(paras)]
        assert f.doc_hash == D.doc_hash(text)
        assert f.spans == spans and f.n_paragraphs == len(paras)
        assert f.units == D.unit_hashes_indexed(text, spans)
    # sentences given (annotate output): used instead of splitting
    given = [[(0, min(5, len(t)))] if t.strip() else [] for t in texts]
    _, feats2 = D.dedup_features(texts, hasher, sentences=given)
    for text, g, f in zip(texts, given, feats2):
        paras = paragraph_spans(text)
        assert f.spans == list(paras) + [s for s in g if s not in set(paras)]
    _, feats3 = D.dedup_features(texts, hasher, repetition=False)
    assert [f.doc_hash for f in feats3] == [f.doc_hash for f in feats] and not any(f.units for f in feats3)
    with pytest.raises(ValueError):
        D.dedup_features(texts, hasher, langs=langs[:-1])


def test_site_line_hashes_match_lines_of_one_host_only():
    from filters.dedup_text import site_line_hashes
    page1 = site_line_hashes("Login | Cart\nA tent for two.\n\n© 2023 Acme", "acme.example")
    page2 = site_line_hashes("Login | Cart\nA warm jacket.\n© 2024 Acme", "acme.example")
    other = site_line_hashes("Login | Cart", "other.example")
    assert [(s, e) for _, s, e in page1] == [(0, 12), (13, 28), (30, 41)]      # blank line skipped
    assert page1[0][0] == page2[0][0] and page1[2][0] == page2[2][0]            # digits -> 0
    assert page1[1][0] != page2[1][0] and other[0][0] != page1[0][0]
    assert site_line_hashes("Login | Cart", None) == [] and site_line_hashes("Login | Cart", "") == []


def test_site_line_hashes_batch_equals_one_document_at_a_time():
    """The batched site-line hashes are bit-identical to the per-document function, across chunk
    boundaries, for documents without a host, and for characters whose normal form is longer."""
    from filters.dedup_text import site_line_hashes, site_line_hashes_batch
    texts = ["Home | About\nShop now\n\nﬁne print 2024\n", "no host here\nline two", "",
             "Home | About\nShop   now\n…\nＦｕｌｌ width", "x\n\n\ny"] * 3
    hosts = ["a.example", None, "a.example", "a.example", "b.example"] * 3
    one = [site_line_hashes(t, h) for t, h in zip(texts, hosts)]
    assert any(one) and one[1] == []
    assert one[0][0][0] == one[3][0][0]          # the same line on two pages of one host
    assert site_line_hashes_batch(texts, hosts) == one
    assert site_line_hashes_batch(texts, hosts, max_chars=20) == one
    assert site_line_hashes_batch(texts, hosts, min_chars=5) == [site_line_hashes(t, h, min_chars=5)
                                                                 for t, h in zip(texts, hosts)]


def test_dedup_features_with_hosts_and_flat_hold_the_same_features():
    """hosts= adds each text's site_line_hashes; flat=True holds the same features as flat arrays."""
    import numpy as np

    from filters.dedup_text import site_line_hashes_batch
    from filters.minhash import MinHasher
    hasher = MinHasher()
    texts = ["Home | About\nShop now, it is a fine day.\n\nFine print 2024 for the shop.\n",
             "no host here. Second sentence of it.\nline two is here", "", "Ｆｕｌｌ width … text\u00ad here.\n\n\nx",
             "Home | About\nShop   now, it is a fine day."] * 3
    hosts = ["a.example", None, "a.example", "a.example", "b.example"] * 3
    sigs, feats = D.dedup_features(texts, hasher)
    sigs2, with_lines = D.dedup_features(texts, hasher, hosts=hosts)
    assert (sigs == sigs2).all() and [tuple(f)[:4] for f in with_lines] == [tuple(f)[:4] for f in feats]
    assert [f.site_lines for f in with_lines] == site_line_hashes_batch(texts, hosts) and with_lines[0].site_lines
    _, flat = D.dedup_features(texts, hasher, hosts=hosts, flat=True)
    assert flat.doc_hashes == [f.doc_hash for f in feats]
    assert flat.n_paragraphs.tolist() == [f.n_paragraphs for f in feats]
    assert flat.spans.tolist() == [list(s) for f in feats for s in f.spans]
    first = np.concatenate(([0], np.cumsum([len(f.spans) for f in feats])))
    units = [[] for _ in texts]
    for g, h in zip(flat.unit_span.tolist(), flat.unit_hash.tolist()):
        d = int(flat.span_doc[g])
        units[d].append((g - int(first[d]), h))
    assert units == [f.units for f in feats]
    lines = [[] for _ in texts]
    for d, (a, b), h in zip(flat.line_doc.tolist(), flat.line_edges.tolist(), flat.line_hash.tolist()):
        lines[d].append((h, a, b))
    assert lines == [f.site_lines for f in with_lines]
