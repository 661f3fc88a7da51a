"""Tests of filters.segment: paragraph spans (non-blank trimmed lines) and sentence spans."""
from __future__ import annotations

import json
import lzma
import re

import pytest

from filters import segment as S
from filters.segment import paragraph_spans, sentence_spans


def texts(text, spans):
    return [text[a:b] for a, b in spans]


def test_paragraph_spans_are_trimmed_non_blank_lines():
    text = "  First line. \n\n\t\n Second\tline\n   \nlast"
    spans = paragraph_spans(text)
    assert texts(text, spans) == ["First line.", "Second\tline", "last"]
    assert paragraph_spans("") == []
    assert paragraph_spans(" \n\t\n") == []


@pytest.mark.parametrize("text,expected", [
    ("Dr. Smith went to Washington. He arrived at 3.14 p.m. on Monday! Was it good? Yes.",
     ["Dr. Smith went to Washington.", "He arrived at 3.14 p.m. on Monday!", "Was it good?", "Yes."]),
    ("We met e.g. Bob and the U.S. economy grew. Then it shrank.",
     ["We met e.g. Bob and the U.S. economy grew.", "Then it shrank."]),
    ("J. R. R. Tolkien wrote books. Mrs. Jones read them.",
     ["J. R. R. Tolkien wrote books.", "Mrs. Jones read them."]),
    ("Wait... what happened? He left... Then silence.",
     ["Wait... what happened?", "He left...", "Then silence."]),
    ("Visit https://example.com/a.b?x=1 today. Mail john.doe@mail.example.org. Done.",
     ["Visit https://example.com/a.b?x=1 today.", "Mail john.doe@mail.example.org.", "Done."]),
    ("Pi is 3.14159 and e is 2.718. Both are irrational.",
     ["Pi is 3.14159 and e is 2.718.", "Both are irrational."]),
    ('He said "Stop." Then he left. (It was late.) Fine.',
     ['He said "Stop."', "Then he left.", "(It was late.)", "Fine."]),
    ("He scored in 2010. Then he retired.", ["He scored in 2010.", "Then he retired."]),
    ("1. Introduction to the topic", ["1. Introduction to the topic"]),
    ("Ordered online. 10. 10. 2013 delivered.", ["Ordered online.", "10. 10. 2013 delivered."]),
])
def test_spaced_scripts(text, expected):
    assert texts(text, sentence_spans(text, "en")) == expected


def test_ordinals_with_a_dot_in_german():
    text = "Am 3. Oktober 2020 war es kalt. Das ist z.B. gut so. Ende."
    assert texts(text, sentence_spans(text, "de")) == ["Am 3. Oktober 2020 war es kalt.", "Das ist z.B. gut so.",
                                                       "Ende."]


def test_chinese_and_japanese_terminals_and_closers():
    text = "他说：“今天天气很好。”我们去公园吧！好不好？当然；走吧。最后一句"
    assert texts(text, sentence_spans(text, "zh")) == ["他说：“今天天气很好。”", "我们去公园吧！", "好不好？", "当然；",
                                                       "走吧。", "最后一句"]
    ja = "日本語の文です。次の文！「引用です。」終わり"
    assert texts(ja, sentence_spans(ja, "ja")) == ["日本語の文です。", "次の文！", "「引用です。」", "終わり"]
    # full-width forms and runs of terminals stay together; numbering after a terminal is kept
    text = "真的吗？！好的．男的应该顶起来！1.颜色要求：不能是白色。"
    assert texts(text, sentence_spans(text, "zh")) == ["真的吗？！", "好的．", "男的应该顶起来！", "1.颜色要求：不能是白色。"]


def test_punctuation_alone_is_not_a_sentence():
    text = "好的。。。 ！ 对！\n？？人家在国外。好"
    got = texts(text, sentence_spans(text, "zh"))
    assert got == ["好的。。。 ！", "对！", "？？人家在国外。", "好"]


