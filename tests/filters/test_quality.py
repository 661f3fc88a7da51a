"""Tests of filters.quality: document, paragraph and sentence quality scores."""
from __future__ import annotations

import dataclasses
import json
import lzma
import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from filters.quality import (DEFAULT, PARAGRAPH_FLAGS, RULE_NAMES, SENTENCE_FLAGS, SIGNAL_TYPES, TIMING_GROUPS,
                             LangRules, QualityConfig, QualityScorer, _ngram_fractions, _str_hash, _token_hashes,
                             _codepoints, score_document, with_overrides)


@pytest.fixture(scope="module")
def scorer():
    return QualityScorer()


@pytest.fixture(scope="module")
def pages(shared_data):
    rows = [json.loads(line) for line in lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt",
                                                   encoding="utf-8")]
    return rows


def _page(pages, lang, lo=2000, hi=8000):
    for r in pages:
        if r.get("lang_auto") == lang and lo <= len(r["text"]) <= hi and "lorem" not in r["text"].lower():
            return r["text"]
    raise AssertionError(f"no {lang} page")


def _auc(pos, neg):
    pos, neg = np.asarray(pos), np.asarray(neg)
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return greater / (pos.size * neg.size)


# --- signals are column-friendly ----------------------------------------------------------------

@pytest.mark.parametrize("text,lang", [
    ("", "en"), ("   \n\t ", "und"), ("Hello.", "en"), ("🤣🤣🤣", "und"),
    ("我们今天去公园。很好！", "zh"), ("ทดสอบ ภาษาไทย ครับ", "th"), ("Sawubona, unjani namhlanje?", "zu"),
    ("x" * 5000, "en"), ("a\x00b\ud800c {curly} | nav | more", None),
])
def test_signals_same_keys_and_types_for_every_document(scorer, text, lang):
    q = scorer.score(text, lang)
    assert list(q.signals) == list(SIGNAL_TYPES)
    for k, v in q.signals.items():
        assert type(v) is SIGNAL_TYPES[k], (k, type(v))
    assert 0.0 <= q.quality_score <= 1.0
    assert q.quality_tier in ("high", "medium", "low")
    assert set(q.failed_rules) <= set(RULE_NAMES)
    for span in q.sentences + q.paragraphs:
        assert set(span) == {"start", "end", "score", "flags"}
        assert 0.0 <= span["score"] <= 1.0 and isinstance(span["start"], int)
    for s in q.sentences:
        assert set(s["flags"]) <= set(SENTENCE_FLAGS)
    for p in q.paragraphs:
        assert set(p["flags"]) <= set(PARAGRAPH_FLAGS)
    d = q.to_dict()
    assert d["quality_score"] == q.quality_score and "n_words" in d


def test_tier_follows_config_cuts(scorer, pages):
    text = _page(pages, "en")
    q = scorer.score(text, "en")
    cfg = scorer.config
    expected = "high" if q.quality_score >= cfg.tier_high else "medium" if q.quality_score >= cfg.tier_medium else "low"
    assert q.quality_tier == expected
    strict = QualityScorer(dataclasses.replace(DEFAULT, tier_high=1.01, tier_medium=1.01))
    assert strict.score(text, "en").quality_tier == "low"


def test_config_is_frozen_and_hashable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT.tier_high = 0.1
    assert hash(DEFAULT) == hash(QualityConfig())
    cfg = with_overrides(DEFAULT, xx=LangRules(min_words=3))
    assert cfg.rules_for("xx").min_words == 3 and cfg.rules_for("en").min_words == 50
    assert cfg.rules_for("zh").unspaced and not cfg.rules_for("de").unspaced


# --- document rules -----------------------------------------------------------------------------

