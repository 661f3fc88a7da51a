"""Same answer: ``thresher run`` on the cluster shape with input and output on s3:// gives the
same tables and stats, row for row, as a local default-runner run (300-document corpus with
malformed files, for CI time); object-store paths work for config, inputs (directory = prefix)
and the manifest reader."""
from __future__ import annotations

import json

import pytest

from pipeline import fs
from pipeline.manifest_reader import ManifestReader
from tests.cluster.tables import differences, snapshot

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def test_cluster_run_on_s3_equals_local_run(runs):
    local_out, local_inputs, s3_out, s3_inputs = runs
    a, b = snapshot(local_out, local_inputs), snapshot(s3_out, s3_inputs)
    tables = [k for k in a if k.endswith(".parquet")]
    assert {"ingest/docs", "ingest/errors", "annotate/docs", "dedup/clusters", "manifest/curated", "manifest/index"} <= \
        {k.rsplit("/", 1)[0].split("/", 2)[0] + "/" + k.split("/")[1] for k in tables}
    assert sum(len(a[k]) for k in tables) > 1000
    assert differences(a, b) == []
    ingest = b["ingest/stats/ingest.json"]
    assert ingest["balanced"] and ingest["errors"] > 0 and ingest["docs"] > 250
    # the workers (own /tmp, no shared disk) ran the compiled kernels of filters/_native
    for stage, key in (("ingest", "files_by_kernels"), ("annotate", "row_groups_by_kernels"),
                       ("dedup", "row_groups_by_kernels")):
        kernels = b[f"{stage}/stats/{stage}.json"][key]
        assert list(kernels) == ["compiled"] and kernels["compiled"] >= 1, (stage, kernels)
    assert fs.is_file(f"{s3_out}/report/funnel.json") and fs.is_file(f"{s3_out}/report/funnel.png")


def test_rerun_on_cluster_skips_every_stage(cluster, runs):
    _, _, s3_out, s3_inputs = runs
    before = snapshot(s3_out, s3_inputs)
    proc = cluster.thresher("run", "--input", s3_inputs[0], "--input", s3_inputs[1], "--output", s3_out, "--json",
                            *cluster.flags)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert all(report[s]["skipped"] for s in ("ingest", "annotate", "dedup", "manifest"))
    assert differences(before, snapshot(s3_out, s3_inputs)) == []


def test_manifest_reader_reads_s3_like_local(runs):
    local_out, local_inputs, s3_out, s3_inputs = runs
    local = ManifestReader(f"{local_out}/manifest", seed=3, rank=1, world_size=2)
    remote = ManifestReader(f"{s3_out}/manifest", seed=3, rank=1, world_size=2)
    a, b = list(local.documents()), list(remote.documents())
    assert len(a) > 50 and a == b


def test_config_and_inputs_on_gcs_prefix(cluster, corpus_300_bad, runs):
    """--config and --input on gs:// (a directory URL read as a prefix), output on gs://: the same
    ingest tables as the local run."""
    local_out, local_inputs, _, _ = runs
    base = f"gs://{cluster.prefix}/gcs"
    raw = cluster.upload(corpus_300_bad / "raw", f"{base}/raw")
    fs.write_bytes(f"{base}/config.yaml", b"ingest:\n  shard_target_mb: 128\n")
    out = f"{base}/ingest"
    proc = cluster.thresher("ingest", "--input", raw, "--output", out, "--config", f"{base}/config.yaml",
                            *cluster.flags)
    assert proc.returncode == 0, proc.stderr[-3000:]
    local = cluster.thresher("ingest", "--input", local_inputs[0], "--output", f"{local_out}-raw-only")
    assert local.returncode == 0, local.stderr[-3000:]
    a = snapshot(f"{local_out}-raw-only", [local_inputs[0]])
    b = snapshot(out, [raw])
    assert a["docs/part-00000-of-00001.parquet"] and differences(a, b) == []


def test_train_reads_and_writes_s3(cluster):
    """thresher train with example files and the model on s3://; the model then loads from s3://."""
    base = f"s3://{cluster.prefix}/train"
    good = "\n".join(f"A well written paragraph number {i} about the history of science and art." for i in range(60))
    bad = "\n".join(f"buy now cheap pills click here {i} !!! free free free" for i in range(60))
    fs.write_bytes(f"{base}/good.txt", good.encode())
    fs.write_bytes(f"{base}/bad.txt", bad.encode())
    proc = cluster.thresher("train", "quality", "--positive", f"{base}/good.txt", "--negative", f"{base}/bad.txt",
                            "--output", f"{base}/quality.ftz", "--param", "quantize=0", *cluster.s3_flags)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert fs.is_file(f"{base}/quality.ftz") and fs.is_file(f"{base}/quality.ftz.json")
    from filters.classifier import TextClassifier
    model = TextClassifier(fs.local_copy(f"{base}/quality.ftz", sidecars=(".json",)))
    p_good, p_bad = model.predict_proba(["A well written paragraph about art.", "cheap pills click here"], "hq")
    assert p_good > p_bad


def test_embeddings_semantic_clusters_and_topics_equal_local(cluster, runs, tmp_path):
    """Issue 18 on the cluster shape: a model trained from the local run's annotate output and put on
    s3://, then annotate (embedding column) -> dedup (semantic columns, topics/, stats/topics.json)
    -> manifest with the topic cap, locally and on the cluster: the same tables and stats."""
    local_out, local_inputs, s3_out, s3_inputs = runs
    model = tmp_path / "model"
    proc = cluster.thresher("train", "embeddings", "--input", f"{local_out}/annotate", "--output", model,
                            "--dim", 32)
    assert proc.returncode == 0, proc.stderr[-3000:]
    base = f"s3://{cluster.prefix}/emb"
    s3_model = cluster.upload(model, f"{base}/model")
    config = (f"annotate:\n  embedding_model: {s3_model}\ndedup:\n  topics:\n    k: 3\n"
              "manifest:\n  selection:\n    dedup_policy: semantic_representatives\n  mixture:\n    topic_cap: 0.4\n")
    fs.write_bytes(f"{base}/config.yaml", config.encode())
    outs = {"local": str(tmp_path / "out"), "s3": f"{base}/out"}
    for where, out in outs.items():
        flags = cluster.flags if where == "s3" else cluster.s3_flags
        source = local_out if where == "local" else s3_out
        for args in (("annotate", "--input", f"{source}/ingest", "--output", f"{out}/annotate"),
                     ("dedup", "--input", f"{out}/annotate", "--output", f"{out}/dedup"),
                     ("manifest", "--annotated", f"{out}/annotate", "--dedup", f"{out}/dedup",
                      "--output", f"{out}/manifest")):
            proc = cluster.thresher(*args, "--config", f"{base}/config.yaml", *flags)
            assert proc.returncode == 0, proc.stderr[-3000:]
    # the raw inputs (source_file) and the ingest folder differ by design: local vs s3
    a, b = snapshot(outs["local"], [*local_inputs, local_out]), snapshot(outs["s3"], [*s3_inputs, s3_out])
    for k in list(a) + list(b):
        if k.endswith("_STAGE_COMPLETE.json"):
            a.pop(k, None)
            b.pop(k, None)
    assert any(k.startswith("dedup/topics/") for k in a) and "dedup/stats/topics.json" in a
    assert any("semantic_cluster_id" in r for k in a if k.startswith("dedup/clusters/") for r in a[k])
    assert differences(a, b) == []
