"""filters.sampling: token estimates, tokenizer loading, mixture planning, document repeats, copies."""
import dataclasses
import math
import re
import sys

import numpy as np
import pytest

from filters.sampling import (CHARS_PER_TOKEN, SCRIPTS, BucketStats, InfeasibleMixture, MixtureConfig, doc_repeats,
                              doc_weights, estimate_tokens, estimate_tokens_many, load_token_counter, plan_buckets,
                              realize_copies, script_counts, waterfill)

EN = "The committee published its annual report on regional water quality yesterday. "
FR = "Le comité a publié hier son rapport annuel sur la qualité de l'eau régionale. "
ZH = "委员会昨天发布了关于区域水质的年度报告，报告指出情况有所改善。"
RU = "Комитет вчера опубликовал ежегодный доклад о качестве воды в регионе. "


# --------------------------------------------------------------------------- estimate_tokens

def test_script_counts_classify_each_script():
    text = "aÉ Ωα Жж אב بت कख กข 中文 かカ 한글 😀 12,"
    counts = dict(zip(SCRIPTS, script_counts(text).tolist()))
    assert counts["latin"] == 2 and counts["greek"] == 2 and counts["cyrillic"] == 2
    assert counts["hebrew"] == 2 and counts["arabic"] == 2 and counts["indic"] == 2 and counts["sea"] == 2
    assert counts["han"] == 2 and counts["kana"] == 2 and counts["hangul"] == 2 and counts["other"] == 1
    assert counts["common"] == text.count(" ") + 3
    assert sum(counts.values()) == len(text)


def test_estimate_per_script_ratio():
    from filters.sampling import lang_chars_per_token
    en, fr, zh, ru = EN * 20, FR * 20, ZH * 20, RU * 20
    table = lang_chars_per_token()
    # a language in the calibrated table: its measured ratio for its own script
    assert estimate_tokens(en, "en") == round(len(en) / table["en"][1])
    assert estimate_tokens(fr, "fr") == round(len(fr) / table["fr"][1])
    assert estimate_tokens(zh, "zh") == round(len(zh) / table["zh"][1])  # punctuation shares the Han ratio
    assert estimate_tokens(ru, "ru-RU") == round(len(ru) / table["ru"][1])
    # no language, or one outside the table: the per-script defaults
    assert estimate_tokens(en, None) == round(len(en) / 4.0)
    assert estimate_tokens(fr, "qaa") == round(len(fr) / CHARS_PER_TOKEN["latin"])
    assert estimate_tokens(zh, "qaa") == round(len(zh) / CHARS_PER_TOKEN["han"])
    assert estimate_tokens(ru, "qaa") == round(len(ru) / CHARS_PER_TOKEN["cyrillic"])
    # Japanese is calibrated over both its scripts
    assert table["ja"][0] == ("kana", "han")
    # about one token per 1-1.5 Han characters, ~4 English characters per token
    han = len(re.findall(r"[\u4e00-\u9fff]", zh))
    assert han / 1.5 <= estimate_tokens(zh, "zh") <= han * 1.1


def test_estimate_mixed_text_adds_up_and_edge_cases():
    mixed = EN * 10 + ZH * 10
    parts = estimate_tokens(EN * 10, "en") + estimate_tokens(ZH * 10, "en")
    assert abs(estimate_tokens(mixed, "en") - parts) <= 0.05 * parts
    assert estimate_tokens("", "en") == 0
    assert estimate_tokens("a", "en") == 1
    assert estimate_tokens("123456789", None) == 3
    assert estimate_tokens("∑∑∑∑", None) == 4  # other symbols: ~1 token per character
    assert estimate_tokens_many([EN, ZH], ["en", "zh"]) == [estimate_tokens(EN, "en"), estimate_tokens(ZH, "zh")]
    with pytest.raises(ValueError):
        estimate_tokens_many([EN], ["en", "fr"])
    # lone surrogates (possible in Python str) do not crash
    assert estimate_tokens("abc\ud800def", "en") >= 1


# --------------------------------------------------------------------------- real tokenizers

SENTENCES = [EN, FR, "the report says water quality improved", "le rapport dit que la qualité s'est améliorée",
             "annual report on water", "quality of the water in the region"] * 5


