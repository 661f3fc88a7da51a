"""``thresher export megatron`` on the 3k corpus's manifest: the files are in the layout Megatron's
``tools/preprocess_data.py`` reads (JSONL with a ``text`` key, one file per output prefix), each
document appears as many times as the ManifestReader gives it copies in epoch 0, and blend.txt
names the ``<prefix>_text_document`` files that preprocessing writes, weighted to the manifest's
token shares. (megatron-core needs a CUDA torch build that these machines do not install, so the
layout is checked against its documentation, not its code.)"""
import json
from collections import Counter

import pyarrow.parquet as pq

from pipeline.cli import main
from pipeline.manifest_reader import ManifestReader


def test_megatron_export_matches_the_reader_and_the_mixture(stages_3000, tmp_path, capsys):
    manifest_dir, out = stages_3000["manifest"], tmp_path / "megatron"
    assert main(["export", "megatron", "--manifest", str(manifest_dir), "--output", str(out),
                 "--progress_interval=0"]) == 0
    stats = json.loads(capsys.readouterr().out)
    manifest = json.loads((manifest_dir / "manifest.json").read_text())
    reader = ManifestReader(manifest_dir)
    expected = Counter(item[1] for item in reader.items())
    exported, by_prefix = Counter(), {}
    for path in sorted(out.glob("*.jsonl")):
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert lines and all(isinstance(r["text"], str) and r["text"] for r in lines)
        exported.update(r["id"] for r in lines)
        by_prefix[path.stem] = len(lines)
    assert exported == expected and len(expected) > 1000
    assert sum(by_prefix.values()) == stats["copies"] == reader.total_items
    blend = [line.split() for line in (out / "blend.txt").read_text().splitlines()]
    weights = {prefix: float(w) for w, prefix in blend}
    assert abs(sum(weights.values()) - 1) < 1e-6
    assert {p for p in weights} == {str(out / f"{stem}_text_document") for stem in by_prefix}
    target = {b["name"].replace("/", "__"): b["target_tokens"] for b in manifest["buckets"] if b.get("shards")}
    total = sum(target.values())
    for prefix, w in weights.items():
        stem = prefix.rsplit("/", 1)[1][: -len("_text_document")]
        assert abs(w - target[stem] / total) < 0.005, stem


def test_hugging_face_datasets_recipe_reproduces_the_token_shares(stages_3000, tmp_path, monkeypatch):
    """The README's recipe: one dataset per bucket, repeated, interleaved with the manifest's
    ``doc_probability``; the token shares drawn match ``token_share`` within 2 points."""
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from datasets import Dataset, interleave_datasets

    manifest_dir = stages_3000["manifest"]
    manifest = json.loads((manifest_dir / "manifest.json").read_text())
    buckets = [b for b in manifest["buckets"] if b.get("shards")]
    parts = [Dataset.from_parquet([str(manifest_dir / s) for s in b["shards"]], columns=["id", "bucket"],
                                  cache_dir=str(tmp_path / "hf")).to_iterable_dataset().repeat(None)
             for b in buckets]
    mixed = interleave_datasets(parts, probabilities=[b["doc_probability"] for b in buckets], seed=0)
    index = pq.read_table(manifest_dir / "index", columns=["id", "tokens"])
    tokens = dict(zip(index["id"].to_pylist(), index["tokens"].to_pylist()))
    drawn = Counter()
    for row in mixed.take(40_000):
        drawn[row["bucket"]] += tokens[row["id"]]
    total = sum(drawn.values())
    worst = max(abs(drawn[b["name"]] / total - b["token_share"]) for b in buckets)
    assert worst < 0.02, worst
    assert abs(sum(b["token_share"] for b in buckets) - 1) < 1e-9