def test_real_pages_score_high_and_spam_scores_low(scorer, pages):
    good = [scorer.score(_page(pages, lang), lang) for lang in ("en", "de", "zh")]
    for q in good:
        assert q.quality_score > 0.6, (q.quality_score, q.failed_rules)
    rng = random.Random(3)
    vocab = ["alpha", "river", "stone", "market", "yellow", "engine", "window", "garden"]
    line = "Great offer on " + " ".join(rng.sample(vocab, 3)) + " today, order now."
    repeated = "\n".join([line] * 25)
    salad = "\n\n".join(" ".join(rng.choice(vocab) for _ in range(40)) for _ in range(4))
    phrases = [" ".join(rng.sample(vocab, 2)) for _ in range(5)]
    stuffing = "\n\n".join(" ".join(rng.choice(phrases) for _ in range(30)) for _ in range(4))
    links = "\n".join(f"http://www.shop-{i}.example/{rng.choice(vocab)}-{rng.choice(vocab)}" for i in range(30))
    hanzi = "彩票娱乐平台返利注册赢大奖"
    zh_spam = "\n".join("".join(rng.sample(hanzi, 8)) + "，" + "".join(rng.sample(hanzi, 6)) for _ in range(20))
    for text, lang, rule in [(repeated, "en", "gopher_dup_line_frac"), (stuffing, "en", "gopher_top_ngram"),
                             (salad, "en", "gopher_stop_words"),
                             (links, "en", "url_heavy"), (zh_spam, "zh", "gopher_stop_words")]:
        q = scorer.score(text, lang)
        assert q.quality_score < 0.2, (lang, q.quality_score, q.failed_rules)
        assert rule in q.failed_rules
        assert max(g.quality_score for g in good) > 3 * q.quality_score


def test_short_documents_are_low(scorer, pages):
    one = "The committee approved the new budget after a long debate on Tuesday."
    q = scorer.score(one, "en")
    assert "gopher_word_count" in q.failed_rules and "c4_min_sentences" in q.failed_rules
    assert q.quality_score < scorer.score(_page(pages, "en"), "en").quality_score / 2


def test_unspaced_languages_count_characters(scorer):
    zh_short = "今天天气很好，我们去公园散步了。"            # 15 characters: too short
    zh_long = "今天天气很好，我们去公园散步了。" * 2 + "公园里的人很多，有的在跑步，有的在下棋，还有孩子们在草地上玩耍。" * 3 + \
        "我们走了一个多小时，然后在湖边的长椅上坐下来休息。"
    q_short, q_long = scorer.score(zh_short, "zh"), scorer.score(zh_long, "zh")
    assert q_short.signals["unspaced"] and q_long.signals["n_words"] >= 100
    assert "gopher_word_count" in q_short.failed_rules and "gopher_word_count" not in q_long.failed_rules
    assert "gopher_mean_word_length" not in q_long.failed_rules      # not a rule for unspaced scripts
    assert q_long.signals["stopword_count"] >= 3                       # function characters (的 了 在 ...)
    # the same text judged with English word rules fails the word count
    assert "gopher_word_count" in scorer.score(zh_long, "en").failed_rules


def test_per_language_override_changes_outcome():
    text = "Short but fine text here with words. Another sentence follows it."
    base = QualityScorer()
    lenient = QualityScorer(with_overrides(DEFAULT, en=LangRules(min_words=5, c4_min_sentences=1)))
    assert "gopher_word_count" in base.score(text, "en").failed_rules
    q = lenient.score(text, "en")
    assert "gopher_word_count" not in q.failed_rules and "c4_min_sentences" not in q.failed_rules
    assert q.quality_score > base.score(text, "en").quality_score


