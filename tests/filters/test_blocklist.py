"""Tests of filters.blocklist on the real LDNOOBW / zh_konsheng lists and small fixtures."""
from __future__ import annotations

import pytest

from filters.blocklist import WordBlocklist, match_form


@pytest.fixture(scope="module")
def ldnoobw(shared_data):
    return WordBlocklist.from_ldnoobw_dir(shared_data / "safety" / "ldnoobw")


def test_loads_all_languages(ldnoobw):
    assert {"en", "de", "zh", "ja", "th", "fr"} <= set(ldnoobw.langs)
    assert len(ldnoobw) > 2000
    # single-character Han/hangul entries are dropped (they fire inside ordinary words)
    assert "性" in ldnoobw.dropped and all(len(t) == 1 for t in ldnoobw.dropped)


def test_word_boundaries_for_spaced_scripts(ldnoobw):
    assert ldnoobw.scan("The class assembled in the assembly hall.", lang="en").hits == 0
    r = ldnoobw.scan("What an ass, really.", lang="en")
    assert r.hits == 1 and r.spans[0]["start"] == 8 and r.spans[0]["end"] == 11
    assert r.categories == ["ldnoobw"]


def test_case_insensitive_and_fullwidth(ldnoobw):
    text = "PORN and Ｐｏｒｎ"
    r = ldnoobw.scan(text, lang="en")
    assert r.hits == 2
    assert [text[s["start"]:s["end"]] for s in r.spans] == ["PORN", "Ｐｏｒｎ"]


def test_multiword_entry(ldnoobw):
    r = ldnoobw.scan("they watched 2 girls 1 cup yesterday", lang="en")
    assert r.hits == 1 and r.spans[0]["end"] - r.spans[0]["start"] == len("2 girls 1 cup")


def test_cjk_substring_and_ratio_per_char(ldnoobw):
    text = "今天他说三级片不好看"
    r = ldnoobw.scan(text, lang="zh")
    assert r.hits == 1
    s = r.spans[0]
    assert text[s["start"]:s["end"]] == "三级片"
    assert r.hit_ratio == pytest.approx(1 / len(text))


def test_ratio_per_word_for_spaced(ldnoobw):
    r = ldnoobw.scan("one two three four shit", lang="en")
    assert r.hit_ratio == pytest.approx(1 / 5)


def test_language_filter(ldnoobw):
    # "con" is in the French list, not in English: it must not fire for an English doc
    assert ldnoobw.scan("pros and con", lang="en").hits == 0
    assert ldnoobw.scan("pros and con", lang="fr").hits == 1
    assert ldnoobw.scan("pros and con", lang=["en", "fr"]).hits == 1
    assert ldnoobw.scan("pros and con").hits >= 1  # no language: every list


def test_overlapping_entries_leftmost_longest_and_flag():
    wb = WordBlocklist([("他妈", "zh", "x"), ("他妈的", "zh", "x"), ("垃圾", "zh", "y")])
    r = wb.scan("你他妈的真是", lang="zh")
    assert r.hits == 1 and r.spans[0]["end"] - r.spans[0]["start"] == 3
    assert r.distinct == 1 and not r.flagged()
    r2 = wb.scan("他妈的垃圾他妈", lang="zh")
    assert r2.hits == 3 and r2.distinct == 2 and r2.flagged() and r2.categories == ["x", "y"]


def test_offsets_survive_length_changing_normalisation():
    wb = WordBlocklist([("bad", "en", "c")])
    text = "ﬁne ﬁne bad"  # the ligature expands to two characters under NFKC
    norm, index = match_form(text)
    assert index is not None and len(norm) > len(text)
    r = wb.scan(text, lang="en")
    assert r.hits == 1 and text[r.spans[0]["start"]:r.spans[0]["end"]] == "bad"


def test_category_dir_political_opt_in(shared_data):
    d = shared_data / "safety" / "zh_konsheng"
    default = WordBlocklist.from_category_dir(d)
    assert "political" not in default.categories and "political_reactionary" not in default.categories
    assert "porn" in default.categories and "porn2" not in default.categories
    assert "illegal_urls" not in default.categories
    pol = WordBlocklist.from_category_dir(d, categories=["political"])
    assert pol.categories == ["political"]
    assert pol.scan("有人在讨论习近平的讲话", lang="zh").hits >= 1
    assert default.scan("有人在讨论习近平的讲话", lang="zh").categories == []