def test_other_scripts():
    hi = "मैं घर जा रहा हूँ। तुम कहाँ हो? ठीक है।"
    assert texts(hi, sentence_spans(hi, "hi")) == ["मैं घर जा रहा हूँ।", "तुम कहाँ हो?", "ठीक है।"]
    ar = "هل أنت بخير؟ نعم أنا بخير."
    assert texts(ar, sentence_spans(ar, "ar")) == ["هل أنت بخير؟", "نعم أنا بخير."]
    th = "ประเทศไทยมีประชากรมาก เมืองหลวงคือกรุงเทพ"
    assert texts(th, sentence_spans(th, "th")) == ["ประเทศไทยมีประชากรมาก", "เมืองหลวงคือกรุงเทพ"]
    # Thai abbreviations keep their dots; numbers and single words do not stand alone
    th = "พ.ศ. ๒๕๔๗ (๒๐๐๔) ประกอบด้วยนายกรัฐมนตรีและคณะรัฐมนตรี ประเทศไทยมีประชากรมาก ๕ คน"
    got = texts(th, sentence_spans(th, "th"))
    assert got == ["พ.ศ. ๒๕๔๗ (๒๐๐๔) ประกอบด้วยนายกรัฐมนตรีและคณะรัฐมนตรี", "ประเทศไทยมีประชากรมาก ๕ คน"]
    el = "Τι κάνεις; Καλά."
    assert texts(el, sentence_spans(el, "el")) == ["Τι κάνεις;", "Καλά."]
    # a semicolon is not a sentence end outside Greek
    en = "It rained; we stayed. Fine."
    assert texts(en, sentence_spans(en, "en")) == ["It rained; we stayed.", "Fine."]


def test_sentences_never_cross_given_paragraphs():
    text = "One sentence without end\nSecond line. Third sentence."
    assert texts(text, sentence_spans(text)) == ["One sentence without end", "Second line.", "Third sentence."]
    # custom paragraphs: the text split in the middle of a sentence
    paras = [(0, 10), (10, len(text))]
    spans = sentence_spans(text, "en", paras)
    for a, b in spans:
        assert any(pa <= a and b <= pb for pa, pb in paras)
    assert sentence_spans("", "en") == []
    assert sentence_spans("   \n ", "en") == []


def _check_spans(text, paras, sents):
    prev_end = -1
    j = 0
    for a, b in sents:
        assert a < b and a >= prev_end
        assert not text[a].isspace() and not text[b - 1].isspace()
        while paras[j][1] < b:
            j += 1
        assert paras[j][0] <= a and b <= paras[j][1], "sentence crosses a paragraph"
        prev_end = b
    # every non-space character of a paragraph is inside some sentence
    covered = sum(b - a for a, b in sents)
    assert covered <= sum(b - a for a, b in paras)


def test_real_pages_structure_and_abbreviations(shared_data):
    path = shared_data / "web_pages" / "pages_public.jsonl.xz"
    rows = [json.loads(line) for line in lzma.open(path, "rt", encoding="utf-8")]
    assert len(rows) > 500
    by_lang = {}
    bad_ends = 0
    for r in rows:
        text, lang = r["text"], r.get("lang_auto") or "und"
        paras = paragraph_spans(text)
        sents = sentence_spans(text, lang, paras)
        _check_spans(text, paras, sents)
        by_lang.setdefault(lang, [0, 0])
        by_lang[lang][0] += len(paras)
        by_lang[lang][1] += len(sents)
        for a, b in sents:
            s = text[a:b]
            # no split right after a title abbreviation, an initial or inside a decimal number
            if s.endswith((" Dr.", " Mr.", " Mrs.", " e.g.", " i.e.", " z.B.", " bzw.", " vgl.")):
                bad_ends += 1
            if b < len(text) and s[-1] == "." and s[-2:-1].isdigit() and text[b:b + 1].isdigit():
                bad_ends += 1
    assert bad_ends == 0
    # prose languages have several sentences per line on average; zh too (。 splits, no spaces)
    for lang in ("en", "de", "zh"):
        lines, sentences = by_lang[lang]
        assert sentences > 1.3 * lines, (lang, lines, sentences)


def test_real_chinese_main_text_sentence_ends(shared_data):
    rows = [json.loads(line) for line in open(shared_data / "html_pages" / "magic_html_public.labels.jsonl",
                                              encoding="utf-8")]
    zh = [r["main_text"] for r in rows if r.get("lang_auto") == "zh" and r.get("main_text")]
    assert len(zh) > 20
    ends = total = 0
    for text in zh:
        paras = paragraph_spans(text)
        sents = sentence_spans(text, "zh", paras)
        _check_spans(text, paras, sents)
        para_ends = {b for _, b in paras}
        for a, b in sents:
            if b in para_ends:
                continue            # a line's last piece may have no terminal
            total += 1
            ends += text[b - 1] in "。！？；!?;.…”’」』）)】》\"'"
    assert total > 200 and ends == total


# --- the fast splitter equals the straightforward one it replaced ------------------------------
# Reference: the sentence splitter before its speed-up (one helper call per candidate), kept here
# verbatim apart from names so that the inlined fast path can be checked against it.

def _ref_is_cjk_char(ch):
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF


