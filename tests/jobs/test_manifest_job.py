"""thresher manifest end to end: selection, buckets, weights, the reader, re-running with a new
threshold, infeasible targets, the notebook."""
import json
import shutil
from collections import Counter

import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.manifest_reader import ManifestReader
from schemas import CURATED, MANIFEST_INDEX, REJECTED, validate_table
from tests.jobs.conftest import load_stats, load_truth, run_notebook


def test_every_document_kept_or_rejected_with_reason(stages_3000, corpus_3000):
    m = stages_3000["manifest"]
    curated, rejected = pq.read_table(m / "curated"), pq.read_table(m / "rejected")
    validate_table(curated, CURATED)
    validate_table(rejected, REJECTED)
    annotated = pq.read_table(stages_3000["annotate"] / "docs", columns=["id"]).column("id").to_pylist()
    kept, dropped = curated.column("id").to_pylist(), rejected.column("id").to_pylist()
    assert sorted(kept + dropped) == sorted(annotated)
    stats = load_stats(m, "manifest")
    assert stats["balanced"] and stats["kept"] == len(kept) and stats["rejected"] == len(dropped)
    truth = load_truth(corpus_3000)
    reasons = dict(zip(dropped, rejected.column("reason").to_pylist()))
    # planted exact duplicates never survive next to their original; spam mostly goes
    kept_set = set(kept)
    exact = [t for t in truth.values() if t["kind"] == "exact_dup" and t["id"] in reasons]
    assert len(exact) >= 100
    assert not [t["id"] for t in exact if t["id"] in kept_set and t["dup_of"] in kept_set]
    beside_original = [t for t in exact if t["dup_of"] in kept_set]
    assert len(beside_original) >= 50 and all(reasons[t["id"]] == "duplicate" for t in beside_original)
    spam = [t["id"] for t in truth.values() if t["kind"] in ("spam", "short") and t["id"] in set(annotated)]
    assert len(spam) >= 50 and sum(i in reasons for i in spam) >= 0.8 * len(spam)
    # PII is redacted in the final text
    redactions = [(red, row["text"]) for row in curated.to_pylist() for red in row["redactions"]]
    assert len(redactions) >= 20
    for red, text in redactions:
        assert f"<{red['type'].upper()}>" in text


def test_manifest_json_and_index(stages_3000):
    m = stages_3000["manifest"]
    manifest = json.loads((m / "manifest.json").read_text())
    assert manifest["format"] == "thresher-manifest" and manifest["schema_version"]
    assert {"config_hash", "created_at", "seed", "inputs", "token_budget"} <= set(manifest)
    assert abs(sum(b["target_share"] for b in manifest["buckets"]) - 1) < 1e-9
    index = pq.read_table(m / "index")
    validate_table(index, MANIFEST_INDEX)
    assert index.num_rows == manifest["totals"]["docs"]
    shards = {s for b in manifest["buckets"] for s in b["shards"]}
    assert set(index.column("shard").to_pylist()) == shards
    for b in manifest["buckets"]:
        assert b["name"].count("/") == 2 and b["epochs"] <= 4.0 + 1e-9
    lines = (m / "blend.txt").read_text().split()
    assert abs(sum(map(float, lines[0::2])) - 1) < 1e-6 and set(lines[1::2]) == {s[:-8] for s in shards}