def test_merge_and_counter(shared_data, ldnoobw):
    guns = WordBlocklist.from_category_dir(shared_data / "safety" / "zh_konsheng", categories=["guns_explosives"])
    both = ldnoobw.merge(guns)
    assert len(both) >= len(ldnoobw)
    counts = {}
    r = both.scan("出售雷管和三级片", lang="zh", count=lambda n, k=1: counts.__setitem__(n, counts.get(n, 0) + k))
    assert r.categories == ["guns_explosives", "ldnoobw"]
    assert counts == {"blocklist_hits": 2, "blocklist_docs_with_hits": 1}
    counts.clear()
    assert both.scan("no such words here", lang="zh", count=lambda n, k=1: counts.__setitem__(n, k)).hits == 0
    assert counts == {}


def test_planted_badwords_in_corpus(corpus_small, ldnoobw):
    from tests.corpus import read_docs, read_truth

    truth = read_truth(corpus_small)
    docs = {i: d["text"] for i, d in read_docs(corpus_small).items()}
    planted = [i for i, t in truth.items() if t.get("badwords")]
    assert planted
    for i in planted:
        r = ldnoobw.scan(docs[i], lang=truth[i]["langs"])
        assert r.flagged(), (truth[i]["badwords"], r.spans)


# ---- weighted document score -------------------------------------------------------------------

def test_score_weak_entries_alone_never_flag():
    wb = WordBlocklist([("alpha", "en", "c"), ("beta", "en", "c"), ("gamma", "en", "c"), ("delta", "en", "c")],
                       weak_terms=["alpha", "beta", "gamma"])
    r = wb.scan("alpha beta gamma alpha", lang="en")
    assert r.distinct == 3 and r.flagged()  # the old rule flags
    assert r.score == pytest.approx(1.5) and not r.flagged_by_score()
    r2 = wb.scan("alpha delta", lang="en")
    assert r2.score == pytest.approx(1.5) and not r2.flagged_by_score(2.0)
    assert r2.flagged_by_score(1.5)
    assert wb.scan("alpha beta gamma delta", lang="en").flagged_by_score()  # 0.5 * 3 + 1


def test_score_two_strong_entries_flag_and_variants_count_once():
    wb = WordBlocklist([("他妈", "zh", "x"), ("他妈的", "zh", "x"), ("垃圾", "zh", "y")])
    r = wb.scan("你他妈的真是他妈", lang="zh")
    assert r.score == pytest.approx(1.0) and not r.flagged_by_score()
    r2 = wb.scan("他妈的垃圾", lang="zh")
    assert r2.score == pytest.approx(2.0) and r2.flagged_by_score()
    assert r2.to_dict()["score"] == pytest.approx(2.0)


def test_term_weights_per_language_and_lowest_owner_wins():
    wb = WordBlocklist([("penis", "en", "c"), ("penis", "de", "c"), ("fratze", "de", "c")],
                       term_weights={("en", "penis"): 0.5})
    assert wb.weight("penis", "en") == 0.5 and wb.weight("penis", "de") == 1.0
    assert wb.scan("penis fratze", lang="de").score == pytest.approx(2.0)
    assert wb.scan("penis fratze", lang=["de", "en"]).score == pytest.approx(1.5)
    assert wb.scan("penis", lang="en").score == pytest.approx(0.5)
    merged = wb.merge(WordBlocklist([("x", "fr", "c")]))
    assert merged.weight("penis", "en") == 0.5


def test_short_entries_kept_with_short_weight_or_dropped_at_zero():
    entries = [("逼", "zh", "x"), ("性", "zh", "x"), ("操你娘", "zh", "x")]
    old = WordBlocklist(entries)
    assert sorted(old.dropped) == ["性", "逼"]
    wb = WordBlocklist(entries, short_weight=0.25, term_weights={("zh", "性"): 0.0})
    assert wb.dropped == ["性"]
    r = wb.scan("可能性很大，逼他一下，操你娘", lang="zh")
    assert r.hits == 2 and r.score == pytest.approx(1.25)
    assert r.distinct == 1  # kept short entries do not count for the old rule


