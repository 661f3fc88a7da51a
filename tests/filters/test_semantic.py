"""filters/semantic.py (LSH parameters, band keys, pairs, spherical k-means, top terms) and the
semantic dedup policies of filters/selection.py."""
import numpy as np
import pytest

from filters.selection import SelectionConfig, select
from filters.semantic import (SemanticDedupConfig, TopicConfig, assign, auto_k, band_keys, candidate_probability,
                              hyperplanes, lsh_params, similar_pairs, spherical_kmeans, top_terms)
from tests.filters.test_selection import doc


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.mark.parametrize("threshold", [0.8, 0.9, 0.95])
def test_lsh_params_follow_the_threshold(threshold):
    bands, rows = lsh_params(threshold, 768, 12)
    assert bands * rows <= 768 and rows >= 12
    assert candidate_probability(min(1.0, threshold + 0.04), bands, rows) > 0.9
    assert candidate_probability(threshold - 0.3, bands, rows) < 0.15
    assert candidate_probability(0.0, bands, rows) < 0.01
    assert SemanticDedupConfig(threshold=threshold).params == (bands, rows)
    assert SemanticDedupConfig(bands=4, rows=8).params == (4, 8)
    with pytest.raises(ValueError):
        SemanticDedupConfig(bands=4)


def test_band_keys_collide_for_close_vectors_only():
    rng = np.random.default_rng(3)
    base = _unit(rng.standard_normal((50, 32)).astype(np.float32))
    close = _unit(base + 0.05 * rng.standard_normal(base.shape).astype(np.float32))
    planes = hyperplanes(32, 10 * 12, seed=7)
    assert np.array_equal(planes, hyperplanes(32, 120, seed=7))
    ka, kb = band_keys(base, planes, 10, 12), band_keys(close, planes, 10, 12)
    assert ka.shape == (50, 10)
    shared = (ka == kb).any(axis=1)
    assert shared.mean() > 0.9
    # unrelated vectors rarely share a bucket (random pairs: about 10 * 2**-12 each)
    pairs_sharing = sum(bool(np.isin(ka[i], ka[j]).any()) for i in range(50) for j in range(i + 1, 50))
    assert pairs_sharing < 0.02 * 50 * 49 / 2
    same = np.repeat(base[:1], 2, axis=0)
    assert np.array_equal(*band_keys(same, planes, 10, 12))


def test_similar_pairs():
    v = _unit(np.array([[1, 0], [0.99, 0.1], [0, 1]], dtype=np.float32))
    assert similar_pairs(v, 0.95) == [(0, 1)]
    assert similar_pairs(v[:1], 0.5) == []


def test_spherical_kmeans_finds_planted_directions_deterministically():
    rng = np.random.default_rng(0)
    centres = _unit(rng.standard_normal((3, 16)))
    labels = np.repeat([0, 1, 2], 40)
    x = _unit(centres[labels] + 0.3 * rng.standard_normal((120, 16)))
    c1 = spherical_kmeans(x, 3, seed=5)
    assert np.array_equal(c1, spherical_kmeans(x, 3, seed=5))
    pred, dist = assign(x, c1)
    # each planted group maps to one cluster
    assert all(len(set(pred[labels == g].tolist())) == 1 for g in range(3))
    assert len(set(pred.tolist())) == 3 and (dist >= -1e-6).all() and (dist < 1).all()
    assert spherical_kmeans(x[:2], 5).shape[0] <= 2


def test_auto_k_and_top_terms():
    cfg = TopicConfig()
    assert auto_k(10, cfg) == 2 and auto_k(5000, cfg) == 10 and auto_k(10 ** 7, cfg) == cfg.max_k
    assert auto_k(100, TopicConfig(k=7)) == 7 and not TopicConfig(k=-1).enabled
    docs = [["river", "boat", "the"]] * 4 + [["goal", "match", "the"]] * 4 + [["vote", "law", "the"]] * 4
    terms = top_terms(docs, np.array([0] * 4 + [1] * 4 + [2] * 4), 3, n_terms=2, min_count=2)
    assert [set(t) for t in terms] == [{"river", "boat"}, {"goal", "match"}, {"vote", "law"}]   # never "the"


def test_semantic_dedup_policies():
    base = {"cluster_id": "a", "cluster_size": 1, "is_representative": True, "representative_id": "b"}
    member = dict(base, semantic_cluster_id="a", semantic_cluster_size=4, semantic_representative_id="a")
    d = doc(id="b")
    cfg = SelectionConfig(min_chars=10)
    assert select(d, member, None, cfg).weight_factor == 1.0           # default: MinHash only
    rej = select(d, member, None, SelectionConfig(min_chars=10, dedup_policy="semantic_representatives"))
    assert not rej.keep and rej.reason == "semantic_duplicate"
    kept = select(doc(id="a"), member, None, SelectionConfig(min_chars=10, dedup_policy="semantic_representatives"))
    assert kept.keep
    down = select(d, member, None, SelectionConfig(min_chars=10, dedup_policy="semantic_downweight"))
    assert down.keep and down.weight_factor == pytest.approx(0.25) and "downweight:semantic_cluster" in down.actions
    half = SelectionConfig(min_chars=10, dedup_policy="semantic_downweight", semantic_downweight_exponent=0.5)
    assert select(d, member, None, half).weight_factor == pytest.approx(0.5)
    # a MinHash duplicate is still rejected under the semantic policies
    dup = dict(member, cluster_size=2, is_representative=False)
    assert select(d, dup, None, SelectionConfig(min_chars=10, dedup_policy="semantic_downweight")).reason == "duplicate"
    with pytest.raises(ValueError):
        SelectionConfig(semantic_downweight_exponent=-1)


