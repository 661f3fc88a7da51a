"""pipeline.manifest_reader.ManifestReader on small manifests built here (curated + index Parquet + manifest.json)."""
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from filters.sampling import (BucketStats, MixtureConfig, doc_repeats, doc_weights, estimate_tokens, plan_buckets,
                              realize_copies)
from pipeline.manifest_reader import ManifestReader

WORDS = {
    "en": "the of report water quality region committee annual new data city river public school".split(),
    "fr": "le la rapport eau qualité région comité annuel nouvelle données ville rivière école".split(),
    "ru": "доклад вода качество регион комитет ежегодный новый данные город река школа".split(),
    "zh": list("委员会昨天发布关于区域水质年度报告指出情况有所改善城市河流学校数据"),
}
# (source, lang, tier, docs): uneven buckets, from a few docs to ~1000
LAYOUT = [("web", "en", "high", 300), ("web", "en", "medium", 900), ("web", "en", "low", 1000),
          ("web", "fr", "high", 60), ("web", "fr", "low", 240), ("web", "ru", "medium", 150),
          ("web", "zh", "high", 40), ("web", "zh", "low", 160), ("wiki", "en", "high", 200),
          ("wiki", "fr", "high", 50), ("wiki", "zh", "high", 12), ("books", "en", "high", 60)]
CONFIG = MixtureConfig(source_ratios={"wiki": 0.25, "books": 0.05}, language_temperature=0.5,
                       tier_multipliers={"high": 1.5, "medium": 1.0, "low": 0.3}, quality_exponent=1.0,
                       cluster_size_exponent=0.5, max_epochs=6.0, seed=17)


def _text(rng, lang):
    words = WORDS[lang]
    n = int(rng.lognormal(4.5, 0.7))  # ~90 words median, long tail
    sep = "" if lang == "zh" else " "
    return sep.join(words[i] for i in rng.integers(0, len(words), size=max(3, n))) + ("。" if lang == "zh" else ".")


def build_manifest(root: Path, layout=LAYOUT, config=CONFIG, row_group_size=64, seed=0):
    """Write curated shards, index files and manifest.json like the manifest job does; returns
    (plans, {id: text})."""
    rng = np.random.default_rng(seed)
    docs = {}
    for source, lang, tier, n in layout:
        name = f"{source}/{lang}/{tier}"
        for i in range(n):
            text = _text(rng, lang)
            docs.setdefault(name, []).append({
                "id": f"{source}-{lang}-{tier}-{i:05d}", "text": text, "tokens": estimate_tokens(text, lang),
                "quality": float(rng.uniform(0.2, 1.0)), "cluster_size": int(rng.choice([1, 1, 1, 2, 5, 20]))})
    stats = [BucketStats(name, s, l, t, len(docs[name]), sum(len(d["text"]) for d in docs[name]),
                         sum(d["tokens"] for d in docs[name])) for (s, l, t, _), name in
             zip(layout, [f"{s}/{l}/{t}" for s, l, t, _ in layout])]
    plans = plan_buckets(stats, config)
    index_rows, buckets = [], []
    for plan in plans:
        ds = docs[plan.name]
        w = doc_weights([d["quality"] for d in ds], [d["cluster_size"] for d in ds], config)
        reps = doc_repeats([d["tokens"] for d in ds], w, plan.target_tokens)
        nshards = 1 if len(ds) < 100 else 2
        shards = []
        for k in range(nshards):
            part = sorted(((d, wi, ri) for d, wi, ri in zip(ds, w, reps) if hash_shard(d["id"], nshards) == k),
                          key=lambda x: x[0]["id"])
            shard = f"curated/{plan.name}/part-{k:05d}-of-{nshards:05d}.parquet"
            (root / shard).parent.mkdir(parents=True, exist_ok=True)
            table = pa.table({"id": [d["id"] for d, _, _ in part], "text": [d["text"] for d, _, _ in part],
                              "tokens": [d["tokens"] for d, _, _ in part]})
            pq.write_table(table, root / shard, row_group_size=row_group_size)
            shards.append(shard)
            index_rows += [{"id": d["id"], "shard": shard, "row": r, "bucket": plan.name, "weight": wi,
                            "repeats": ri, "tokens": d["tokens"]} for r, (d, wi, ri) in enumerate(part)]
        buckets.append({"name": plan.name, "source": plan.source, "lang": plan.lang, "tier": plan.tier,
                        "docs": plan.docs, "chars": plan.chars, "tokens": plan.tokens,
                        "target_share": plan.target_share, "target_tokens": plan.target_tokens,
                        "weight": plan.weight, "epochs": plan.epochs, "shards": shards})
    (root / "index").mkdir(parents=True, exist_ok=True)
    order = rng.permutation(len(index_rows))  # index files are not in bucket order
    for k, chunk in enumerate(np.array_split(order, 3)):
        pq.write_table(pa.Table.from_pylist([index_rows[i] for i in chunk]), root / "index" / f"part-{k:05d}.parquet")
    manifest = {"format": "thresher-manifest", "version": 1, "schema_version": "1.0", "config_hash": "test",
                "created_at": "2024-01-01T00:00:00+00:00", "seed": config.seed, "inputs": {},
                "token_budget": sum(p.target_tokens for p in plans), "buckets": buckets,
                "totals": {"docs": sum(p.docs for p in plans), "tokens": sum(p.tokens for p in plans),
                           "chars": sum(p.chars for p in plans)}, "index": "index/", "curated": "curated/"}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return plans, {d["id"]: d["text"] for ds in docs.values() for d in ds}