def test_default_weights_resource_is_derived_list(shared_data):
    from filters.blocklist import DEFAULT_WEIGHTS_PATH, load_term_weights

    header = [l for l in open(DEFAULT_WEIGHTS_PATH, encoding="utf-8") if l.startswith("#")]
    assert any("Criterion" in l for l in header)
    w = load_term_weights()
    assert w[("zh", "强奸")] == 0.5 and w[("zh", "性")] == 0.0 and w[("en", "sex")] == 0.5
    assert set(w.values()) <= {0.0, 0.5, 1.0, 1.75}
    # 1.0 only for rare single characters (rare_char), which would otherwise weigh short_weight
    assert all(len(t) == 1 for (lang, t), v in w.items() if v == 1.0)
    assert w[("zh", "屄")] == 1.0 and ("zh", "奶") not in w
    # 1.75 for entries rare in general text (rare_word): never a weak entry, never ja/ko (no frequencies)
    rare = {k for k, v in w.items() if v == 1.75}
    assert ("en", "acrotomophilia") in rare and ("en", "fuck") not in w and ("zh", "他妈") not in w
    assert not any(lang in ("ja", "ko") for lang, _ in rare)
    full = WordBlocklist.from_ldnoobw_dir(shared_data / "safety" / "ldnoobw", min_unspaced_len=1)
    known = {(lang, t) for t, lang, _ in full.entries()}
    assert set(w) <= known  # only LDNOOBW entries, nothing else


def test_default_scoring_on_real_lists(shared_data):
    from filters.blocklist import default_scoring

    wb = WordBlocklist.from_ldnoobw_dir(shared_data / "safety" / "ldnoobw", **default_scoring())
    # a rape report plus one strong word: weak + strong = 1.5, not flagged (the old rule flags it)
    r = wb.scan("新闻说他涉嫌强奸，网友骂嫌犯是傻逼", lang="zh")
    assert r.flagged() and r.score == pytest.approx(1.5) and not r.flagged_by_score()
    assert wb.scan("你这个傻逼，操你娘", lang="zh").flagged_by_score()
    assert not wb.scan("Sex education and sexual health classes.", lang="en").flagged_by_score()
    assert wb.scan("a fucking cunt", lang="en").flagged_by_score()
    # single characters: 性 is dropped, common ones (奶 "milk") weigh 0.25, rare ones (屄) 1.0
    assert "性" in wb.dropped and wb.weight("奶", "zh") == 0.25 and wb.weight("屄", "zh") == 1.0
    # ... and 奶 inside 牛奶 (an allow-listed word) is no hit at all
    assert wb.scan("一杯牛奶", lang="zh").hits == 0
    assert not wb.scan("我每天早上喝一杯牛奶，屁股坐在椅子上", lang="zh").flagged_by_score()  # 0.25 + 0.5


def test_allow_listed_words_hide_the_entry_inside_them():
    entries = [("处女", "zh", "x"), ("奶", "zh", "x"), ("奶奶的熊", "zh", "x"), ("你妈", "zh", "x")]
    allow = [("zh", "处女座"), ("zh", "奶奶"), ("zh", "你妈妈"), ("zh", "你妈")]
    wb = WordBlocklist(entries, short_weight=0.25, allow_terms=allow)
    assert wb.allow_terms() == [("zh", "你妈妈"), ("zh", "处女座"), ("zh", "奶奶")]  # an entry stays an entry
    r = wb.scan("她是处女座，爱喝奶奶煮的牛奶。你妈妈好吗？", lang="zh")
    assert [(s["start"], s["end"]) for s in r.spans] == [(13, 14)]  # only the 奶 of 牛奶
    assert r.score == pytest.approx(0.25)
    # outside the allowed words the entries are hits; a longer entry beats a shorter allowed word
    r = wb.scan("处女，你妈，奶奶的熊", lang="zh")
    assert sorted("处女，你妈，奶奶的熊"[s["start"]:s["end"]] for s in r.spans) == ["你妈", "处女", "奶奶的熊"]
    # allow words are per language and survive merge
    assert wb.scan("处女座", lang="zh").hits == 0
    assert wb.merge(WordBlocklist([("x", "fr", "c")])).scan("处女座", lang="zh").hits == 0
    assert WordBlocklist(entries).scan("处女座", lang="zh").hits == 1