def test_c4_and_fineweb_rules(scorer, pages):
    text = _page(pages, "en")
    assert "c4_lorem_ipsum" not in scorer.score(text, "en").failed_rules
    q = scorer.score(text + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit.", "en")
    assert "c4_lorem_ipsum" in q.failed_rules and q.signals["c4_lorem_ipsum"]
    assert "lorem" in q.paragraphs[-1]["flags"]
    q = scorer.score(text + "\nfunction f() { return 1; }", "en")
    assert "c4_curly_bracket" in q.failed_rules and "curly" in q.paragraphs[-1]["flags"]
    q = scorer.score(text + "\nPlease enable JavaScript to view this page.", "en")
    assert q.signals["c4_javascript_lines"] == 1 and "javascript" in q.paragraphs[-1]["flags"]
    listy = "\n".join(f"Item {i}" for i in range(60))
    q = scorer.score(listy, "en")
    assert {"fineweb_short_lines", "fineweb_line_punct", "fineweb_newline_ratio"} <= set(q.failed_rules)


def test_gopher_repetition_signals(scorer, pages):
    text = _page(pages, "en")
    q = scorer.score(text, "en")
    assert q.signals["gr_dup_line_frac"] == 0.0
    doubled = text + "\n" + text
    q2 = scorer.score(doubled, "en")
    assert q2.signals["gr_dup_line_frac"] == pytest.approx(0.5)
    assert q2.signals["gr_dup10gram_char_frac"] > 0.95
    assert "gopher_dup_ngram" in q2.failed_rules and "fineweb_dup_line_chars" in q2.failed_rules
    assert all("dup" in p["flags"] for p in q2.paragraphs[len(q.paragraphs):])


def test_ngram_fractions_match_brute_force():
    rng = random.Random(7)
    for _ in range(150):
        V = rng.choice([2, 4, 30])
        toks = [rng.randrange(V) for _ in range(rng.randint(2, 150))]
        if rng.random() < 0.3:
            toks = toks + toks
        size = {v: rng.randint(1, 6) for v in range(V)}
        lens = [size[t] for t in toks]
        scale = rng.choice([1, 2])
        top, dupf = _ngram_fractions(np.array(toks, dtype=np.uint64) + np.uint64(99), np.array(lens), scale)
        total = sum(lens)
        for k in range(2, 11):
            n = k * scale
            grams = Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))
            if k <= 4:
                best = grams.most_common(2)
                if not best or best[0][1] < 2:
                    assert top[k - 2] == 0.0
                elif len(best) == 1 or best[0][1] > best[1][1]:
                    i = next(i for i in range(len(toks)) if tuple(toks[i:i + n]) == best[0][0])
                    assert top[k - 2] == pytest.approx(min(1.0, sum(lens[i:i + n]) * best[0][1] / total))
            else:
                cov = [False] * len(toks)
                for i in range(len(toks) - n + 1):
                    if grams[tuple(toks[i:i + n])] > 1:
                        cov[i:i + n] = [True] * n
                assert dupf[k - 5] == pytest.approx(sum(l for l, c in zip(lens, cov) if c) / total)


def test_token_hashes_equal_string_hashes():
    text = "Hello world hello über 世界 naïve x"
    lower = text.lower()
    import re
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", lower)]
    h = _token_hashes(_codepoints(lower), np.array([a for a, _ in spans]), np.array([b for _, b in spans]))
    assert [int(x) for x in h] == [_str_hash(lower[a:b]) for a, b in spans]
    assert h[0] == h[2] and h[0] != h[1]


# --- paragraph and sentence scores --------------------------------------------------------------

# Boilerplate written for these tests (not the corpus generator's lines).
OWN_BOILERPLATE = {
    "en": ["This website uses cookies so that we can provide you with the best user experience.",
           "© 2023 Northwind Media Group. All Rights Reserved.",
           "Follow us on Instagram, Facebook and Twitter for daily updates!",
           "Sign up for our weekly newsletter and never miss a story.",
           "Home | About | Careers | Press | Contact"],
    "de": ["Diese Website verwendet Cookies. Wenn Sie die Website weiter nutzen, stimmen Sie der Verwendung zu.",
           "Startseite | Impressum | Datenschutzerklärung | Kontakt"],
    "zh": ["关注我们的微信公众号，第一时间获取最新资讯。", "Copyright © 2021 某某科技有限公司 版权所有 京ICP备12345678号",
           "免责声明：本站部分内容来源于网络，如有侵权请联系删除。", "上一篇：如何学习编程 下一篇：春天的故事"],
    "fr": ["En poursuivant votre navigation sur ce site, vous acceptez l'utilisation de cookies.",
           "Mentions légales | Politique de confidentialité | Plan du site"],
}


