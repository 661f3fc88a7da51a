"""Issue 18 end to end on the 400-document corpus: train embeddings, annotate with them, dedup with
semantic clusters and topics, manifest with a semantic policy; and nothing changes without them."""
import json

import pyarrow.parquet as pq
import pytest

from schemas import ANNOTATED, CLUSTERS, TOPICS, validate_table, with_semantic_clusters
from tests.jobs.conftest import load_truth, run_cli, run_notebook


@pytest.fixture(scope="module")
def emb_stages(corpus_small, tmp_path_factory):
    root = tmp_path_factory.mktemp("emb")
    d = {k: root / k for k in ("ingest", "annotate", "model", "annotate_emb", "dedup", "dedup2", "dedup_plain",
                               "manifest")}
    run_cli("ingest", "--input", corpus_small / "raw", "--output", d["ingest"])
    run_cli("annotate", "--input", d["ingest"], "--output", d["annotate"])
    run_cli("train", "embeddings", "--input", d["annotate"], "--output", d["model"], "--dim", 32,
            "--param", "min_count=2")
    cfg = root / "emb.yaml"
    cfg.write_text(f"annotate:\n  embedding_model: {d['model']}\ndedup:\n  topics:\n    k: 3\n"
                   f"manifest:\n  selection:\n    dedup_policy: semantic_representatives\n")
    run_cli("annotate", "--input", d["ingest"], "--output", d["annotate_emb"], "--config", cfg)
    run_cli("dedup", "--input", d["annotate_emb"], "--output", d["dedup"], "--config", cfg)
    run_cli("dedup", "--input", d["annotate_emb"], "--output", d["dedup2"], "--config", cfg)
    run_cli("dedup", "--input", d["annotate"], "--output", d["dedup_plain"], "--config", cfg)
    run_cli("manifest", "--annotated", d["annotate_emb"], "--dedup", d["dedup"], "--output", d["manifest"],
            "--config", cfg)
    d["cfg"] = cfg
    return d


def test_embedding_column(emb_stages):
    table = pq.read_table(emb_stages["annotate_emb"] / "docs")
    dim = int(table.schema.metadata[b"thresher.embedding_dim"])
    model = json.loads((emb_stages["model"] / "config.json").read_text())
    assert dim == model["dim"] == 32 + model["hashed_dim"]
    assert str(table.schema.field("embedding").type) == "list<element: halffloat>"
    vectors = [v for v in table.column("embedding").to_pylist() if v is not None]
    assert len(vectors) >= 0.95 * table.num_rows and all(len(v) == dim for v in vectors)
    assert all(abs(sum(x * x for x in v) - 1) < 0.01 for v in vectors[:50])
    # without the setting the annotated schema is the one it always was
    plain = pq.read_table(emb_stages["annotate"] / "docs")
    assert plain.schema.remove_metadata().equals(ANNOTATED.remove_metadata())


def test_semantic_clusters_hold_the_planted_near_duplicates(emb_stages, corpus_small):
    clusters = pq.read_table(emb_stages["dedup"] / "clusters")
    validate_table(clusters, with_semantic_clusters(CLUSTERS))
    rows = {r["id"]: r for r in clusters.to_pylist()}
    truth = load_truth(corpus_small)
    near = [t for t in truth.values() if t["kind"] == "near_dup" and t["id"] in rows and t["dup_of"] in rows
            and t["jaccard5"] >= 0.5]
    assert len(near) >= 10
    same = sum(rows[t["id"]]["semantic_cluster_id"] == rows[t["dup_of"]]["semantic_cluster_id"] for t in near)
    assert same >= 0.9 * len(near)
    sizes = {}
    for r in rows.values():
        sizes.setdefault(r["semantic_cluster_id"], []).append(r)
    for label, members in sizes.items():
        assert all(m["semantic_cluster_size"] == len(members) for m in members)
        assert label == min(m["id"] for m in members)
        assert len({m["semantic_representative_id"] for m in members}) == 1
    # MinHash columns are those of a run without embeddings
    plain = {r["id"]: r for r in pq.read_table(emb_stages["dedup_plain"] / "clusters").to_pylist()}
    assert all({k: rows[i][k] for k in plain[i]} == plain[i] for i in plain)
    stats = json.loads((emb_stages["dedup"] / "stats" / "dedup.json").read_text())
    assert stats["semantic"]["docs_in_semantic_clusters"] >= same and stats["balanced"]