def test_reader_realizes_target_shares_deterministically(stages_3000):
    m = stages_3000["manifest"]
    manifest = json.loads((m / "manifest.json").read_text())
    reader = ManifestReader(m, seed=7)
    shares = reader.realized_token_shares()
    for b in manifest["buckets"]:
        assert abs(shares.get(b["name"], 0.0) - b["target_share"]) <= 0.01, b["name"]
    order = [i[1:4] for i in reader.items()]
    assert order == [i[1:4] for i in ManifestReader(m, seed=7).items()]
    assert order != [i[1:4] for i in ManifestReader(m, seed=8).items()]
    ranks = [[i[1:4] for i in ManifestReader(m, seed=7, rank=r, world_size=3).items()] for r in range(3)]
    assert sorted(sum(ranks, [])) == sorted(order) and sum(map(len, ranks)) == len(order)
    docs = list(ManifestReader(m, seed=7, rank=1, world_size=3).documents())
    tail = list(ManifestReader(m, seed=7, rank=1, world_size=3).documents(start=len(docs) // 2))
    assert tail == docs[len(docs) // 2:] and all(d["text"] for d in tail)


def test_new_threshold_reruns_only_the_manifest(stages_3000, tmp_path):
    before = {s: (stages_3000[s] / "_STAGE_COMPLETE.json").read_text() for s in ("annotate", "dedup")}
    config = tmp_path / "strict.yaml"
    config.write_text("manifest:\n  selection:\n    min_quality: 0.7\n")
    out = tmp_path / "manifest"
    assert main(["manifest", "--annotated", str(stages_3000["annotate"]), "--dedup", str(stages_3000["dedup"]),
                 "--output", str(out), "--config", str(config)]) == 0
    strict, default = load_stats(out, "manifest"), load_stats(stages_3000["manifest"], "manifest")
    assert strict["kept"] < default["kept"]
    assert strict["rejected_by_reason"]["quality_low"] > default["rejected_by_reason"].get("quality_low", 0)
    assert {s: (stages_3000[s] / "_STAGE_COMPLETE.json").read_text() for s in ("annotate", "dedup")} == before
    assert json.loads((out / "manifest.json").read_text())["config_hash"] != \
        json.loads((stages_3000["manifest"] / "manifest.json").read_text())["config_hash"]


def test_infeasible_target_names_the_binding_cap(stages_3000, tmp_path, capsys):
    config = tmp_path / "greedy.yaml"
    config.write_text("manifest:\n  mixture:\n    max_epochs: 1.5\n    token_budget: 100000000000\n")
    code = main(["manifest", "--annotated", str(stages_3000["annotate"]), "--dedup", str(stages_3000["dedup"]),
                 "--output", str(tmp_path / "m"), "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2 and "max_epochs" in err and "100000000000" in err.replace(",", "")


def test_notebook_runs_clean(stages_3000, tmp_path):
    nb = run_notebook(stages_3000["manifest"], tmp_path)
    outputs = "".join(str(o) for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", []))
    assert "target_share" in outputs and "Error" not in outputs


def test_small_shards_and_orphan_dedup_rows(stages_3000, tmp_path):
    """Buckets split over several shards hold the same documents as one shard each; a dedup row
    whose document is missing becomes an error row; no temporary spill files are left."""
    from schemas import CLUSTERS
    from pipeline.beam_io import write_parquet

    dedup = tmp_path / "dedup"
    shutil.copytree(stages_3000["dedup"], dedup)
    write_parquet(str(dedup / "clusters" / "part-99999-of-99999.parquet"),
                  [{"id": "no-such-doc", "cluster_id": "no-such-doc", "cluster_size": 1, "is_representative": True,
                    "match": "none"}], CLUSTERS)
    config = tmp_path / "small.yaml"
    config.write_text("manifest:\n  shard_target_mb: 1\n")
    out = tmp_path / "manifest"
    assert main(["manifest", "--annotated", str(stages_3000["annotate"]), "--dedup", str(dedup),
                 "--output", str(out), "--config", str(config)]) == 0
    assert not (out / "_tmp").exists()
    errors = pq.read_table(out / "errors").to_pylist()
    assert [(e["reason"], e["detail"]) for e in errors] == [("orphan_dedup_row", "no-such-doc")]
    default = pq.read_table(stages_3000["manifest"] / "curated").sort_by("id")
    small = pq.read_table(out / "curated").sort_by("id")
    assert small.column("id").to_pylist() == default.column("id").to_pylist()
    assert small.column("text").to_pylist() == default.column("text").to_pylist()
    manifest = json.loads((out / "manifest.json").read_text())
    assert max(len(b["shards"]) for b in manifest["buckets"]) > 1
    index = pq.read_table(out / "index").to_pylist()
    files = {}
    for row in index[:: max(1, len(index) // 200)]:
        path = out / row["shard"]
        table = files.setdefault(row["shard"], pq.read_table(path))
        assert table.column("id")[row["row"]].as_py() == row["id"]
    for name, table in files.items():
        ids = table.column("id").to_pylist()
        assert ids == sorted(ids)


def test_duplicate_reasons_name_the_kept_representative(stages_3000):
    import pyarrow.parquet as pq

    m = stages_3000["manifest"]
    kept = set(pq.read_table(m / "curated", columns=["id"]).column("id").to_pylist())
    dups = [r for r in pq.read_table(m / "rejected").to_pylist() if r["reason"] == "duplicate"]
    clusters = {r["id"]: r for r in pq.read_table(stages_3000["dedup"] / "clusters").to_pylist()}
    assert len(dups) >= 100
    for r in dups:
        named = r["detail"].split(" duplicate of ", 1)[1].split(" (cluster of", 1)[0]
        assert named == clusters[r["id"]]["representative_id"] and clusters[named]["is_representative"]
    # the named copy is the one kept, unless a later rule rejected it too
    assert sum(r["detail"].split(" duplicate of ", 1)[1].split(" (", 1)[0] in kept for r in dups) >= 0.5 * len(dups)