def test_own_boilerplate_lines_fall_below_the_cut(scorer, pages):
    cfg = scorer.config
    for lang, lines in OWN_BOILERPLATE.items():
        try:
            body = _page(pages, lang)
        except AssertionError:
            body = _page(pages, "en")
        text = body + "\n" + "\n".join(lines)
        q = scorer.score(text, lang)
        for line in lines:
            a = text.rindex(line)
            par = [p for p in q.paragraphs if p["start"] == a]
            assert par and par[0]["score"] < cfg.paragraph_cut, (lang, line, par)
            assert "boilerplate" in par[0]["flags"] or "nav" in par[0]["flags"]
        # the page body keeps high paragraph scores on the whole
        body_pars = [p for p in q.paragraphs if p["end"] <= len(body)]
        low = sum(p["end"] - p["start"] for p in body_pars if p["score"] < cfg.paragraph_cut)
        assert low < 0.3 * sum(p["end"] - p["start"] for p in body_pars)


def test_sentence_signals(scorer):
    text = ("The river flows quietly through the old town and past the market square. "
            "CLICK HERE NOW!!!!!!!! $$$ 100% FREE!!! "
            "Visit http://example.com/offer/very/long/path/to/nothing/at/all now. "
            "1234 5678 9012 3456 7890 1234.")
    q = scorer.score(text, "en")
    s = q.sentences
    assert [text[x["start"]:x["end"]][:5] for x in s] == ["The r", "CLICK", "$$$ 1", "Visit", "1234 "]
    assert s[0]["score"] > 0.9 and not s[0]["flags"]
    assert s[1]["score"] < 0.4 and {"caps", "boilerplate"} <= set(s[1]["flags"])
    assert "symbols" in s[2]["flags"] and s[2]["score"] < 0.5
    assert "url" in s[3]["flags"] and s[3]["score"] < s[0]["score"]
    assert "digits" in s[4]["flags"] and s[4]["score"] < 0.5
    q = scorer.score("Soooooooooo goooooooood!!!!!!!! Yessssssss.", "en")
    assert all("repeated_chars" in x["flags"] for x in q.sentences)


def test_repeat_counts_lower_paragraph_scores(scorer, pages):
    text = _page(pages, "en")
    q = scorer.score(text, "en")
    q_rep = scorer.score(text, "en", repeat_counts={0: 500, 1: 2})
    assert q_rep.paragraphs[0]["score"] < 0.5 * q.paragraphs[0]["score"]
    assert "repeat" in q_rep.paragraphs[0]["flags"]
    assert q_rep.paragraphs[1]["score"] == q.paragraphs[1]["score"]      # below repeat_min_count
    assert q_rep.signals["global_repeat_char_frac"] > 0


def test_model_score_hook(scorer, pages):
    text = _page(pages, "de")
    q0, q1 = scorer.score(text, "de", model_score=0.0), scorer.score(text, "de", model_score=1.0)
    qn = scorer.score(text, "de")
    assert math.isnan(qn.signals["model_score"]) and q1.signals["model_score"] == 1.0
    w = scorer.config.model_weight
    assert q1.quality_score - q0.quality_score == pytest.approx(w)
    assert q0.quality_score == pytest.approx((1 - w) * qn.quality_score)


def test_count_callback_and_timings(scorer, pages):
    text = _page(pages, "en")
    counts = Counter()
    timings = {}
    q = scorer.score(text, "en", count=lambda name, n=1: counts.update({name: n}), timings=timings)
    assert counts["docs"] == 1
    assert counts["sentences"] == len(q.sentences)
    assert counts["paragraphs"] == len(q.paragraphs)
    assert counts[f"tier.{q.quality_tier}"] == 1
    assert counts["sentences_below_cut"] == sum(s["score"] < scorer.config.sentence_cut for s in q.sentences)
    for r in q.failed_rules:
        assert counts[f"rule.{r}"] == 1
    assert set(timings) == set(TIMING_GROUPS) and all(v >= 0 for v in timings.values())
    scorer.score("", "en", count=lambda name, n=1: counts.update({name: n}))
    assert counts["empty"] == 1 and counts["docs"] == 2