def test_topics_table_and_summary(emb_stages):
    topics = pq.read_table(emb_stages["dedup"] / "topics")
    validate_table(topics, TOPICS)
    n_embedded = pq.read_table(emb_stages["annotate_emb"] / "docs", columns=["embedding"]).column("embedding")
    assert topics.num_rows == len(n_embedded) - n_embedded.null_count
    summary = json.loads((emb_stages["dedup"] / "stats" / "topics.json").read_text())
    assert sum(t["size"] for t in summary.values()) == topics.num_rows
    counts = {}
    for t in topics.column("topic_id").to_pylist():
        counts[t] = counts.get(t, 0) + 1
    assert {t: s["size"] for t, s in summary.items() if s["size"]} == counts
    ids = set(topics.column("id").to_pylist())
    for t, s in summary.items():
        assert len(s["nearest"]) == min(3, s["size"]) and all(n["id"] in ids for n in s["nearest"])
    en = [t for t in summary if t.startswith("en:")]
    assert len(en) == 3 and all(summary[t]["top_terms"] for t in en)


def test_dedup_is_deterministic_and_off_without_embeddings(emb_stages):
    for sub in ("clusters", "topics"):
        a = sorted((emb_stages["dedup"] / sub).glob("*.parquet"))
        b = sorted((emb_stages["dedup2"] / sub).glob("*.parquet"))
        assert [p.name for p in a] == [p.name for p in b] and a
        assert all(pq.read_table(x).equals(pq.read_table(y)) for x, y in zip(a, b))
    assert (emb_stages["dedup"] / "stats" / "topics.json").read_bytes() == \
        (emb_stages["dedup2"] / "stats" / "topics.json").read_bytes()
    plain = pq.read_table(emb_stages["dedup_plain"] / "clusters")
    assert plain.schema.remove_metadata().equals(CLUSTERS.remove_metadata())
    assert not list((emb_stages["dedup_plain"] / "topics").glob("*.parquet"))


def test_manifest_drops_semantic_duplicates(emb_stages):
    rejected = pq.read_table(emb_stages["manifest"] / "rejected").to_pylist()
    reasons = {r["reason"] for r in rejected}
    assert "semantic_duplicate" in reasons
    rows = {r["id"]: r for r in pq.read_table(emb_stages["dedup"] / "clusters").to_pylist()}
    for r in rejected:
        if r["reason"] == "semantic_duplicate":
            assert rows[r["id"]]["semantic_representative_id"] != r["id"]


def _mixture_topic_shares(manifest_dir, topics, lang):
    """Each topic's share of the language's tokens in the mixture (repeats x tokens of the index
    rows of that language; documents without a topic count in the total), and {id: weight}."""
    index = pq.read_table(manifest_dir / "index").to_pylist()
    totals, all_lang = {}, 0.0
    for r in index:
        if r["bucket"].split("/")[1] != lang:
            continue
        all_lang += r["repeats"] * r["tokens"]
        t = topics.get(r["id"])
        if t:
            totals[t] = totals.get(t, 0.0) + r["repeats"] * r["tokens"]
    return {t: v / all_lang for t, v in totals.items()}, {r["id"]: r["weight"] for r in index}