def _ref_dot_is_boundary(text, s_start, dot, nxt, lang):
    lo = max(s_start, dot - 24)
    i = max(text.rfind(" ", lo, dot), text.rfind("\t", lo, dot), text.rfind("\u00a0", lo, dot)) + 1 or lo
    if not text.isascii() and not text[i:dot].isascii():
        j = dot
        while j > i and not text[j - 1].isspace() and not _ref_is_cjk_char(text[j - 1]):
            j -= 1
        i = j
    tok = text[i:dot].lstrip("\"'“‘«(([")
    if not tok:
        return True
    if tok.isdigit():
        j = i
        while j > s_start and text[j - 1].isspace():
            j -= 1
        if j == s_start or text[nxt].isdigit():
            return False
    if tok.lower() in S._ABBREVIATIONS:
        return False
    if len(tok) == 1 and tok.isalpha():
        return False
    if "." in tok and S._DOTTED_ACRONYM.match(tok):
        return False
    ch = text[nxt]
    if ch.islower():
        return False
    if tok.isdigit() and len(tok) <= 2 and lang in S._ORDINAL_DOT_LANGS and ch.isalpha():
        return False
    return True


def _ref_add(text, s, e, out, first):
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e <= s:
        return
    if len(out) > first and S._ALNUM.search(text, s, e) is None:
        out[-1] = (out[-1][0], e)
    else:
        out.append((s, e))


# the candidate pattern before the splitter's pattern took over the white-space / CJK test
_REF_BOUNDARY = re.compile("[" + re.escape(S._ALL_TERMINALS) + "][" + re.escape(S._ALL_TERMINALS) + "]*"
                           "[" + re.escape(S._CLOSERS) + "]*")


def _ref_split(text, paragraphs, lang, out):
    if not paragraphs:
        return
    pi = 0
    ps, pe = paragraphs[0]
    start, first = ps, len(out)
    for m in _REF_BOUNDARY.finditer(text, ps, paragraphs[-1][1]):
        ms = m.start()
        if ms >= pe:
            while ms >= pe:
                _ref_add(text, start, pe, out, first)
                pi += 1
                ps, pe = paragraphs[pi]
                start, first = ps, len(out)
        if ms < ps:
            continue
        end = m.end()
        if end >= pe:
            continue
        core = m.group().rstrip(S._CLOSERS)
        if S._CJK_SET.isdisjoint(core):
            nxt_ch = text[end]
            if not nxt_ch.isspace() and not _ref_is_cjk_char(nxt_ch):
                continue
            if core[0] in ".…" and not core.strip(".…"):
                nxt = end
                while nxt < pe and text[nxt].isspace():
                    nxt += 1
                if nxt >= pe:
                    continue
                if len(core) > 1 or core == "…":
                    if not text[nxt].isupper():
                        continue
                elif not _ref_dot_is_boundary(text, start, ms, nxt, lang):
                    continue
            elif core[0] == ";" and lang != "el":
                continue
        if len(out) > first or S._ALNUM.search(text, start, end) is not None:
            _ref_add(text, start, end, out, first)
            start = end
    _ref_add(text, start, pe, out, first)
    for ps, pe in paragraphs[pi + 1:]:
        _ref_add(text, ps, pe, out, len(out))


def _ref_sentence_spans(text, lang=None, paragraphs=None):
    if paragraphs is None:
        paragraphs = paragraph_spans(text)
    out = []
    thai_doc = lang in ("th", "lo") or (lang is None and S._THAI_LAO_CHAR.search(text) is not None)
    if not thai_doc:
        _ref_split(text, paragraphs, lang, out)
        return out
    pieces = []
    _ref_split(text, paragraphs, lang, pieces)
    for s, e in pieces:
        start, parts = s, []
        for m in S._THAI_LAO_SPACE.finditer(text, s, e):
            parts.append((start, m.start()))
            start = m.end()
        parts.append((start, e))
        merged = []
        for a, b in parts:
            if merged and (b - a < S._THAI_MIN_CHARS or merged[-1][1] - merged[-1][0] < S._THAI_MIN_CHARS):
                merged[-1] = (merged[-1][0], b)
            else:
                merged.append((a, b))
        out.extend(merged)
    return out


_LANGS = (None, "en", "de", "el", "th", "lo", "zh", "ja", "ru", "fr", "pl", "tr")


def test_fast_splitter_equals_reference_on_corpus(corpus_small):
    """Every document of the 400-document corpus, with its planted languages, no language and
    the languages whose rules differ: spans identical to the reference splitter."""
    import glob as _glob

    import zstandard
    docs = []
    for p in sorted(_glob.glob(str(corpus_small / "raw" / "*.jsonl.zst"))):
        with zstandard.open(p, "rt", encoding="utf-8") as f:
            docs += [json.loads(line) for line in f]
    truth = {}
    for line in open(corpus_small / "truth.jsonl", encoding="utf-8"):
        t = json.loads(line)
        truth[t["id"]] = (t.get("langs") or [None])[0]
    assert len(docs) >= 400
    n_dots = 0
    for d in docs:
        text = d["text"]
        paras = paragraph_spans(text)
        n_dots += text.count(". ")
        for lang in {truth.get(d["id"]), None, "en", "de", "el", "th"}:
            assert sentence_spans(text, lang, paras) == _ref_sentence_spans(text, lang, paras), (d["id"], lang)
    assert n_dots > 1000  # the lone-dot fast path was exercised


