"""Tests of filters.segment: paragraph spans (non-blank trimmed lines) and sentence spans."""
from __future__ import annotations

import json
import lzma

import pytest

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