def test_topic_table_and_size_weight():
    from filters.sampling import MixtureConfig, topic_table, topic_weight
    table = topic_table({"en:0": 60, "en:1": 30, "en:2": 10, "de:0": 5}, {"en:0": 0.2})
    assert table["en:0"]["share"] == 0.6 and table["de:0"]["share"] == 1.0 and table["en:0"]["cutoff"] == 0.2
    assert topic_weight(0.6, 60, 100 / 3, MixtureConfig(topic_cap=0.3)) == 1.0   # the cap is not per document
    power = MixtureConfig(topic_size_exponent=1.0)
    assert topic_weight(0.6, 60, 30, power) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        MixtureConfig(topic_cap=1.5)


def test_topic_cap_lands_on_the_mixture_share():
    from filters.sampling import topic_cap_plan, topic_cap_scales, topic_mixture_shares
    # two buckets (tiers) of one language with different targets and topic mixes; "" = no topic
    targets = {"hi": 100.0, "lo": 50.0}
    weighted = {"hi": {"en:0": 60.0, "en:1": 30.0, "en:2": 10.0}, "lo": {"en:0": 10.0, "en:1": 20.0, "": 20.0}}
    before = topic_mixture_shares(targets, weighted)
    assert before["en:0"] == pytest.approx((100 * 0.6 + 50 * 0.2) / 150)
    new, f = topic_cap_plan(targets, weighted, 0.4)
    after = topic_mixture_shares(new, weighted, f)
    assert set(f) == {"en:0"} and f["en:0"] < 1 and after["en:0"] == pytest.approx(0.4, abs=1e-12)
    assert sum(new.values()) == pytest.approx(150)                  # the language's total stays
    # every other topic (and the documents without one) keeps its proportion to the others
    for a, b in (("en:1", "en:2"), ("en:1", ""), ("en:2", "")):
        assert after[a] / after[b] == pytest.approx(before[a] / before[b], rel=1e-12)
    # and each topic keeps its own spread over the buckets
    for t in ("en:0", "en:1"):
        spread = [new[b] * f.get(t, 1) * weighted[b][t] / sum(f.get(k, 1) * a for k, a in weighted[b].items())
                  for b in ("hi", "lo")]
        plain = [targets[b] * weighted[b][t] / sum(weighted[b].values()) for b in ("hi", "lo")]
        assert spread[0] / spread[1] == pytest.approx(plain[0] / plain[1], rel=1e-12)
    # capping en:0 at 0.3 lifts en:1 over it: both land on the cap, the rest keeps its proportions
    new, f = topic_cap_plan(targets, weighted, 0.3)
    after = topic_mixture_shares(new, weighted, f)
    assert set(f) == {"en:0", "en:1"} and all(after[t] == pytest.approx(0.3, abs=1e-12) for t in f)
    assert after["en:2"] / after[""] == pytest.approx(before["en:2"] / before[""], rel=1e-12)
    # nothing above the cap: nothing moves; a language's only topic is never capped; two topics and
    # a cap below 1/2: equal shares
    assert topic_cap_plan(targets, weighted, 0.6) == (targets, {})
    assert topic_cap_scales({"en:0": 1.0}, 0.4) == {}
    g = topic_cap_scales({"en:0": 0.625, "en:1": 0.375}, 0.4)
    assert 0.625 * g["en:0"] == pytest.approx(0.5) and 0.375 * g["en:1"] == pytest.approx(0.5)


def test_topic_cap_within_max_epochs():
    from filters.sampling import topic_cap_plan, topic_mixture_shares
    # a language filled by one topic, and a small bucket of another: the proportional plan would
    # take the small bucket far past its limit, so the targets move only as far as the limit allows
    targets = {"big": 1000.0, "small": 10.0}
    weighted = {"big": {"la:0": 990.0, "la:1": 10.0}, "small": {"la:1": 10.0}}
    free, _ = topic_cap_plan(targets, weighted, 0.5)
    assert free["small"] > 40                                        # what the cap alone would ask
    new, f = topic_cap_plan(targets, weighted, 0.5, limits={"big": 4000.0, "small": 40.0})
    assert new["small"] == pytest.approx(40.0) and sum(new.values()) == pytest.approx(1010.0)
    after = topic_mixture_shares(new, weighted, f)
    assert after["la:0"] == pytest.approx(0.5, abs=1e-9) and set(f) == {"la:0"}
    # limits that are not reached change nothing
    assert topic_cap_plan(targets, weighted, 0.5, limits={"big": 1e9, "small": 1e9}) == topic_cap_plan(
        targets, weighted, 0.5)