_WORDS = ["Dr", "dr", "etc", "Etc", "e.g", "U.S", "z.B", "т.е", "J", "j", "3", "12", "123", "3.14", "2013",
          "word", "Word", "WORD", "ünïcode", "Ünï", "слово", "Слово", "λόγος", "Λόγος", "中文", "日本語",
          "ภาษาไทย", "ລາວ", "كلمة", "x@y.de", "a.b", "_", "-", "🙂", "©", "", "(", "«", "“", "[", "（", "\"", "²"]
_ENDS = [".", ".", ".", "..", "...", "…", "!", "?", ";", ";", "。", "！", "？", "；", "．", "।", "۔", "።", "‼",
         ".\"", ".”", ".)", "?»", "。」", "!)", ".'", "」",
         "?.", ".\".", "。.", "….", ".．", ".)\\", "!x"]  # clusters whose tail alone would be a candidate
_SEPS = [" ", " ", " ", " ", "  ", "\t", "\u00a0", "\u3000", "\u2003", "\n", "\n\n", " \n ", "\r", ""]


def _random_text(rng):
    """Words, each maybe followed by a terminal cluster, joined by separators: dense in the cases
    the rules look at (abbreviations, initials, ordinals, numbers, ellipses, closers, every kind
    of white space, CJK, Thai, upper/lower case next words)."""
    out = []
    for _ in range(rng.randrange(1, 25)):
        out.append(rng.choice(_WORDS))
        if rng.random() < 0.45:
            out.append(rng.choice(_ENDS))
        out.append(rng.choice(_SEPS))
    return "".join(out)


def test_fast_splitter_equals_reference_on_random_texts():
    """Seeded random texts dense in edge cases, with natural and arbitrary (sorted, disjoint)
    paragraph lists, for several languages."""
    import random
    rng = random.Random(11)
    for _ in range(6000):
        text = _random_text(rng)
        lang = rng.choice(_LANGS)
        paras = paragraph_spans(text)
        assert sentence_spans(text, lang, paras) == _ref_sentence_spans(text, lang, paras), (text, lang)
        assert sentence_spans(text, lang) == _ref_sentence_spans(text, lang), (text, lang)
        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, 2 * rng.randrange(0, 4))))
        odd = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2) if cuts[i] < cuts[i + 1]]
        assert sentence_spans(text, lang, odd) == _ref_sentence_spans(text, lang, odd), (text, lang, odd)


def test_thai_lao_detection_equals_character_class():
    """The UTF-8 byte search finds exactly the characters of U+0E00..U+0EFF (whole BMP checked,
    plus the supplementary planes' first code points)."""
    for cp in list(range(0x0, 0x10000)) + list(range(0x10000, 0x10400)) + [0x10FFFF]:
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        assert S._has_thai_lao("é " + ch) == (0x0E00 <= cp <= 0x0EFF), hex(cp)
    assert not S._has_thai_lao("plain ascii") and S._has_thai_lao("ascii then ไทย")


_REF_NON_BLANK_LINE = re.compile(r"[^\n]*\S[^\n]*")


def _ref_paragraph_spans(text):
    """paragraph_spans before it became one regex: non-blank lines, trimmed in Python."""
    spans = []
    for m in _REF_NON_BLANK_LINE.finditer(text):
        start, end = m.start(), m.end()
        while text[start].isspace():
            start += 1
        while text[end - 1].isspace():
            end -= 1
        spans.append((start, end))
    return spans


def test_paragraph_spans_equal_reference():
    """Random texts over every kind of white space (str.isspace, which is also what \\s means:
    \\r, \\v, \\f, \\x1c-\\x1f, \\x85, U+2028 are white space but no line break here), and the
    splitter's random texts."""
    import random
    rng = random.Random(3)
    alphabet = [" ", "\n", "\n\n", "\t", "\r", "\v", "\f", "\x1c", "\x1f", "\x85", "\u00a0", "\u2028", "\u3000",
                "a", "Bc", ".", "中", "ไทย", "🙂", "\u200b"]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        assert paragraph_spans(text) == _ref_paragraph_spans(text), repr(text)
    for _ in range(3000):
        text = _random_text(rng)
        assert paragraph_spans(text) == _ref_paragraph_spans(text), repr(text)