def test_topic_cap_and_pruning(emb_stages, tmp_path):
    topics = {r["id"]: r["topic_id"] for r in pq.read_table(emb_stages["dedup"] / "topics").to_pylist()}
    summary = json.loads((emb_stages["dedup"] / "stats" / "topics.json").read_text())
    base = emb_stages["manifest"]
    before, w0 = _mixture_topic_shares(base, topics, "en")
    big = max(before, key=before.get)
    share = before[big]
    second = sorted(before.values())[-2]
    cap = round((share + second) / 2, 4)          # only the largest topic is above the cap
    assert share > cap > second
    capped = tmp_path / "capped"
    cfg = tmp_path / "cap.yaml"
    cfg.write_text(emb_stages["cfg"].read_text().replace("manifest:\n", f"manifest:\n  mixture:\n    topic_cap: {cap}\n"))
    run_cli("manifest", "--annotated", emb_stages["annotate_emb"], "--dedup", emb_stages["dedup"], "--output", capped,
            "--config", cfg)
    after, w1 = _mixture_topic_shares(capped, topics, "en")
    assert after[big] == pytest.approx(cap, abs=1e-6)       # the cap holds on the mixture's tokens
    stats = json.loads((capped / "stats" / "manifest.json").read_text())["topic_cap"]
    assert stats[big]["share_before"] == pytest.approx(share, abs=1e-5)
    assert stats[big]["share_after"] == pytest.approx(cap, abs=1e-5)
    # same documents; each capped topic's weights scale by its one factor (the big one among them,
    # and no other en topic), every other weight stays
    assert w0.keys() == w1.keys()
    assert stats[big]["factor"] < 1 and all(v["factor"] == 1 for t, v in stats.items() if t in before and t != big)
    for i in w0:
        factor = stats[topics[i]]["factor"] if i in topics else 1.0
        assert w1[i] == pytest.approx(w0[i] * factor, rel=1e-6, abs=1e-12)
    # the other topics of the language keep their proportions to each other (up to the rounding of
    # bucket targets to whole tokens)
    others = [t for t in before if t.startswith("en:") and t != big]
    for a, b in zip(others, others[1:]):
        assert after[a] / after[b] == pytest.approx(before[a] / before[b], rel=1e-4)
    # each language's total target stays (only its buckets' split moves with the topics in them)
    def lang_targets(m):
        out = {}
        for b in json.loads((m / "manifest.json").read_text())["buckets"]:
            out[b["lang"]] = out.get(b["lang"], 0) + b["target_tokens"]
        return out
    assert lang_targets(base) == lang_targets(capped)
    single = [t for t, s in summary.items() if s["size"] and not any(
        o != t and o.split(":")[0] == t.split(":")[0] for o in summary)]
    assert single and all(abs(w1[i] - w0[i]) < 1e-9 for i in w0 if topics.get(i) in single)
    # D4: the most central documents of topics above the (document) share are dropped, and only those
    en = {t: v["size"] for t, v in summary.items() if t.startswith("en:")}
    big = max(en, key=en.get)
    share = en[big] / sum(en.values())
    pruned = tmp_path / "pruned"
    cfg.write_text(emb_stages["cfg"].read_text().replace(
        "manifest:\n", f"manifest:\n  prune_topic_above: {round(share - 0.01, 3)}\n  prune_topic_frac: 0.3\n"))
    run_cli("manifest", "--annotated", emb_stages["annotate_emb"], "--dedup", emb_stages["dedup"], "--output", pruned,
            "--config", cfg)
    rejected = [r for r in pq.read_table(pruned / "rejected").to_pylist() if r["reason"] == "topic_prototype"]
    assert not any(topics[r["id"]] in single for r in rejected)   # a language's only topic is not over-represented
    assert rejected and all(topics[r["id"]] in {t for t, s in summary.items()
                                                if s["size"] / sum(v["size"] for k, v in summary.items()
                                                                   if k.split(":")[0] == t.split(":")[0]) > share - 0.01}
                            for r in rejected)
    dist = {r["id"]: r["topic_distance"] for r in pq.read_table(emb_stages["dedup"] / "topics").to_pylist()}
    big_dists = sorted(d for i, d in dist.items() if topics[i] == big)
    dropped = [dist[r["id"]] for r in rejected if topics[r["id"]] == big]
    assert dropped and max(dropped) <= big_dists[int(0.4 * len(big_dists))]


def test_notebook_shows_the_topic_summary(emb_stages, tmp_path):
    nb = run_notebook(emb_stages["manifest"], tmp_path)
    [cell] = [c for c in nb.cells if c.get("id") == "cell-topics"]
    shown = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
    summary = json.loads((emb_stages["dedup"] / "stats" / "topics.json").read_text())
    biggest = max(summary, key=lambda t: summary[t]["size"])
    assert f"=== {biggest}: {summary[biggest]['size']} documents" in shown
    assert all(n["id"] in shown for n in summary[biggest]["nearest"]) and len(summary[biggest]["nearest"]) == 3
    assert "top_terms" in shown and "Error" not in shown
