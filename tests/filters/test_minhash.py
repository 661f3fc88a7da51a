"""Tests for filters/minhash.py: datasketch equality, shingling by script, LSH keys, config."""
from __future__ import annotations

import glob
import json
import random
from collections import Counter

import numpy as np
import pytest
import zstandard
from datasketch import LeanMinHash, MinHash
from datasketch.lsh import _optimal_param

from filters import minhash as M

EMPTY = np.uint32(0xFFFFFFFF)


def load_corpus(path):
    docs = []
    for p in sorted(glob.glob(str(path / "raw" / "*.jsonl.zst"))):
        with zstandard.open(p, "rt", encoding="utf-8") as f:
            docs += [json.loads(line) for line in f]
    truth = {}
    with open(path / "truth.jsonl", encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            truth[t["id"]] = t
    return {d["id"]: d for d in docs}, truth


@pytest.fixture(scope="module")
def corpus(corpus_small):
    return load_corpus(corpus_small)


@pytest.fixture(scope="module")
def sample_texts(corpus):
    docs, truth = corpus
    by_lang = {}
    for doc_id in sorted(docs):
        lang = truth[doc_id]["langs"][0]
        by_lang.setdefault(lang, []).append(docs[doc_id]["text"])
    texts = []
    for lang in sorted(by_lang):  # a few documents of every language and kind, deterministic
        texts += by_lang[lang][:3]
    return texts + EDGE_CASES


EDGE_CASES = [
    "",
    "   \n\t ",
    "!!! ... ???",
    "one",
    "two words",
    "本网站使用cookie来改善您的浏览体验，继续浏览即表示您同意我们使用cookie。",
    "ภาษาไทยเป็นภาษาที่มีระดับเสียงของคำแน่นอน",
    "日本語のテキストです。カタカナ（ｶﾀｶﾅ）も含む。",
    "soft\u00adhyphen zero\u200bwidth ﬁ ligature ＦＵＬＬ Straße ΣΊΣΥΦΟΣ \ufeffbom",
    "lone surrogate \udc80 inside text with enough words for a few shingles here",
    "x" * 5000 + " long token then words a b c d e f",
]


def datasketch_values(text, config, **kw):
    m = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=M.shingle_hash32, **kw)
    m.update_batch(M.shingles(text, config))
    return m


@pytest.mark.parametrize("num_perm,seed,ngrams", [(128, 1, (5, 5)), (64, 7, (3, 4)), (200, 12345, (1, 2))])
def test_signatures_equal_datasketch(sample_texts, num_perm, seed, ngrams):
    config = M.MinHashConfig(num_perm=num_perm, seed=seed, bands=8, rows=8, ngram_word=ngrams[0],
                             ngram_char=ngrams[1])
    sigs = M.MinHasher(config).signatures(sample_texts)
    assert sigs.dtype == np.uint32 and sigs.shape == (len(sample_texts), num_perm)
    for text, sig in zip(sample_texts, sigs):
        m = datasketch_values(text, config)
        assert m.scheme == "affine32"
        np.testing.assert_array_equal(sig, m.hashvalues)
        np.testing.assert_array_equal(sig, LeanMinHash(m).hashvalues)
        explicit = datasketch_values(text, config, scheme="affine32")
        np.testing.assert_array_equal(sig, explicit.hashvalues)


def test_permutations_match_datasketch():
    for num_perm, seed in [(128, 1), (16, 0), (256, 99)]:
        a, b = M.permutations(num_perm, seed)
        ref = MinHash(num_perm=num_perm, seed=seed).permutations
        np.testing.assert_array_equal(a, ref[0])
        np.testing.assert_array_equal(b, ref[1])


def test_vectorized_shingle_hashes_equal_reference(sample_texts):
    for config in (M.MinHashConfig(), M.MinHashConfig(ngram_word=2, ngram_char=3)):
        hasher = M.MinHasher(config)
        for text in sample_texts:
            ref = np.array([M.shingle_hash32(s) for s in M.shingles(text, config)], dtype=np.uint32)
            np.testing.assert_array_equal(hasher.shingle_hashes(text), ref)