def test_hf_tokenizer_counter(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")  # optional dependency; installed in the dev venv
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(SENTENCES, trainers.WordLevelTrainer(special_tokens=["[UNK]"]))
    tok.save(str(tmp_path / "tokenizer.json"))
    texts = ["The report, on water quality!", "unseen words count too", "", EN * 3]
    expected = [len(re.findall(r"\w+|[^\w\s]+", t)) for t in texts]  # what the Whitespace pre-tokenizer splits
    assert load_token_counter(tmp_path / "tokenizer.json")(texts) == expected
    assert load_token_counter(str(tmp_path))(texts) == expected  # a directory holding tokenizer.json


def test_sentencepiece_counter(tmp_path):
    spm = pytest.importorskip("sentencepiece")
    spm.SentencePieceTrainer.train(sentence_iterator=iter(SENTENCES), model_prefix=str(tmp_path / "sp"),
                                   vocab_size=60, model_type="unigram", hard_vocab_limit=False,
                                   minloglevel=2)
    count = load_token_counter(tmp_path / "sp.model")
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "sp.model"))
    texts = ["water quality report", EN, EN * 4]
    got = count(texts)
    assert got == [len(sp.encode(t)) for t in texts]
    assert 0 < got[0] < got[1] < got[2]


def test_missing_tokenizer_package_is_named(tmp_path, monkeypatch):
    (tmp_path / "tokenizer.json").write_text("{}")
    (tmp_path / "x.model").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "tokenizers", None)
    monkeypatch.setitem(sys.modules, "sentencepiece", None)
    with pytest.raises(ImportError, match="pip install tokenizers"):
        load_token_counter(tmp_path / "tokenizer.json")
    with pytest.raises(ImportError, match="pip install sentencepiece"):
        load_token_counter(tmp_path / "x.model")
    with pytest.raises(FileNotFoundError):
        load_token_counter(tmp_path / "nope.json")
    (tmp_path / "vocab.txt").write_text("a\n")
    with pytest.raises(ValueError, match="unknown tokenizer file"):
        load_token_counter(tmp_path / "vocab.txt")


# --------------------------------------------------------------------------- MixtureConfig

@pytest.mark.parametrize("kwargs", [
    {"source_ratios": {"a": 0.7, "b": 0.4}}, {"source_ratios": {"a": -0.1}}, {"source_ratios": {"a": "x"}},
    {"language_temperature": 0.0}, {"language_temperature": 1.5}, {"tier_multipliers": {"low": -1}},
    {"tier_multipliers": {"low": math.inf}}, {"quality_exponent": -1}, {"cluster_size_exponent": math.nan},
    {"max_epochs": 0}, {"token_budget": 0}, {"token_budget": 10.5}, {"seed": 1.5},
])
def test_config_validation(kwargs):
    with pytest.raises(ValueError):
        MixtureConfig(**kwargs)


def test_config_is_frozen_and_copies_dicts():
    ratios = {"wiki": 0.2}
    cfg = MixtureConfig(source_ratios=ratios, tier_multipliers={"low": 0.3})
    ratios["wiki"] = 0.9
    assert cfg.source_ratios == {"wiki": 0.2}
    assert cfg.multiplier("low") == 0.3 and cfg.multiplier("high") == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.seed = 3
    assert MixtureConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown mixture keys"):
        MixtureConfig.from_dict({"temprature": 0.5})


# --------------------------------------------------------------------------- plan_buckets