def test_deterministic_and_paragraphs_argument(scorer, pages):
    text = _page(pages, "zh")
    a, b = scorer.score(text, "zh"), score_document(text, "zh")
    assert a.quality_score == b.quality_score and a.sentences == b.sentences
    # explicit paragraphs: the whole text as one span gives one paragraph
    whole = [(0, len(text.rstrip()))]
    q = scorer.score(text, "zh", whole)
    assert len(q.paragraphs) == 1 and all(s["end"] <= whole[0][1] for s in q.sentences)



def _same_doc_quality(a, b):
    nan = [k for k, v in a.signals.items() if isinstance(v, float) and math.isnan(v)]
    assert list(a.signals) == list(b.signals)
    assert {k: v for k, v in a.signals.items() if k not in nan} == {k: v for k, v in b.signals.items() if k not in nan}
    assert all(math.isnan(b.signals[k]) for k in nan)
    assert (a.quality_score, a.quality_tier, a.failed_rules) == (b.quality_score, b.quality_tier, b.failed_rules)
    assert a.paragraphs == b.paragraphs and a.sentences == b.sentences


def test_score_batch_equals_one_at_a_time(scorer, pages, monkeypatch):
    """score_batch joins a batch's texts and scores them in one pass: every result is bit for bit
    what the document gets alone, with chunks of any size (here also one or two documents each)."""
    from filters import quality as Q
    docs = [(r["text"], r.get("lang_auto")) for r in pages[:60]]
    docs += [("", "en"), ("Hello.", "en"), ("🤣🤣🤣", "und"), ("我们今天去公园。很好！", "zh"), ("ทดสอบ ภาษาไทย ครับ", "th"),
             ("İstanbul İİİ. Merhaba dünya.", "tr"), ("ΟΔΟΣ ΣΑΣ. Σ\nΣ", "el"), ("aaaa\n\"'.\n...", "en"),
             ("x" * 5000, "en"), ("a\x00b\ud800c {curly} | nav | more", None), ("lorem ipsum.\nprivacy policy", "en")]
    texts, langs = [t for t, _ in docs], [lang for _, lang in docs]
    reps = [{0: 4, 1: 2} if i % 5 == 0 else None for i in range(len(docs))]
    models = [0.25 if i % 3 == 0 else None for i in range(len(docs))]
    alone = [scorer.score(t, lang, repeat_counts=r, model_score=m) for t, lang, r, m in zip(texts, langs, reps, models)]
    for chunk_chars in (Q._CHUNK_CHARS, 3000, 1):
        monkeypatch.setattr(Q, "_CHUNK_CHARS", chunk_chars)
        batch = scorer.score_batch(texts, langs, None, repeat_counts=reps, model_scores=models)
        for a, b in zip(alone, batch):
            _same_doc_quality(a, b)

# --- on the labelled corpus ---------------------------------------------------------------------

def _read_corpus(path):
    from tests.corpus import read_docs, read_truth
    return read_docs(path), list(read_truth(path).values())