@pytest.mark.parametrize("ngrams", [(5, 5), (3, 4)])
def test_batching_and_blocking_do_not_change_results(sample_texts, ngrams):
    config = M.MinHashConfig(ngram_word=ngrams[0], ngram_char=ngrams[1])
    whole = M.MinHasher(config).signatures(sample_texts)
    tiny = M.MinHasher(config, max_chars_per_batch=700, max_shingles_per_block=37)
    np.testing.assert_array_equal(tiny.signatures(sample_texts), whole)
    for i in range(len(sample_texts)):
        np.testing.assert_array_equal(M.MinHasher(config).signature(sample_texts[i]), whole[i])
    # short documents (fewer tokens than n) mixed with long ones, in one batch, both modes
    mixed = ["a b", sample_texts[0], "我们", "", "one two three four five six", "本网", "x"]
    sigs = M.MinHasher(config).signatures(mixed)
    for text, sig in zip(mixed, sigs):
        np.testing.assert_array_equal(sig, datasketch_values(text, config).hashvalues)


def test_tokenize_and_script_mode():
    assert M.tokenize("Hello, WORLD! It's 2024.") == ["hello", "world", "it", "s", "2024"]
    zh = "本网站使用cookie来改善"
    assert M.tokenize(zh) == ["本", "网", "站", "使", "用", "cookie", "来", "改", "善"]
    assert M.script_mode(M.tokenize(zh)) == "char"
    assert M.script_mode(M.tokenize("ภาษาไทย ง่าย")) == "char"
    assert M.script_mode(M.tokenize("カタカナとひらがな")) == "char"
    # decided by content, whatever a language label would say: a few CJK characters in English
    en_with_cjk = "The word 漢字 means Chinese characters in Japanese and Chinese writing systems"
    assert M.script_mode(M.tokenize(en_with_cjk)) == "word"
    assert M.script_mode(M.tokenize("Korean 한국어 텍스트는 띄어쓰기를 합니다")) == "word"
    assert M.script_mode([]) == "word"


def test_shingles_use_char_ngrams_for_unspaced_and_word_ngrams_for_spaced():
    config = M.MinHashConfig(ngram_word=3, ngram_char=4)
    zh = "我们今天去公园散步吧"
    sh = M.shingles(zh, config)
    assert sh[0] == ("我", "们", "今", "天") and len(sh) == len(zh) - 3
    en = "the quick brown fox jumps"
    assert M.shingles(en, config) == [("the", "quick", "brown"), ("quick", "brown", "fox"),
                                      ("brown", "fox", "jumps")]
    assert M.shingles("just two", config) == [("just", "two")]  # fewer tokens than n: one shingle
    # char mode splits Latin words of a mostly-Chinese text into characters too
    mode, toks = M.shingle_tokens("本网站使用cookie来改善")
    assert mode == "char" and toks == list("本网站使用cookie来改善")
    mode, toks = M.shingle_tokens("The word 漢字 means Chinese characters")
    assert mode == "word" and toks == ["the", "word", "漢", "字", "means", "chinese", "characters"]
    assert M.shingles("", config) == []


def test_presentation_changes_do_not_change_signature():
    hasher = M.MinHasher()
    base = "The committee approved the new budget on Tuesday after a long debate about schools."
    variants = [
        "THE COMMITTEE approved the new budget on Tuesday, after a long debate about schools!",
        "The  committee\napproved the new bud\u00adget on Tuesday after a long debate about schools",
        "Ｔｈｅ committee approved the new budget on Tuesday — after a “long” debate about schools...",
    ]
    ref = hasher.signature(base)
    for v in variants:
        np.testing.assert_array_equal(hasher.signature(v), ref)
    zh = "今天天气很好，我们去公园散步吧。"
    np.testing.assert_array_equal(hasher.signature(zh), hasher.signature("今天天气很好 我们去公园散步吧"))
    assert not np.array_equal(hasher.signature(base.replace("schools", "hospitals")), ref)


def test_empty_documents_have_empty_signature_and_no_band_keys():
    config = M.MinHashConfig()
    sigs = M.MinHasher(config).signatures(["", " ... ", "\u200b\u00ad", "word"])
    for sig in sigs[:3]:
        assert M.is_empty_signature(sig)
        assert (sig == EMPTY).all()
        assert M.band_keys(sig, config) == []
    assert not M.is_empty_signature(sigs[3])
    assert len(M.band_keys(sigs[3], config)) == config.bands