def test_rare_entry_plus_any_hit_flags(shared_data):
    from filters.blocklist import default_scoring

    wb = WordBlocklist.from_ldnoobw_dir(shared_data / "safety" / "ldnoobw", **default_scoring())
    assert wb.weight("acrotomophilia", "en") == 1.75
    assert not wb.scan("a page about acrotomophilia", lang="en").flagged_by_score()  # alone: 1.75
    assert wb.scan("acrotomophilia and sex", lang="en").flagged_by_score()            # + weak 0.5
    assert not wb.scan("porn and sex", lang="en").flagged_by_score()                   # common 1.0 + 0.5
    # the shipped allow list: 处女作 (first work), 奶奶 (grandma) and 老祖宗 are not 处女, 奶 and 祖宗
    r = wb.scan("我奶奶的处女作，老祖宗的规矩", lang="zh")
    assert r.hits == 0, r.spans
    assert wb.scan("她还是处女，真他妈的", lang="zh").hits == 2


def test_planted_badwords_in_corpus_by_score(corpus_small, shared_data):
    from filters.blocklist import default_scoring
    from tests.corpus import read_docs, read_truth

    wb = WordBlocklist.from_ldnoobw_dir(shared_data / "safety" / "ldnoobw", **default_scoring())
    truth = read_truth(corpus_small)
    docs = {i: d["text"] for i, d in read_docs(corpus_small).items()}
    planted = [i for i, t in truth.items() if t.get("badwords")]
    for i in planted:
        r = wb.scan(docs[i], lang=truth[i]["langs"])
        assert r.flagged_by_score(), (truth[i]["badwords"], r.spans, r.score)


def test_category_weight_applies_to_category_entries_and_survives_merge():
    ld = WordBlocklist([("傻逼", "zh", "ldnoobw"), ("他妈", "zh", "ldnoobw")])
    cat = WordBlocklist([("大麻", "zh", "violence_terror"), ("海洛因", "zh", "violence_terror")],
                        category_weights={"violence_terror": 0.5})
    assert cat.weight("大麻", "zh") == 0.5
    merged = ld.merge(cat)
    assert merged.weight("大麻", "zh") == 0.5 and merged.weight("傻逼", "zh") == 1.0
    assert merged.scan("他妈的大麻", lang="zh").score == pytest.approx(1.5)
    assert merged.scan("大麻和海洛因", lang="zh").score == pytest.approx(1.0)
    assert merged.scan("傻逼，他妈", lang="zh").score == pytest.approx(2.0)


def test_from_category_dir_weight(shared_data):
    wb = WordBlocklist.from_category_dir(shared_data / "safety" / "zh_konsheng",
                                         categories=["violence_terror"], weight=0.5)
    term = next(t for t, _, c in wb.entries() if c == "violence_terror")
    assert wb.weight(term, "zh") == 0.5
    assert WordBlocklist.from_category_dir(shared_data / "safety" / "zh_konsheng",
                                           categories=["violence_terror"]).weight(term, "zh") == 1.0


def test_badword_flag_reads_density_and_weak_only_context():
    from filters.blocklist import badword_flagged
    # two ordinary entries flag a page of ordinary length ...
    assert badword_flagged(2.0, 1.0, 6_000)
    # ... but not a 72k-character essay: past 50k characters the same density is needed
    assert not badword_flagged(2.0, 1.0, 72_000)
    assert badword_flagged(3.0, 1.0, 72_000)
    assert badword_flagged(2.0, 1.0, 72_000, density_chars=0)          # off
    # four weak entries (clinical words at 0.5) are a health page, five weak ones or one strong flag
    assert not badword_flagged(2.0, 0.5, 6_000)
    assert badword_flagged(2.5, 0.5, 6_000)
    assert badword_flagged(2.0, 1.75, 6_000)
    # older annotations without max_weight keep the plain score rule
    assert badword_flagged(2.0, None, 6_000)