def test_corpus_small_separation_and_boilerplate(scorer, corpus_small):
    docs, truth = _read_corpus(corpus_small)
    cfg = scorer.config
    pos, neg = [], []
    bp_total = bp_low = comp_total = comp_low = 0
    for t in truth:
        text = docs[t["id"]]["text"]
        q = scorer.score(text, t["langs"][0])
        if t["kind"] in ("page", "composed", "mixed"):
            pos.append(q.quality_score)
        elif t["kind"] in ("spam", "short"):
            neg.append(q.quality_score)
        planted = []
        for line in t.get("boilerplate") or []:
            a = text.rfind(line)
            planted.append((a, a + len(line)))
            bp_total += 1
            bp_low += any(p["score"] < cfg.paragraph_cut for p in q.paragraphs if p["start"] == a)
        if t["kind"] == "composed":
            for s in q.sentences:
                if not any(a <= s["start"] < b for a, b in planted):
                    comp_total += 1
                    comp_low += s["score"] < cfg.sentence_cut
    assert len(neg) >= 10 and len(pos) >= 200
    assert _auc(pos, neg) >= 0.95
    assert bp_total >= 10 and bp_low / bp_total >= 0.9
    assert comp_total > 1000 and comp_low / comp_total < 0.03


def test_scorer_pickles_and_modules_stay_pure(scorer):
    import pickle
    import subprocess
    import sys
    text = "The council met on Monday. It approved the plan after a long debate."
    clone = pickle.loads(pickle.dumps(scorer))
    assert clone.score(text, "en").quality_score == scorer.score(text, "en").quality_score
    code = ("import sys, filters.quality, filters.segment, filters.stopwords; "
            "assert 'apache_beam' not in sys.modules; assert 'stopwordsiso' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).resolve().parents[2]))


def test_class_table_equals_per_code_point_definition():
    import unicodedata
    import numpy as np
    from filters import quality as Q
    ref = np.zeros(0x10000, dtype=np.uint8)
    for o in range(0x10000):
        ch = chr(o)
        cat = unicodedata.category(ch)
        bits = 0
        if cat[0] in "LM":
            bits = Q.LETTER | (Q.UPPER if cat in ("Lu", "Lt") else 0)
            if cat[0] == "L" and Q._is_unspaced_cp(o):
                bits |= Q.UNSPACED
        elif cat[0] == "N":
            bits = Q.DIGIT
        elif cat[0] == "P":
            bits = Q.PUNCT
        elif cat[0] == "S":
            bits = Q.SYMBOL
        if ch.isspace():
            bits = Q.SPACE
        if ch in Q._SEPARATORS:
            bits |= Q.SEP
        ref[o] = bits
    assert np.array_equal(Q._class_table(), ref)


def test_a_cue_table_without_unspaced_cues_finds_nothing_in_unspaced_text():
    """The spam matcher has no CJK cues: asked to look for unspaced cues it must find none (an empty
    alternation would match at every position)."""
    import numpy as np
    from filters.quality import _CueMatcher
    from filters.spam import cue_table
    matcher = _CueMatcher(cue_table())
    empty = np.zeros(0, dtype=np.uint64)
    assert matcher.hits("这是一个普通的句子", empty, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), True) == []


def test_cjk_cues_by_automaton_equal_the_regex():
    """The boilerplate matcher finds its CJK cues with a leftmost-longest automaton: the same
    matches as the longest-first regex alternation, on random text made of cue pieces (prefixes,
    overlaps, cues inside cues) and on text with a lone surrogate (which takes the regex)."""
    import random
    from filters.quality import _CueMatcher, CUES, _leftmost_longest
    matcher = _CueMatcher(CUES)
    keys = list(matcher._cjk)
    assert len(keys) > 20
    pieces = keys + [k[:i] for k in keys for i in range(1, len(k))] + ["的", " ", "a", "。", "\n"]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        expected = [(m.start(), m.end(), matcher._cjk[m.group()]) for m in matcher._cjk_rx.finditer(text)]
        got = [(a, b, matcher._cjk_weights[k])
               for k, a, b in _leftmost_longest(matcher._cjk_keys).find_matches_as_indexes(text)]
        assert got == expected, text
    empty = np.zeros(0, dtype=np.uint64)
    none = np.zeros(0, dtype=np.int64)
    text = keys[0] + "\ud800" + keys[1]
    assert matcher.hits(text, empty, none, none, True) == [
        (m.start(), m.end(), matcher._cjk[m.group()]) for m in matcher._cjk_rx.finditer(text)]