def test_counter_callback_counts_exactly():
    counts = {}

    def count(name, n=1):
        counts[name] = counts.get(name, 0) + n

    texts = ["", "a b c d e f g", "我们今天去公园散步吧", "  "]
    M.MinHasher().signatures(texts, count=count)
    assert counts == {"minhash_docs": 4, "minhash_empty_docs": 2, "minhash_char_mode_docs": 1,
                      "minhash_shingles": 3 + 6}


def test_config_derives_bands_rows_with_datasketch_optimizer():
    for threshold, num_perm, weights in [(0.7, 128, (0.1, 0.9)), (0.8, 64, (0.5, 0.5)), (0.5, 256, (0.3, 0.7))]:
        c = M.MinHashConfig(num_perm=num_perm, threshold=threshold, weights=weights)
        assert (c.bands, c.rows) == _optimal_param(threshold, num_perm, *weights)
    default = M.MinHashConfig()
    assert default.bands * default.rows <= default.num_perm
    # the S-curve the defaults were chosen for: recall ~1 at J=0.8, low at J<=0.3
    assert default.candidate_probability(0.8) > 0.99
    assert default.candidate_probability(0.3) < 0.05
    assert M.MinHashConfig(bands=16, rows=8).bands == 16


@pytest.mark.parametrize("kwargs", [
    {"num_perm": 0}, {"threshold": 1.0}, {"threshold": 0.0}, {"weights": (0.6, 0.6)},
    {"bands": 10}, {"rows": 4}, {"bands": 20, "rows": 7}, {"ngram_word": 0}, {"ngram_char": 40},
    {"seed": -1}, {"verify_threshold": 1.5}, {"num_perm": 12.5},
])
def test_config_validation(kwargs):
    with pytest.raises(ValueError):
        M.MinHashConfig(**kwargs)


def test_config_is_frozen():
    with pytest.raises(Exception):
        M.MinHashConfig().num_perm = 3


def test_band_keys_include_band_index():
    config = M.MinHashConfig(num_perm=12, bands=3, rows=4)
    sig = np.array([7, 8, 9, 10] * 3, dtype=np.uint32)  # every band has the same values
    keys = M.band_keys(sig, config)
    assert len(keys) == 3 and len(set(keys)) == 3
    assert [k[:2] for k in keys] == [b"\x00\x00", b"\x00\x01", b"\x00\x02"]
    assert len({k[2:] for k in keys}) == 1
    other = sig.copy()
    other[5] += 1  # changes band 1 only
    k2 = M.band_keys(other, config)
    assert k2[0] == keys[0] and k2[1] != keys[1] and k2[2] == keys[2]
    with pytest.raises(ValueError):
        M.band_keys(sig[:8], config)


def perturb_words(text, rate, rng):
    words = text.split()
    out = []
    for w in words:
        r = rng.random()
        if r < rate / 2:
            continue
        out.append(rng.choice(words) if r < rate else w)
    return " ".join(out)


def test_estimate_jaccard_tracks_exact_jaccard(corpus):
    docs, truth = corpus
    rng = random.Random(3)
    config = M.MinHashConfig(num_perm=256, bands=32, rows=8)
    hasher = M.MinHasher(config)
    originals = [d["text"] for i, d in sorted(docs.items())
                 if truth[i]["kind"] == "composed" and "en" in truth[i]["langs"] and len(d["text"]) > 600][:12]
    assert len(originals) >= 8
    for text in originals:
        for rate in (0.02, 0.1, 0.3):
            other = perturb_words(text, rate, rng)
            exact = M.exact_jaccard(text, other, config)
            est = M.estimate_jaccard(hasher.signature(text), hasher.signature(other))
            sd = max((exact * (1 - exact) / config.num_perm) ** 0.5, 0.01)
            assert abs(est - exact) < 4.5 * sd, (rate, exact, est)
    assert M.estimate_jaccard(np.arange(4), np.arange(4)) == 1.0
    assert M.estimate_jaccard(np.array([1, 2, 3, 4]), np.array([1, 0, 3, 0])) == 0.5
    with pytest.raises(ValueError):
        M.estimate_jaccard(np.arange(4), np.arange(5))