def B(source, lang, tier, tokens):
    return BucketStats(f"{source}/{lang}/{tier}", source, lang, tier, docs=max(1, tokens // 500), chars=tokens * 4,
                       tokens=tokens)


def shares(plans):
    return {p.name: p.target_share for p in plans}


def group(plans, key):
    out = {}
    for p in plans:
        out[key(p)] = out.get(key(p), 0.0) + p.target_share
    return out


def test_natural_shares_at_alpha_one():
    stats = [B("web", "en", "high", 60_000), B("web", "fr", "low", 25_000), B("wiki", "de", "high", 15_000)]
    plans = plan_buckets(stats, MixtureConfig())
    for s, p in zip(stats, plans):
        assert p.name == s.name and p.target_share == pytest.approx(s.tokens / 100_000)
        assert p.target_tokens == s.tokens and p.epochs == pytest.approx(1.0) and p.weight == p.target_share
    assert plan_buckets([], MixtureConfig()) == []


def test_temperature_flattens_language_shares():
    stats = [B("web", "en", "high", 90_000), B("web", "fr", "high", 9_000), B("web", "de", "high", 1_000)]
    n = np.array([90_000, 9_000, 1_000], dtype=float)

    def lang_shares(alpha):
        return np.array([p.target_share for p in plan_buckets(
            stats, MixtureConfig(language_temperature=alpha, max_epochs=1000))])

    np.testing.assert_allclose(lang_shares(1.0), n / n.sum())
    np.testing.assert_allclose(lang_shares(0.3), n ** 0.3 / (n ** 0.3).sum())
    flat = lang_shares(0.01)
    assert flat.max() - flat.min() < 0.05
    entropy = [-(s * np.log(s)).sum() for s in map(lang_shares, (1.0, 0.7, 0.3, 0.01))]
    assert entropy == sorted(entropy) and entropy[-1] > entropy[0] + 0.5


def test_source_ratios_and_unnamed_remainder():
    stats = [B("web", "en", "high", 70_000), B("web", "fr", "high", 10_000), B("wiki", "en", "high", 5_000),
             B("books", "en", "high", 10_000), B("code", "en", "high", 5_000)]
    plans = plan_buckets(stats, MixtureConfig(source_ratios={"wiki": 0.2, "books": 0.1}))
    src = group(plans, lambda p: p.source)
    assert src["wiki"] == pytest.approx(0.2) and src["books"] == pytest.approx(0.1)
    # web (80k) and code (5k) share the remaining 0.7 in proportion to their size
    assert src["web"] == pytest.approx(0.7 * 80 / 85) and src["code"] == pytest.approx(0.7 * 5 / 85)
    assert sum(p.target_tokens for p in plans) == 100_000
    assert plans[2].epochs == pytest.approx(4.0)  # wiki: 20k of 5k tokens
    # every source named, ratios summing to 0.5: renormalised
    plans = plan_buckets(stats[:3], MixtureConfig(source_ratios={"web": 0.45, "wiki": 0.05}))
    assert group(plans, lambda p: p.source)["wiki"] == pytest.approx(0.1)


def test_tier_multipliers_scale_within_source_language():
    stats = [B("web", "en", "high", 10_000), B("web", "en", "medium", 30_000), B("web", "en", "low", 60_000),
             B("web", "fr", "high", 20_000), B("web", "fr", "junk", 5_000)]
    cfg = MixtureConfig(tier_multipliers={"high": 1.5, "medium": 1.0, "low": 0.3, "junk": 0.0})
    plans = plan_buckets(stats, cfg)
    sh = shares(plans)
    # budget None = natural size of the selected data (junk excluded): 120k tokens
    assert sum(p.target_tokens for p in plans) == 120_000
    assert sh["web/fr/junk"] == 0 and plans[4].target_tokens == 0 and plans[4].epochs == 0
    en = 100 / 120  # language shares keep natural sizes at alpha = 1; multipliers act inside a language
    w = {"high": 10_000 * 1.5, "medium": 30_000 * 1.0, "low": 60_000 * 0.3}
    for tier, x in w.items():
        assert sh[f"web/en/{tier}"] == pytest.approx(en * x / sum(w.values()))
    assert sh["web/fr/high"] == pytest.approx(20 / 120)


def test_max_epochs_waterfills_within_language_then_source():
    # high-quality English is tiny: multiplier 50 demands 50x its size; capped at 3 epochs, rest to 'low'
    stats = [B("web", "en", "high", 1_000), B("web", "en", "low", 99_000), B("wiki", "en", "high", 20_000)]
    cfg = MixtureConfig(tier_multipliers={"high": 50.0}, max_epochs=3.0)
    plans = plan_buckets(stats, cfg)
    assert plans[0].target_tokens == 3_000 and plans[0].epochs == pytest.approx(3.0)
    assert plans[1].target_tokens == 97_000  # web/en keeps its 100k, excess went to the same language
    assert plans[2].target_tokens == 20_000  # another source is untouched
    # a whole language capped: the excess goes to the other languages of that source
    stats = [B("web", "en", "high", 90_000), B("web", "fr", "high", 9_000), B("web", "sw", "high", 1_000),
             B("wiki", "en", "high", 100_000)]
    cfg = MixtureConfig(language_temperature=0.1, max_epochs=5.0, source_ratios={"wiki": 0.5})
    plans = plan_buckets(stats, cfg)
    p = {x.name: x for x in plans}
    assert p["web/sw/high"].epochs == pytest.approx(5.0)  # demanded ~26k tokens of its 1k
    assert max(x.epochs for x in plans) <= 5.0 + 1e-9
    assert group(plans, lambda x: x.source)["web"] == pytest.approx(0.5)
    # uncapped languages keep their temperature proportion
    ratio = p["web/en/high"].target_share / p["web/fr/high"].target_share
    assert ratio == pytest.approx((90_000 / 9_000) ** 0.1)


def test_token_budget_and_caps():
    stats = [B("web", "en", "high", 40_000), B("web", "fr", "high", 10_000)]
    plans = plan_buckets(stats, MixtureConfig(token_budget=150_001, max_epochs=4))
    assert sum(p.target_tokens for p in plans) == 150_001
    assert all(p.target_tokens <= 4 * p.tokens for p in plans)
    assert plans[0].epochs == pytest.approx(3.0, abs=1e-4)


def test_infeasible_names_the_binding_cap():
    stats = [B("web", "en", "high", 90_000), B("wiki", "en", "high", 6_000), B("wiki", "de", "high", 4_000)]
    with pytest.raises(InfeasibleMixture) as e:
        plan_buckets(stats, MixtureConfig(source_ratios={"wiki": 0.5}, max_epochs=4))
    msg = str(e.value)
    for part in ("'wiki'", "max_epochs=4", "50,000", "40,000", "wiki/en/high 6,000 tokens", "wiki/de/high 4,000"):
        assert part in msg, (part, msg)
    with pytest.raises(InfeasibleMixture, match=r"token_budget 500,001 .*max_epochs=5 x 100,000"):
        plan_buckets(stats, MixtureConfig(token_budget=500_001, max_epochs=5))
    with pytest.raises(InfeasibleMixture, match=r"not in source_ratios \('web'\).*0\.95 = 95,000 .*caps them at 90,000"):
        plan_buckets(stats, MixtureConfig(source_ratios={"wiki": 0.05}, max_epochs=1))
    with pytest.raises(InfeasibleMixture, match="'news' has ratio 0.1"):
        plan_buckets(stats, MixtureConfig(source_ratios={"news": 0.1}))
    assert issubclass(InfeasibleMixture, ValueError)


def test_random_plans_meet_their_contract():
    rng = np.random.default_rng(7)
    feasible = 0
    for trial in range(200):
        stats = [B(s, l, t, int(rng.integers(1, 50_000))) for s in ("web", "wiki", "books") for l in ("en", "fr", "zh")
                 for t in ("high", "low") if rng.random() < 0.7]
        if not stats:
            continue
        srcs = sorted({s.source for s in stats})
        ratios = {s: float(rng.uniform(0, 0.4)) for s in srcs if rng.random() < 0.5}
        cfg = MixtureConfig(source_ratios=ratios, language_temperature=float(rng.uniform(0.05, 1.0)),
                            tier_multipliers={"low": float(rng.uniform(0, 2))}, max_epochs=float(rng.uniform(1, 6)),
                            token_budget=int(rng.integers(1, 3 * sum(s.tokens for s in stats))))
        try:
            plans = plan_buckets(stats, cfg)
        except InfeasibleMixture:
            continue
        feasible += 1
        assert sum(p.target_tokens for p in plans) == cfg.token_budget
        assert sum(p.target_share for p in plans) == pytest.approx(1.0)
        assert all(p.epochs <= cfg.max_epochs + 1e-9 for p in plans)
        by_src = group(plans, lambda p: p.source)
        present = {s.source for s in stats if s.tokens * cfg.multiplier(s.tier) > 0}
        if present - set(ratios):
            for s, r in ratios.items():
                if s in present:
                    assert by_src[s] == pytest.approx(r, abs=1e-9)
    assert feasible > 50


# --------------------------------------------------------------------------- documents

def test_doc_weights():
    cfg = MixtureConfig(quality_exponent=2.0, cluster_size_exponent=0.5)
    w = doc_weights([0.5, 1.0, 0.8, None, float("nan"), -1.0], [1, 4, None, 1, 9, 0], cfg)
    mean_q = (0.5 + 1.0 + 0.8 - 1.0) / 4
    np.testing.assert_allclose(w, [0.25, 1 / 2, 0.64, mean_q ** 2, mean_q ** 2 / 3, 0.0])
    assert doc_weights([0.2, 0.9], [1, 100], MixtureConfig()) == [1.0, 1.0]
    with pytest.raises(ValueError):
        doc_weights([0.1], [1, 2], cfg)


def test_doc_repeats_sum_to_target():
    rng = np.random.default_rng(3)
    tokens = rng.integers(10, 3000, size=500)
    weights = rng.uniform(0, 2, size=500)
    for target in (1_000, 250_000, 3_000_000):
        r = np.array(doc_repeats(tokens, weights, target))
        assert (tokens * r).sum() == pytest.approx(target, rel=1e-9)
        np.testing.assert_allclose(r / weights, r[0] / weights[0])
    r = np.array(doc_repeats(tokens, weights, 2_000_000, max_repeats=3.0))
    assert (tokens * r).sum() == pytest.approx(2_000_000) and r.max() <= 3.0 + 1e-9
    with pytest.raises(InfeasibleMixture):
        doc_repeats(tokens, weights, 10 * tokens.sum(), max_repeats=3.0)
    assert doc_repeats([5, 5], [0.0, 0.0], 20) == [2.0, 2.0]  # all-zero weights: uniform
    assert doc_repeats([5, 5], [1.0, 1.0], 0) == [0.0, 0.0]


def test_waterfill():
    x = waterfill(10, [1, 1, 1], [1, 100, 100])
    np.testing.assert_allclose(x, [1, 4.5, 4.5])
    with pytest.raises(ValueError):
        waterfill(10, [1, 1, 0], [3, 3, 100])


# --------------------------------------------------------------------------- realize_copies

def test_realize_copies_exact_totals_and_floor_ceil():
    rng = np.random.default_rng(11)
    for trial in range(50):
        n = int(rng.integers(1, 400))
        repeats = rng.exponential(rng.uniform(0.05, 3), size=n)
        ids = [f"doc-{trial}-{i}" for i in range(n)]
        copies = np.array(realize_copies(ids, repeats.tolist(), seed=trial))
        total = round(repeats.sum())
        assert copies.sum() == total
        scaled = repeats * total / repeats.sum()
        assert (copies >= np.floor(scaled - 1e-9)).all() and (copies <= np.ceil(scaled + 1e-9)).all()


def test_realize_copies_order_independent_and_seeded():
    rng = np.random.default_rng(5)
    ids = [f"id{i:05d}" for i in range(2000)]
    repeats = rng.uniform(0, 0.3, size=2000).tolist()
    a = realize_copies(ids, repeats, seed=42)
    perm = rng.permutation(2000)
    b = realize_copies([ids[i] for i in perm], [repeats[i] for i in perm], seed=42)
    assert [a[i] for i in perm] == b
    c = realize_copies(ids, repeats, seed=43)
    assert sum(c) == sum(a) == round(sum(repeats)) and a != c


def test_realize_copies_down_and_up_sampling():
    ids = [f"d{i}" for i in range(1000)]
    down = realize_copies(ids, [0.1] * 1000, seed=1)
    assert set(down) == {0, 1} and sum(down) == 100
    other = realize_copies(ids, [0.1] * 1000, seed=2)
    assert len({i for i, c in enumerate(down) if c} & {i for i, c in enumerate(other) if c}) < 40  # ~10 by chance
    up = realize_copies(ids, [2.5] * 1000, seed=1)
    assert set(up) == {2, 3} and sum(up) == 2500
    # mixed repeats: each group gets about its expected share
    mixed = realize_copies(ids, [0.5] * 500 + [0.1] * 500, seed=9)
    assert sum(mixed) == 300 and abs(sum(mixed[:500]) - 250) <= 15
    assert realize_copies(ids[:3], [0.0, 0.0, 0.0], seed=1) == [0, 0, 0]
    assert realize_copies([], [], seed=1) == []
    with pytest.raises(ValueError):
        realize_copies(["a"], [-1.0], seed=1)


def test_token_space_rounding_keeps_token_totals():
    import random

    rng = random.Random(5)
    ids = [f"d{i}" for i in range(300)]
    tokens = [rng.choice([50, 200, 900, 12000]) for _ in ids]
    repeats = [rng.uniform(0.3, 1.9) for _ in ids]
    for seed in range(5):
        copies = realize_copies(ids, repeats, seed, tokens=tokens)
        assert all(int(r) <= c <= int(r) + 1 for r, c in zip(repeats, copies))
        expected = sum(r * t for r, t in zip(repeats, tokens))
        realized = sum(c * t for c, t in zip(copies, tokens))
        assert abs(realized - expected) <= max(tokens)
        # independent of input order
        perm = list(range(len(ids)))
        rng.shuffle(perm)
        shuffled = realize_copies([ids[i] for i in perm], [repeats[i] for i in perm], seed,
                                  tokens=[tokens[i] for i in perm])
        assert [shuffled[perm.index(i)] for i in range(len(ids))] == copies