def test_scan_reports_heaviest_entry(shared_data):
    bl = WordBlocklist([("vagina", "en", "x"), ("genitals", "en", "x"), ("bastard", "en", "x")],
                       term_weights={("en", "vagina"): 0.5, ("en", "genitals"): 0.5})
    weak = bl.scan("The vagina and the genitals are described in this chapter.", "en")
    assert weak.score == 1.0 and weak.max_weight == 0.5
    both = bl.scan("The vagina, said the bastard.", "en")
    assert both.max_weight == 1.0


def test_lone_surrogates_are_matched_around_not_crashed_on():
    """The matcher encodes text as UTF-8; a lone surrogate (possible in a Python str) must neither
    crash the scan nor shift the spans after it."""
    from filters.spam import spam_cues
    words = WordBlocklist([("badword", None, "test")])
    found = words.scan("a\ud800 badword here", None)
    assert found.hits == 1 and found.spans[0]["start"] == 3 and found.spans[0]["end"] == 10
    cues = spam_cues("\ud800 WeChat: abc123", "\ud800 wechat: abc123", [], unspaced=True)
    assert cues.contact_mentions == 1


# ---- the faster matching equals the old one ----------------------------------------------------------

import unicodedata  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

from filters.blocklist import ALLOW, _is_word_char, _roots, _units  # noqa: E402
from filters.matching import overlapping_matches  # noqa: E402


def _old_match_form(text):
    """match_form before the per-character fast path (whole-text NFKC, eager index map)."""
    if text.isascii():
        return text.lower(), None
    norm = (text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)).lower()
    if len(norm) == len(text):
        return norm, None
    table = {}
    for ch in set(text):
        form = unicodedata.normalize("NFKC", ch).lower()
        if form != ch:
            table[ord(ch)] = form
    out = text.translate(table)
    longer = {o: len(f) for o, f in table.items() if len(f) != 1}
    if not longer:
        return out, None
    index = []
    for i, ch in enumerate(text):
        index.extend([i] * longer.get(ord(ch), 1))
    index.append(len(text))
    return out, index


_OLD_AUTOMATA: dict = {}  # id -> (blocklist, its one automaton) for _old_scan


def _old_scan(wb, text, lang=None):
    """WordBlocklist.scan before per-language automata: one automaton of every pattern, owners filtered
    per match."""
    import ahocorasick_rs

    if not text or not wb._entries:
        return BlocklistResult()
    langs = None
    if lang is not None:
        langs = {lang} if isinstance(lang, str) else set(lang)
        lang = lang if isinstance(lang, str) else next(iter(sorted(langs)), None)
    norm, index = _old_match_form(text)
    if id(wb) not in _OLD_AUTOMATA:
        _OLD_AUTOMATA[id(wb)] = (wb, ahocorasick_rs.AhoCorasick(wb._patterns, matchkind=ahocorasick_rs.MatchKind.Standard))
    auto = _OLD_AUTOMATA[id(wb)][1]
    raw = []
    for k, start, end in overlapping_matches(auto, norm):
        left, right, owners, weights = wb._values[k]
        if left and start > 0 and _is_word_char(norm[start - 1]):
            continue
        if right and end < len(norm) and _is_word_char(norm[end]):
            continue
        if langs is not None:
            keep = [i for i, o in enumerate(owners) if o[0] is None or o[0] in langs]
            if not keep:
                continue
            owners, weights = tuple(owners[i] for i in keep), tuple(weights[i] for i in keep)
        raw.append((start, end, owners, min(weights)))
    if not raw:
        return BlocklistResult(hit_ratio=0.0)
    raw.sort(key=lambda r: (r[0], -(r[1] - r[0])))
    spans, last_end, cats, terms = [], -1, set(), {}
    for s, e, owners, weight in raw:
        if s < last_end:
            continue
        last_end = e
        if owners[0][1] == ALLOW:
            continue
        s0, e0 = s, e
        if index is not None:
            s, e = index[s], index[e]
        cats.update(c for _, c in owners)
        spans.append({"start": s, "end": e, "category": owners[0][1], "lang": owners[0][0]})
        terms[norm[s0:e0]] = weight
    roots = _roots(terms)
    return BlocklistResult(hits=len(spans), hit_ratio=len(spans) / max(1, _units(text, lang)),
                           categories=sorted(cats), spans=spans,
                           distinct=sum(1 for t in roots if t not in wb._short),
                           score=round(sum(terms[t] for t in roots), 6),
                           max_weight=max((terms[t] for t in roots), default=0.0))