def test_planted_near_duplicates_share_a_bucket_in_every_script(corpus):
    """Truth near-dups with jaccard5 >= 0.8 (unspaced scripts included) share a band key with
    their original; unrelated documents rarely do."""
    docs, truth = corpus
    config = M.MinHashConfig()
    hasher = M.MinHasher(config)
    ids = sorted(docs)
    sigs = dict(zip(ids, hasher.signatures([docs[i]["text"] for i in ids])))
    keys = {i: set(M.band_keys(sigs[i], config)) for i in ids}
    pairs = [(i, truth[i]["dup_of"]) for i in ids
             if truth[i]["kind"] == "near_dup" and truth[i]["jaccard5"] >= 0.8]
    cjk = [p for p in pairs if truth[p[0]]["langs"][0] in ("zh", "ja", "th")]
    assert len(pairs) >= 10 and cjk
    assert all(keys[a] & keys[b] for a, b in pairs)
    exact = [(i, truth[i]["dup_of"]) for i in ids if truth[i]["kind"] == "exact_dup"]
    assert exact and all(np.array_equal(sigs[a], sigs[b]) for a, b in exact)
    # unrelated pages/composed docs: a bucket collision between them is rare
    base = [i for i in ids if truth[i]["kind"] in ("page", "composed")][:120]
    collide = sum(1 for x in range(len(base)) for y in range(x + 1, len(base))
                  if keys[base[x]] & keys[base[y]])
    assert collide <= 3


def perturb_chars(text, rate, rng):
    out = []
    for ch in text:
        r = rng.random()
        if r < rate / 2:
            continue
        out.append(rng.choice(text) if r < rate else ch)
    return "".join(out)


def test_unspaced_scripts_char_ngrams_track_truth_jaccard(corpus):
    """Character-level edits of real zh/ja/th text: our shingle Jaccard stays close to the
    corpus' own 5-character Jaccard, and light edits land in a shared bucket."""
    import importlib.util
    from tests.conftest import SHARED

    spec = importlib.util.spec_from_file_location("make_corpus", SHARED / "bench" / "make_corpus.py")
    mc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mc)
    docs, truth = corpus
    config = M.MinHashConfig()
    hasher = M.MinHasher(config)
    rng = random.Random(11)
    seen = set()
    for doc_id in sorted(docs):
        lang = truth[doc_id]["langs"][0]
        text = docs[doc_id]["text"]
        if lang not in ("zh", "ja", "th") or truth[doc_id]["kind"] != "composed" or len(text) < 150:
            continue
        seen.add(lang)
        for rate in (0.005, 0.01, 0.05):
            other = perturb_chars(text, rate, rng)
            truth_j = mc.jaccard5(text, other, lang)
            ours = M.exact_jaccard(text, other, config)
            assert abs(ours - truth_j) < 0.06, (lang, rate, ours, truth_j)
            if truth_j >= 0.85:
                a, b = hasher.signature(text), hasher.signature(other)
                assert set(M.band_keys(a, config)) & set(M.band_keys(b, config))
                assert M.estimate_jaccard(a, b) >= config.verify_threshold
    assert "zh" in seen


def test_very_long_documents_are_truncated_for_shingling():
    counts = {}

    def count(name, n=1):
        counts[name] = counts.get(name, 0) + n

    words = " ".join(f"w{i}" for i in range(3000))
    hasher = M.MinHasher(max_doc_chars=1000)
    sig = hasher.signatures([words, "short text here"], count=count)
    np.testing.assert_array_equal(sig[0], M.MinHasher().signature(words[:1000]))
    assert counts["minhash_truncated_docs"] == 1
    assert not np.array_equal(sig[0], M.MinHasher().signature(words))
    with pytest.raises(ValueError):
        M.MinHasher(max_doc_chars=0)


# ---- vectorized one-time tables equal their per-code-point definitions -----------------------

def _reference_char_classes():
    import unicodedata
    table = np.full(0x110000, M.WORD, dtype=np.uint8)
    for cp in range(0x30000):
        cat = unicodedata.category(chr(cp))
        if cat[0] in "PSZ" or cat in ("Cc", "Cs"):
            table[cp] = M.SEP
        elif cat == "Cf":
            table[cp] = M.IGNORE
    for lo, hi in M._UNSPACED_RANGES:
        block = table[lo:hi + 1]
        block[block == M.WORD] = M.UNSPACED
    table[0xE0000:0xE1000] = M.IGNORE
    for cp in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x85, 0x200B):
        table[cp] = M.SEP
    table[0xFE00:0xFE10] = M.IGNORE
    table[0x180B:0x1810] = M.IGNORE
    return table


