"""Pieces of the dedup job that run without a pipeline."""
import numpy as np

import filters.minhash as M
from pipeline.beam_io import unpack


def test_b_bit_sketch_estimates_jaccard_like_the_full_signature():
    """The 8-bit sketches LSH buckets carry estimate Jaccard within a few points of full values."""
    import random

    from pipeline.dedup import b_bit_jaccard, b_bit_sketch

    rng = random.Random(3)
    words = [f"w{rng.randrange(5000)}" for _ in range(600)]
    hasher = M.MinHasher(M.MinHashConfig())
    base = " ".join(words)
    for rate in (0.0, 0.05, 0.2, 0.5):
        other = " ".join(w if rng.random() >= rate else f"x{rng.randrange(9999)}" for w in words)
        a, b = hasher.signatures([base, other])
        full = M.estimate_jaccard(a, b)
        sketch = b_bit_jaccard(np.frombuffer(b_bit_sketch(a), dtype=np.uint8),
                               np.frombuffer(b_bit_sketch(b), dtype=np.uint8))
        assert abs(sketch - full) <= 0.03


def test_band_keys_are_equal_exactly_when_a_band_is_equal():
    from filters.minhash import band_key_matrix

    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 1 << 32, size=(50, 128), dtype=np.uint32)
    sigs[1] = sigs[0]
    sigs[2] = rng.integers(0, 1 << 32, size=128, dtype=np.uint32)
    sigs[2, 6:12] = sigs[0, 6:12]  # only band 1 (rows 6..11) shared with doc 0
    keys = band_key_matrix(sigs, 20, 6)
    assert keys.shape == (50, 20) and keys.dtype == np.uint64
    assert (keys[0] == keys[1]).all()
    assert [b for b in range(20) if keys[0, b] == keys[2, b]] == [1]
    # the same values in another band give another key (band index is part of the key)
    sigs[3, 0:6] = sigs[0, 6:12]
    assert band_key_matrix(sigs, 20, 6)[3, 0] != keys[0, 1]
    # all keys of unrelated docs differ
    assert len(set(keys[3:].reshape(-1).tolist())) == keys[3:].size


def test_partition_steps_match_a_dictionary_reference():
    """ExactEdges / the LSH bucket steps / _repeated_units over packed batches give what a plain
    dictionary grouping of the same entries gives."""
    from pipeline.beam_io import pack
    from pipeline.buckets import _send_payloads
    from pipeline.dedup import ExactEdges, PlanLshBuckets, VerifyLshBuckets, _repeat_rows, _repeated_units

    exact_batches = [pack((["b", "a", "c"], np.array([7, 7, 9], dtype=np.uint64))),
                     pack((["d", "e"], np.array([9, 7], dtype=np.uint64)))]
    edges = [e for e in ExactEdges().process((0, exact_batches)) if isinstance(e, tuple)]
    assert sorted(edges) == [("a", "b"), ("a", "e"), ("c", "d")]

    sk = np.zeros((4, 128), dtype=np.uint8)
    sk[1] = sk[0]  # identical sketch -> verified
    sk[2] = np.arange(128, dtype=np.uint8)  # unrelated -> fails verification
    # only (band key, doc id) go through the band grouping; x1, x2, x3 share key 5
    band_batches = [pack((["x1", "x2"], np.array([5, 5], dtype=np.uint64), np.array([0, 1], dtype=np.int32))),
                    pack((["x3", "x4"], np.array([5, 6], dtype=np.uint64), np.array([0, 1], dtype=np.int32)))]
    planned = list(PlanLshBuckets(2, 64).process((7, band_batches)))
    plans = [e for e in planned if isinstance(e, tuple)]
    needs = [e.value for e in planned if getattr(e, "tag", None) == "needs"]
    assert [e.value for e in planned if getattr(e, "tag", None) == "stats"] == [{"lsh_buckets_with_pairs": 1}]
    assert len(plans) == 1 and plans[0][0] == 7
    assert sorted(i for _, blob in needs for i in unpack(blob)[0]) == ["x1", "x2", "x3"]  # not x4
    # the sketch table, keyed by payload shard, joined with the needs
    sent = []
    for shard in (0, 1):
        table = [pack((["x1", "x2", "x3", "x4"], sk))]
        sent += _send_payloads((shard, {"payload": table, "need": [b for s, b in needs if s == shard]}))
    assert {part for part, _ in sent} == {7}
    out = list(VerifyLshBuckets(0.65).process((7, {"plan": [plans[0][1]], "payload": [b for _, b in sent]})))
    assert [e for e in out if isinstance(e, tuple)] == [("x1", "x2")]
    stats = [e.value for e in out if not isinstance(e, tuple)][0]
    assert stats == {"lsh_pairs_failed_verification": 1, "lsh_edges": 1, "lsh_edges_after_local_contraction": 1}

    # unit 11 in 3 docs (twice in d1), unit 22 in 2 docs, unit 33 in 1 doc; min_docs = 3
    units = [pack((["d1", "d2"], np.array([11, 11, 22, 33], dtype=np.uint64), np.array([0, 0, 0, 1], dtype=np.int32),
                   np.array([0, 1, 0, 1], dtype=np.uint8), np.array([0, 10, 0, 5], dtype=np.int32),
                   np.array([9, 20, 9, 8], dtype=np.int32))),
             pack((["d2", "d3"], np.array([11, 22, 11], dtype=np.uint64), np.array([0, 0, 1], dtype=np.int32),
                   np.array([1, 0, 0], dtype=np.uint8), np.array([3, 0, 0], dtype=np.int32),
                   np.array([9, 9, 9], dtype=np.int32))),
             # a site line (kind 2) on the three pages, one more only on d1 and d3
             pack((["d1", "d2", "d3"], np.array([44, 44, 44, 55, 55], dtype=np.uint64),
                   np.array([0, 1, 2, 0, 2], dtype=np.int32), np.full(5, 2, dtype=np.uint8),
                   np.array([30, 31, 32, 50, 50], dtype=np.int32), np.array([40, 41, 42, 60, 60], dtype=np.int32)))]
    by_shard = _repeated_units((0, units), 3, 1)
    rows = _repeat_rows((0, [blob for _, blob in by_shard]))
    assert rows == [
        {"id": "d1", "paragraphs": [{"start": 0, "end": 9, "count": 3}], "sentences": [{"start": 10, "end": 20, "count": 3}],
         "site_lines": [{"start": 30, "end": 40, "count": 3}]},
        {"id": "d2", "paragraphs": [], "sentences": [{"start": 3, "end": 9, "count": 3}],
         "site_lines": [{"start": 31, "end": 41, "count": 3}]},
        {"id": "d3", "paragraphs": [{"start": 0, "end": 9, "count": 3}], "sentences": [],
         "site_lines": [{"start": 32, "end": 42, "count": 3}]},
    ]