def test_url_scheme_pattern_equals_the_case_insensitive_one():
    """``_URL_SCHEME`` spells out what re.I made of its letters: the same spans as the re.I
    pattern on random text dense in scheme pieces, and every letter's case-insensitive matches."""
    import re
    from filters.quality import _URL_SCHEME
    ref = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"'）)\]]+", re.I)
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    folds = {x: set(re.findall(x, every, re.I)) for x in "htpsfw"}
    assert folds["s"] == {"s", "S", "\u017f"} and all(len(v) == 2 for k, v in folds.items() if k != "s")
    rng = random.Random(5)
    pieces = ["h", "H", "t", "T", "p", "P", "s", "S", "\u017f", "f", "F", "w", "W", ":", "/", "//", ".", "x", " ",
              ")", "）", "\"", "<", "]", "https://", "www.", "ftp://", "HTTP://", "WwW.", "a.b/c"]
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 14)))
        assert [m.span() for m in _URL_SCHEME.finditer(text)] == [m.span() for m in ref.finditer(text)], text


def test_mojibake_skipped_only_where_it_finds_nothing_more():
    """The scorer calls encoding.mojibake_chars only for text with CJK characters or a Latin-1
    lead (U+00C2..U+00F4) directly followed by a cp1252 continuation character (its table);
    elsewhere mojibake_chars must give just the U+FFFD count. Random text dense in leads,
    continuation characters, mojibake and U+FFFD."""
    from filters.encoding import mojibake_chars
    from filters.quality import _cp1252_cont_table
    table = _cp1252_cont_table()
    pieces = ["Ã", "Â", "ô", "õ", "Á", "©", "\u0080", "\u00bf", "\u2019", "\u20ac", "\u2122", "\u0153", "é", "a", " ",
              "\ufffd", "CafÃ©", "donâ€™t", "Ã\u00a9", "\n", "x", "ü", "ß", "\u00c1\u00a1"]
    rng = random.Random(9)
    skipped = 0
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 10)))
        pair = any(0xC2 <= ord(a) <= 0xF4 and ord(b) < 0x10000 and table[ord(b)] for a, b in zip(text, text[1:]))
        if not pair:
            skipped += 1
            assert mojibake_chars(text) == text.count("\ufffd"), text
    assert skipped > 1000


def test_ngram_fractions_of_a_chunk_equal_one_document_at_a_time():
    """``_ngram_fractions_spaced`` (size 2 over a chunk's documents at once) gives, bit for bit,
    what ``_ngram_fractions`` gives each document alone: random token ids from small vocabularies
    (much repetition: every size, the numpy and the plain-Python paths), token ranges with gaps,
    empty and one-token documents."""
    from filters.quality import _PRIME, _ngram_fractions, _ngram_fractions_spaced
    rng = np.random.default_rng(4)
    for _ in range(300):
        sizes = rng.integers(0, 400, rng.integers(1, 8))
        gaps = rng.integers(0, 3, sizes.size)
        vocab = int(rng.choice([2, 3, 5, 20, 1000]))
        total = int(sizes.sum() + gaps.sum())
        tokh = rng.integers(1, vocab + 1, total).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        lens = rng.integers(1, 9, total)
        tok_csum = np.concatenate(([0], np.cumsum(lens)))
        pairs = tokh[:-1] * _PRIME + tokh[1:]
        los, his, x = [], [], 0
        for n, g in zip(sizes.tolist(), gaps.tolist()):
            x += g
            los.append(x)
            his.append(x + n)
            x += n
        got = _ngram_fractions_spaced(tokh, pairs, tok_csum, los, his)
        for (lo, hi), res in zip(zip(los, his), got):
            grams = pairs[lo:hi - 1] if hi - lo >= 2 else None
            ref = _ngram_fractions(tokh[lo:hi], lens[lo:hi], 1, grams=grams, csum=tok_csum[lo:hi + 1] - tok_csum[lo])
            assert repr(res) == repr(ref), (lo, hi, vocab)