def test_char_classes_equal_per_code_point_definition():
    assert np.array_equal(M.char_classes(), _reference_char_classes())
    import unicodedata
    cats = M.unicode_categories()
    for cp in list(range(0, 0x30000, 97)) + [0xAD, 0x3000, 0xD800, 0xFEFF, 0x2FFFF]:
        assert M.CATEGORY_NAMES[cats[cp]] == unicodedata.category(chr(cp))
    assert M.space_code_points().tolist() == [c for c in range(0x30000) if chr(c).isspace()]


def test_nfkc_tables_equal_per_code_point_normalization():
    import unicodedata
    single, length, offset, flat = M._nfkc_tables()
    flat_ref = []
    for cp in range(1, 0x30000):
        if 0xD800 <= cp < 0xE000:
            continue
        mapped = unicodedata.normalize("NFKC", chr(cp))
        if len(mapped) == 1:
            assert single[cp] == ord(mapped) and length[cp] == 1, hex(cp)
        else:
            assert length[cp] == len(mapped) and offset[cp] == len(flat_ref), hex(cp)
            flat_ref.extend(ord(c) for c in mapped)
    assert flat.tolist() == flat_ref and flat.dtype == np.uint32
    assert single[0x30000] == 0x30000 and length[0x10FFFF] == 1


def test_normalize_equals_nfkc_then_casefold():
    """normalize() calls casefold directly (no lower + "needs casefold?" regex): equal to the
    definition on every code point alone, and in context (final sigma, ß, ligatures, combining
    sequences, full-width forms)."""
    import unicodedata
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        assert M.normalize("a" + ch) == unicodedata.normalize("NFKC", "a" + ch).casefold(), hex(cp)
        assert ch.lower().casefold() == ch.casefold(), hex(cp)  # so the old lower()-first path agrees
    for text in ("ΣΟΦΙΑΣ σοφίας ΌΣΟΣ", "STRASSE Straße ẞ", "ﬁne ﬂow Ǆ ǅ", "e\u0301 Å ＡＢＣ１２３", "İstanbul ŉ ΐ"):
        assert M.normalize(text) == unicodedata.normalize("NFKC", text).casefold()


def test_signatures_from_shared_normalized_texts(corpus):
    """signatures(texts, normalized=[normalize(t)]) equals signatures(texts), also with
    truncated documents (the truncated text is normalized again) and tiny batches."""
    docs, _ = corpus
    texts = ["\ufeffBOM first, ignored", "\u00ad"] + [d["text"] for _, d in sorted(docs.items())][:150]
    texts += ["", "…", "ＡＢＣ，ｄｅｆ。" * 30, "\u200bzero width\ufe0f and \u200c joiner\u00ad"]
    norm = [M.normalize(t) for t in texts]
    hasher = M.MinHasher()
    expected = hasher.signatures(texts)
    assert np.array_equal(hasher.signatures(texts, normalized=norm), expected)
    tiny = M.MinHasher(max_chars_per_batch=700, max_shingles_per_block=37, max_doc_chars=900)
    counts = Counter()
    got = tiny.signatures(texts, count=lambda name, n=1: counts.update({name: n}), normalized=norm)
    assert np.array_equal(got, tiny.signatures(texts))
    assert np.array_equal(got, M.MinHasher().signatures([t[:900] for t in texts]))
    assert counts["minhash_truncated_docs"] == sum(len(t) > 900 for t in texts) > 0
    with pytest.raises(ValueError):
        hasher.signatures(texts, normalized=norm[:-1])


def test_optimal_param_equals_datasketch_without_importing_it():
    cases = [(t, n, w) for n in (1, 7, 32, 128, 200) for t in (0.1, 0.35, 0.5, 0.7, 0.85, 0.95)
             for w in ((0.5, 0.5), (0.1, 0.9), (0.8, 0.2))]
    for t, n, (fp, fn) in cases:
        M._optimal_param.cache_clear()
        assert M._optimal_param(t, n, fp, fn) == tuple(_optimal_param(t, n, fp, fn)), (t, n, fp, fn)
    # the default config (20 bands x 6 rows) is decided by the numpy path, not by datasketch
    errors, b, r = M._weighted_errors(0.7, 128, 0.1, 0.9)
    best = int(np.argmin(errors))
    assert (int(b[best]), int(r[best])) == (20, 6)
    assert np.sort(errors)[1] - errors[best] > M._OPTIMAL_PARAM_MARGIN