def hash_shard(doc_id, n):
    return sum(doc_id.encode()) % n


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    root = tmp_path_factory.mktemp("manifest")
    plans, texts = build_manifest(root)
    return root, plans, texts


def test_token_shares_match_targets(manifest):
    root, plans, _ = manifest
    reader = ManifestReader(root)
    assert reader.seed == CONFIG.seed
    realized = reader.realized_token_shares()
    target = {p.name: p.target_share for p in plans}
    assert set(realized) == set(target)
    assert len({round(t, 3) for t in target.values()}) > 6  # the mixture is really uneven
    for name, share in target.items():
        assert abs(realized[name] - share) < 0.01, (name, realized[name], share)
    # the items stream realises the same token totals
    tokens = Counter()
    for _, _, bucket, _, tok in reader.items():
        tokens[bucket] += tok
    assert dict(tokens) == {b: t for b, t in reader.realized_tokens().items() if t}
    # upsampled buckets repeat documents, downsampled ones keep a subset
    copies = Counter((b, i) for _, i, b, _, _ in reader.items())
    assert max(c for (b, _), c in copies.items() if b == "books/en/high") >= 2
    assert len({i for b, i in copies if b == "web/en/low"}) < 1000


def test_same_seed_same_order_different_seed_different(manifest):
    root, _, _ = manifest
    a = list(ManifestReader(root).items())
    b = list(ManifestReader(root, seed=CONFIG.seed).items())
    c = list(ManifestReader(root, seed=CONFIG.seed + 1).items())
    d = list(ManifestReader(root, epoch=1).items())
    assert a == b and len(a) > 3000
    assert [x[1:4] for x in a] != [x[1:4] for x in c]
    assert [x[1:4] for x in a] != [x[1:4] for x in d]
    # buckets are interleaved, not consecutive
    first = Counter(x[2] for x in a[:300])
    assert len(first) >= 8


def test_ranks_partition_the_items(manifest):
    root, _, _ = manifest
    whole = [(i, c) for _, i, _, c, _ in ManifestReader(root).items()]
    assert len(set(whole)) == len(whole)
    parts = [[(i, c) for _, i, _, c, _ in ManifestReader(root, rank=r, world_size=4).items()] for r in range(4)]
    sets = [set(p) for p in parts]
    for r in range(4):
        for s in range(r + 1, 4):
            assert not sets[r] & sets[s]
    assert set().union(*sets) == set(whole)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    for r, part in enumerate(parts):  # rank r holds global positions r, r + 4, ...
        assert part == whole[r::4]
    with pytest.raises(ValueError):
        ManifestReader(root, rank=4, world_size=4)


def test_documents_resume_is_the_tail(manifest):
    root, _, texts = manifest
    reader = ManifestReader(root, rank=1, world_size=2, window=97)
    full = list(reader.documents())
    assert [d["position"] for d in full] == list(range(len(reader)))
    assert [(d["id"], d["bucket"], d["copy"]) for d in full] == [x[1:4] for x in reader.items()]
    assert all(d["text"] == texts[d["id"]] for d in full)
    for k in (0, 1, 123, 500, len(full) - 1, len(full)):
        assert list(ManifestReader(root, rank=1, world_size=2, window=50).documents(start=k)) == full[k:]


def test_copies_follow_realize_copies(manifest):
    root, _, _ = manifest
    index = pq.read_table(root / "index").to_pylist()
    reader = ManifestReader(root, epoch=2)
    got = Counter((i, b) for _, i, b, _, _ in reader.items())
    for bucket in {r["bucket"] for r in index}:
        rows = [r for r in index if r["bucket"] == bucket]
        copies = realize_copies([r["id"] for r in rows], [r["repeats"] for r in rows], CONFIG.seed + 2,
                                tokens=[r["tokens"] for r in rows])
        assert {r["id"]: c for r, c in zip(rows, copies) if c} == {i: c for (i, b), c in got.items() if b == bucket}
        # token-space rounding: every document gets floor or ceil of its repeats and the bucket's
        # realized tokens stay within its largest document of the expected tokens
        for r, c in zip(rows, copies):
            assert int(r["repeats"]) <= c <= int(r["repeats"]) + 1
        expected = sum(r["repeats"] * r["tokens"] for r in rows)
        realized = sum(c * r["tokens"] for r, c in zip(rows, copies))
        assert abs(realized - expected) <= max(r["tokens"] for r in rows)


def test_bad_manifests_are_reported(tmp_path):
    layout = [("web", "en", "high", 30), ("wiki", "en", "high", 10)]
    build_manifest(tmp_path, layout=layout, config=MixtureConfig(seed=3))
    assert len(ManifestReader(tmp_path)) == round(sum(
        pq.read_table(tmp_path / "index", columns=["repeats"])["repeats"].to_pylist()))
    # an index row pointing at the wrong row is caught when the text is read
    files = sorted((tmp_path / "index").glob("*.parquet"))
    t = pq.read_table(files[0]).to_pylist()
    t[0]["row"] = (t[0]["row"] + 1) % 10
    pq.write_table(pa.Table.from_pylist(t), files[0])
    with pytest.raises(ValueError, match="index says"):
        list(ManifestReader(tmp_path).documents())
    m = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps({**m, "format": "other"}))
    with pytest.raises(ValueError, match="not a thresher-manifest"):
        ManifestReader(tmp_path)