def test_local_stars_keep_components_with_fewer_edges():
    from pipeline.dedup import local_stars

    edges = [("c", "b"), ("b", "a"), ("c", "a"), ("a", "c"), ("e", "d"), ("d", "e"), ("f", "f")]
    assert local_stars(edges) == [("a", "b"), ("a", "c"), ("d", "e")]
    assert local_stars([]) == []
    # a long chain in shuffled order becomes one star on its smallest id
    import random
    chain = [(f"n{i:03d}", f"n{i + 1:03d}") for i in range(200)]
    random.Random(1).shuffle(chain)
    star = local_stars(chain)
    assert len(star) == 200 and {a for a, _ in star} == {"n000"}


def test_bucket_partitions_bound_keys_and_payloads():
    """Few partitions (a payload travels once per partition), but enough that neither one
    partition's (key, id) entries nor the payloads it may need exceed the target."""
    from pipeline.buckets import bucket_partitions

    assert bucket_partitions(25_000, 38, 512) == 4
    assert bucket_partitions(100_000, 20, 128) == 4
    for docs, bands, payload in ((1_000_000, 38, 512), (300_000, 20, 128), (5_000_000, 20, 128)):
        p = bucket_partitions(docs, bands, payload)
        assert docs * bands * 48 / p <= 64 << 20
        assert docs * (1 - (1 - 1 / p) ** bands) * payload <= 64 << 20
        assert bucket_partitions(docs, bands, payload, target_bytes=128 << 20) <= p


def test_lsh_verification_over_all_buckets_equals_the_bucket_loop():
    """VerifyLshBuckets' numpy path gives the per-bucket loop's edges, in order, and its failure
    count, with repeated ids, buckets of every size and sketches near the threshold."""
    from pipeline.dedup import VerifyLshBuckets

    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, size=(5, 128), dtype=np.uint8)
    sketches = base[rng.integers(0, 5, size=300)].copy()
    noise = rng.random(sketches.shape) < rng.choice([0.0, 0.2, 0.33, 0.36, 0.5, 1.0], size=(300, 1))
    sketches[noise] = rng.integers(0, 256, size=int(noise.sum()), dtype=np.uint8)
    ids = [f"d{k % 250:03d}" for k in range(300)]            # 50 ids at two positions
    sizes = rng.integers(1, 12, size=60)
    members = rng.integers(0, 300, size=int(sizes.sum()))
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    for threshold in (0.0, 0.5, 0.65, 0.99):
        loop, vec = VerifyLshBuckets(threshold), VerifyLshBuckets(threshold)
        expected = []
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            expected.extend(loop._bucket([(ids[m], m) for m in members[lo:hi].tolist()], sketches))
        assert vec._verified_edges(ids, members, bounds, sketches) == expected
        assert vec.count.flush() == loop.count.flush()


def test_lsh_bucket_plan_equals_the_member_loop():
    """PlanLshBuckets' numpy plan gives the per-bucket ``members`` loop's members, bounds and counts
    (buckets in key order, members by (id, doc index), capped), with repeated ids."""
    from pipeline.buckets import PlanBuckets
    from pipeline.dedup import PlanLshBuckets

    rng = np.random.default_rng(5)
    ids = [f"d{k % 150:03d}" for k in range(200)]
    for n, cap in ((0, 4), (1, 4), (500, 4), (500, 64), (2000, 3)):
        keys = rng.integers(0, max(1, n // 6), size=n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        doc_of = rng.integers(0, 200, size=n).astype(np.int64)
        loop, vec = PlanLshBuckets(4, cap), PlanLshBuckets(4, cap)
        flat, bounds = PlanBuckets.plan(loop, ids, keys, doc_of)
        flat2, bounds2 = vec.plan(ids, keys, doc_of)
        assert list(flat) == list(flat2) and list(bounds) == list(bounds2)
        assert vec.count.flush() == loop.count.flush()