from filters.blocklist import BlocklistResult  # noqa: E402

# characters whose normal form depends on their neighbours or on lower()'s context, that expand, or
# that are ordinary: combining marks, Hangul syllables and jamo, Indic vowel signs that compose, kana
# voicing marks, capital and final sigma, dotted capital I, ligatures, full-width forms, lone surrogates
_TRICKY = ("aeiouAEIOU sxSX\u00a0\u0301\u0323\u0345\u0308한가\u1161\u11a8\u3131\u314f\u09c7\u09be\u09cb\u0b47\u0b3e"
           "カか\u3099\u309a\u309b\u03a3\u03c3\u03c2\u03f9\u0130\u0131\ufb01\ufb03\u2026\uff0c\uff10\uff21\uff41"
           "\u00bd\u00b2\u2122\u3392\ufdfa\u1e9b\u0390\u1f80\u01c5\u00df\u1e9e\u212a\u2126\u0149\u0587\u0e33"
           "\ud800\udc00你好他妈的三级片porn")
_text = st.lists(st.one_of(st.sampled_from(_TRICKY), st.characters()), max_size=40).map("".join)


@settings(max_examples=600, deadline=None)
@given(_text)
def test_match_form_equals_whole_text_normalisation(text):
    assert match_form(text) == _old_match_form(text)


def test_match_form_on_corpus_pages(shared_data):
    import json
    import lzma

    with lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f][:400]
    for text in texts:
        assert match_form(text) == _old_match_form(text)
        for extra in ("Σ", "ﬁ", "\u0301", "\u1161", "，…"):
            assert match_form(text + extra) == _old_match_form(text + extra)


_WORDS = [("con", "fr", "x"), ("ass", "en", "x"), ("ass", "de", "y"), ("他妈", "zh", "x"), ("他妈的", "zh", "x"),
          ("porn", None, "p"), ("ﬁne", "en", "z"), ("σου", "el", "x"), ("한국", "ko", "x"), ("am", "tr", "x")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["con", "ass", "他妈的", "porn", "fine", "ΣΟΥ", "한국", " ", "am",
                                           "class", "ﬁ", "x"]), st.sampled_from(_TRICKY)), max_size=25).map("".join),
       st.sampled_from([None, "en", "fr", "zh", "tr", "und", ["en", "fr"], ["de", "en"], ["el", "ko", "zh"], []]))
def test_scan_equals_one_automaton_with_per_match_owner_filter(text, lang):
    wb = WordBlocklist(_WORDS, allow_terms=[("zh", "他妈妈"), (None, "classy")], short_weight=0.25,
                       term_weights={("de", "ass"): 0.5})
    assert wb.scan(text, lang) == _old_scan(wb, text, lang)
    assert wb.scan(text, lang) == _old_scan(wb, text, lang)  # cached matchers


def test_scan_on_corpus_pages_equals_old_way(shared_data, ldnoobw):
    import json
    import lzma

    from filters.blocklist import default_scoring

    scored = WordBlocklist.from_ldnoobw_dir(shared_data / "safety" / "ldnoobw", **default_scoring()).merge(
        WordBlocklist.from_category_dir(shared_data / "safety" / "zh_konsheng", weight=0.5))
    with lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f][:300]
    for r in rows:
        for lang in (r.get("lang_auto") or "en", None, ["en", "zh"], "zh"):
            for wb in (ldnoobw, scored):
                assert wb.scan(r["text"], lang) == _old_scan(wb, r["text"], lang)


def test_odd_characters_are_exactly_the_bmp_characters_that_are_not_inert():
    from filters.blocklist import _inert, _odd_char_re

    bmp = "".join(chr(cp) for cp in range(0x10000) if not 0xD800 <= cp < 0xE000)
    odd = set(_odd_char_re().findall(bmp))
    assert odd == {ch for ch in bmp if not _inert(ch)}
    assert _odd_char_re().findall("\U0001d400x\ud800") == ["\U0001d400", "\ud800"]  # outside the BMP: odd
