"""Dense embeddings (issue 18): embedding throughput, semantic-duplicate recall beside MinHash's on
make_corpus.py's planted near duplicates, the unrelated-merge rate, and topic clusters against real
labels (COLD comments, k = 3) beside a character n-gram TF-IDF + k-means baseline.

    .venv/bin/python benchmarks/bench_semantic.py [--docs 3000]

Needs scikit-learn for the baseline only (`pip install -e .[dev]`).
"""
from __future__ import annotations

import csv
import io
import json
import lzma
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import OUT, SHARED, build_corpus, write_section  # noqa: E402

EXE = str(Path(sys.executable).parent / "thresher")


def cli(*args) -> None:
    subprocess.run([EXE, *map(str, args)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stages(corpus: Path, thresholds: list[float]) -> dict:
    """ingest -> annotate -> train embeddings -> annotate with embeddings -> dedup per threshold."""
    root = OUT / f"semantic-{corpus.name}"
    d = {k: root / k for k in ("ingest", "annotate", "model", "annotate_emb")}
    if not (d["ingest"] / "stats" / "ingest.json").exists():
        cli("ingest", "--input", corpus / "raw", "--output", d["ingest"])
    if not (d["annotate"] / "stats" / "annotate.json").exists():
        cli("annotate", "--input", d["ingest"], "--output", d["annotate"])
    start = time.perf_counter()
    cli("train", "embeddings", "--input", d["annotate"], "--output", d["model"])
    d["train_seconds"] = time.perf_counter() - start
    cfg = root / "emb.yaml"
    cfg.write_text(f"annotate:\n  embedding_model: {d['model']}\n")
    cli("annotate", "--input", d["ingest"], "--output", d["annotate_emb"], "--config", cfg)
    for th in thresholds:
        cfg_t = root / f"dedup-{th}.yaml"
        cfg_t.write_text(f"annotate:\n  embedding_model: {d['model']}\ndedup:\n  semantic:\n    threshold: {th}\n"
                         f"  topics:\n    k: 0\n")
        out = root / f"dedup-{th}"
        start = time.perf_counter()
        cli("dedup", "--input", d["annotate_emb"], "--output", out, "--config", cfg_t)
        d[("dedup", th)] = (out, time.perf_counter() - start)
    return d


def embedding_speed(annotated: Path, model: Path, repeat: int = 3) -> tuple[float, float, int]:
    import pyarrow.parquet as pq
    from filters.embedding import Embedder
    t = pq.read_table(annotated / "docs", columns=["text", "lang"])
    texts, langs = t.column("text").to_pylist(), t.column("lang").to_pylist()
    emb = Embedder(str(model))
    best = min(_timed(lambda: emb.embed(texts, langs)) for _ in range(repeat))
    return len(texts) / best, sum(map(len, texts)) / len(texts), emb.dim


def _timed(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def lorem_or_spam(truth: dict, text: str) -> bool:
    return truth.get("kind") == "spam" or "lorem ipsum" in text.lower()


def dup_scores(corpus: Path, dedup_dir: Path, annotated: Path) -> tuple[list[str], dict]:
    import pyarrow.parquet as pq
    truth = {t["id"]: t for t in map(json.loads, (corpus / "truth.jsonl").read_text().splitlines())}
    rows = {r["id"]: r for r in pq.read_table(dedup_dir / "clusters").to_pylist()}
    texts = dict(zip(*[pq.read_table(annotated / "docs", columns=["id", "text"]).column(c).to_pylist()
                       for c in ("id", "text")]))
    tally = defaultdict(lambda: [0, 0, 0])
    for t in truth.values():
        if t["kind"] not in ("exact_dup", "near_dup") or t["id"] not in rows or t["dup_of"] not in rows:
            continue
        if t["kind"] == "exact_dup":
            band = "exact duplicates"
        else:
            j = t["jaccard5"]
            band = "near, jaccard5 >= 0.8" if j >= 0.8 else "near, jaccard5 < 0.5" if j < 0.5 else "near, 0.5-0.8"
        a, b = rows[t["id"]], rows[t["dup_of"]]
        tally[band][0] += a["semantic_cluster_id"] == b["semantic_cluster_id"]
        tally[band][1] += a["cluster_id"] == b["cluster_id"]
        tally[band][2] += 1
    order = ["exact duplicates", "near, jaccard5 >= 0.8", "near, 0.5-0.8", "near, jaccard5 < 0.5"]
    lines = [f"| {b} | {tally[b][2]} | {100 * tally[b][0] / tally[b][2]:.1f}% | {100 * tally[b][1] / tally[b][2]:.1f}% |"
             for b in order if tally[b][2]]

    def source(doc_id):
        t = truth.get(doc_id, {})
        return t["dup_of"] if t.get("kind") in ("exact_dup", "near_dup") else doc_id

    merged = Counter()
    for doc_id, r in rows.items():
        templ = lorem_or_spam(truth.get(doc_id, {}), texts.get(doc_id, ""))
        for kind, rep in (("semantic", r["semantic_representative_id"]), ("minhash", r["representative_id"])):
            size = r["semantic_cluster_size"] if kind == "semantic" else r["cluster_size"]
            wrong = size > 1 and source(doc_id) != source(rep)
            rep_templ = lorem_or_spam(truth.get(rep, {}), texts.get(rep, ""))
            merged[(kind, "all")] += wrong
            merged[(kind, "no_template")] += wrong and not templ and not rep_templ
    merged["docs"] = len(rows)
    return lines, merged


def cold_topics(seed: int = 0) -> tuple[list[str], dict]:
    """k = 3 on the COLD dev comments: our embeddings (model trained on a sample of the train split)
    against char 1-3-gram TF-IDF + k-means."""
    from filters.embedding import Embedder, train_static_model
    from filters.semantic import assign, spherical_kmeans
    data = SHARED / "data" / "safety"
    with lzma.open(data / "cold_train.csv.xz", "rt", encoding="utf-8-sig") as f:
        train = [r["TEXT"] for r in csv.DictReader(f)]
    with open(data / "cold_dev.csv", encoding="utf-8-sig") as f:
        dev = list(csv.DictReader(f))
    texts, labels = [r["TEXT"] for r in dev], [r["topic"] for r in dev]
    model = OUT / "semantic-cold-model"
    start = time.perf_counter()
    train_static_model(train[:20000], str(model), dim=64, min_count=3, langs=["zh"] * len(train[:20000]))
    train_s = time.perf_counter() - start
    results = {}
    emb = Embedder(str(model))
    vecs, mask = emb.embed(texts, ["zh"] * len(texts))
    for name, x in (("thresher embedding (semantic + lexical blocks)", vecs),
                    ("thresher embedding, semantic block only", _unit(vecs[:, :emb.semantic_dim]))):
        cents = spherical_kmeans(x, 3, seed=seed)
        pred, _ = assign(x, cents)
        results[name] = (purity(labels, pred), nmi(labels, pred))
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True).fit_transform(texts)
    pred = KMeans(3, n_init=10, random_state=seed).fit_predict(tfidf)
    results["baseline: char 1-3-gram TF-IDF + k-means (scikit-learn, n_init=10)"] = (purity(labels, pred),
                                                                                      nmi(labels, pred))
    lines = [f"| {name} | {p:.3f} | {n:.3f} |" for name, (p, n) in results.items()]
    return lines, {"dev": len(texts), "train": min(20000, len(train)), "train_s": train_s,
                   "labels": dict(Counter(labels))}


def _unit(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1)


def purity(labels, pred) -> float:
    c = Counter(zip(pred.tolist() if hasattr(pred, "tolist") else pred, labels))
    best = defaultdict(int)
    for (p, _), n in c.items():
        best[p] = max(best[p], n)
    return sum(best.values()) / len(labels)


def nmi(labels, pred) -> float:
    """Normalized mutual information (arithmetic mean of the entropies)."""
    pred = list(pred.tolist() if hasattr(pred, "tolist") else pred)
    n = len(labels)
    joint = Counter(zip(labels, pred))
    a, b = Counter(labels), Counter(pred)
    mi = sum(v / n * np.log(v * n / (a[x] * b[y])) for (x, y), v in joint.items())
    ha = -sum(v / n * np.log(v / n) for v in a.values())
    hb = -sum(v / n * np.log(v / n) for v in b.values())
    return float(mi / ((ha + hb) / 2)) if ha + hb > 0 else 0.0


def planted_topic(cap: float = 0.4) -> list[str]:
    """A corpus of real COLD comments with one topic planted over-represented (race x5), through
    ingest -> annotate (embeddings trained on it) -> dedup (topics, k = 3) -> manifest with and
    without ``mixture.topic_cap``: the weighted share of each discovered topic and true label."""
    import pyarrow.parquet as pq
    with open(SHARED / "data" / "safety" / "cold_dev.csv", encoding="utf-8-sig") as f:
        dev = list(csv.DictReader(f))
    keep = {"race": 1500, "region": 300, "gender": 300}
    rows, seen = [], Counter()
    for r in dev:
        if seen[r["topic"]] < keep[r["topic"]]:
            seen[r["topic"]] += 1
            rows.append({"id": f"cold-{len(rows):05d}", "text": r["TEXT"], "source": "cold", "label": r["topic"]})
    label = {r["id"]: r["label"] for r in rows}
    root = OUT / "semantic-planted"
    (root / "raw").mkdir(parents=True, exist_ok=True)
    (root / "raw" / "part-0.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                               encoding="utf-8")
    d = {k: root / k for k in ("ingest", "annotate", "model", "annotate_emb", "dedup", "m_plain", "m_cap", "m_prune")}
    cli("ingest", "--input", root / "raw", "--output", d["ingest"])
    cli("annotate", "--input", d["ingest"], "--output", d["annotate"])
    cli("train", "embeddings", "--input", d["annotate"], "--output", d["model"], "--param", "min_count=3")
    base = (f"annotate:\n  embedding_model: {d['model']}\ndedup:\n  topics:\n    k: 3\n"
            "manifest:\n  selection:\n    min_quality: 0.0\n    min_chars: 5\n    badword_policy: keep\n"
            "    drop_und: false\n    min_lang_score: 0.0\n  mixture:\n    quality_exponent: 0.0\n")
    configs = {"m_plain": base, "m_cap": base + f"    topic_cap: {cap}\n",
               "m_prune": base + "  prune_topic_above: 0.5\n  prune_topic_frac: 0.2\n"}
    cli("annotate", "--input", d["ingest"], "--output", d["annotate_emb"], "--config", _write(root / "c.yaml", base))
    cli("dedup", "--input", d["annotate_emb"], "--output", d["dedup"], "--config", root / "c.yaml")
    topics = {r["id"]: r["topic_id"] for r in pq.read_table(d["dedup"] / "topics").to_pylist()}
    out = {}
    for name, text in configs.items():
        cli("manifest", "--annotated", d["annotate_emb"], "--dedup", d["dedup"], "--output", d[name],
            "--config", _write(root / f"{name}.yaml", text))
        index = pq.read_table(d[name] / "index").to_pylist()
        by_topic, by_label = Counter(), Counter()
        for r in index:
            by_topic[topics.get(r["id"], "none")] += r["weight"] * r["tokens"]
            by_label[label[r["id"]]] += r["weight"] * r["tokens"]
        stats = json.loads((d[name] / "stats" / "manifest.json").read_text())
        out[name] = (by_topic, by_label, len(index), stats.get("rejected_by_reason", {}))
    names = sorted(set(out["m_plain"][0]) | set(out["m_cap"][0]))
    lines = ["| manifest | kept docs | " + " | ".join(f"topic {t}" for t in names) +
             " | label race | label region | label gender |", "|---" * (5 + len(names)) + "|"]
    for name, title in (("m_plain", "no topic policy"), ("m_cap", f"topic_cap {cap}"),
                        ("m_prune", "prune 20% nearest the centroid of topics above 50%")):
        by_topic, by_label, kept, _ = out[name]
        tt, tl = sum(by_topic.values()) or 1, sum(by_label.values()) or 1
        lines.append(f"| {title} | {kept} | " + " | ".join(f"{100 * by_topic[t] / tt:.1f}%" for t in names) + " | "
                     + " | ".join(f"{100 * by_label[x] / tl:.1f}%" for x in ("race", "region", "gender")) + " |")
    sizes = Counter(topics.values())
    zh = {t: n for t, n in sizes.items() if t.startswith("zh:")}
    top_share = max(zh.values()) / sum(zh.values()) if zh else 0.0
    lines += ["", f"Topics found (documents): {dict(sorted(sizes.items()))}; planted: {dict(seen)}. Shares are of "
              f"weight x tokens in the manifest index. Pruned as topic_prototype: "
              f"{out['m_prune'][3].get('topic_prototype', 0)} documents."]
    if top_share <= cap:
        lines.append(f"The largest topic found holds {100 * top_share:.1f}% of the zh documents, under the cap "
                     f"({100 * cap:.0f}%) and the pruning share (50%): k-means on these embeddings does not recover "
                     "the planted topic, so neither policy changes anything here. The cap and the pruning themselves "
                     "are checked on topics that do exceed them in tests/jobs/test_semantic_job.py.")
    return lines


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def ut1_pages() -> int:
    from filters.urlfilter import UrlBlocklist
    urls = UrlBlocklist.from_ut1_dir(str(SHARED / "data" / "safety" / "ut1"))
    n = 0
    with lzma.open(SHARED / "data" / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        for line in f:
            n += urls.category(json.loads(line)["url"]) is not None
    return n


def main() -> None:
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--thresholds", default="0.9,0.95")
    args = ap.parse_args()
    thresholds = [float(x) for x in args.thresholds.split(",")]
    corpus = build_corpus(args.docs)
    d = stages(corpus, thresholds)
    speed, chars, dim = embedding_speed(d["annotate"], d["model"])
    model_cfg = json.loads((d["model"] / "config.json").read_text())
    body = ["### Embedding throughput", "",
            f"`Embedder.embed` over the {args.docs}-document corpus's annotated texts (mean {chars:,.0f} characters), "
            f"one process, CPU time, best of 3: **{speed:,.0f} docs per CPU-second** (dim {dim}: "
            f"{model_cfg['semantic_dim']} semantic + {model_cfg['hashed_dim']} lexical). Target >= 2,000 docs/s per core.",
            f"`thresher train embeddings` on this corpus ({model_cfg['training_docs']} docs, "
            f"{model_cfg['training_tokens']:,} tokens, vocabulary {model_cfg['vocab_size']:,}): {d['train_seconds']:.1f} s wall.",
            ""]
    for th in thresholds:
        out, seconds = d[("dedup", th)]
        lines, merged = dup_scores(corpus, out, d["annotate"])
        stats = json.loads((out / "stats" / "dedup.json").read_text())
        n = merged["docs"]
        body += [f"### Semantic duplicates, cosine threshold {th} (LSH {stats['semantic_lsh']['bands']} bands x "
                 f"{stats['semantic_lsh']['rows']} bits)", "",
                 "| planted pair | pairs | same semantic cluster | same MinHash cluster |", "|---|---|---|---|", *lines, "",
                 "Unrelated merges (a document in a cluster whose representative comes from a different source page): "
                 f"semantic {merged[('semantic', 'all')]}/{n} = {100 * merged[('semantic', 'all')] / n:.2f}%, "
                 f"MinHash {merged[('minhash', 'all')]}/{n} = {100 * merged[('minhash', 'all')] / n:.2f}%. "
                 "Leaving out lorem-ipsum pages and planted spam (template texts that are near-identical by content): "
                 f"semantic {merged[('semantic', 'no_template')]}/{n} = "
                 f"{100 * merged[('semantic', 'no_template')] / n:.2f}%, MinHash {merged[('minhash', 'no_template')]}/{n} = "
                 f"{100 * merged[('minhash', 'no_template')] / n:.2f}%. Target: semantic recall >= 90% on 0.5-0.8, "
                 "unrelated merges <= 0.5%.",
                 f"`thresher dedup` with semantic clusters and topics: {seconds:.1f} s wall; "
                 f"{stats['semantic'].get('docs_in_semantic_clusters', 0)} documents in "
                 f"{stats['semantic'].get('semantic_clusters', 0)} semantic clusters, "
                 f"{stats['topics']['topics']} topics over {stats['topics']['languages']} languages.", ""]
    lines, info = cold_topics()
    body += ["### Topic clusters against real labels", "",
             f"COLD dev comments ({info['dev']}, topics {info['labels']}), k = 3, spherical k-means (seed 0) on "
             f"embeddings from a model trained on {info['train']} COLD train comments ({info['train_s']:.1f} s):", "",
             "| method | purity | NMI |", "|---|---|---|", *lines, "",
             f"Web pages by UT1 category of their host: {ut1_pages()} of the 754 pages in "
             "`web_pages/pages_public.jsonl.xz` have a host on the UT1 lists in `safety/ut1`, so this comparison "
             "cannot be made with the shared data."]
    body += ["", "### Topic reweighting on a corpus with one planted over-represented topic", "",
             "2,100 real COLD comments, race planted five times as often as region and gender:", "",
             *planted_topic()]
    write_section("semantic", "Dense embeddings: semantic duplicates and topics (issue 18)",
                  f".venv/bin/python benchmarks/bench_semantic.py --docs {args.docs}", "\n".join(body))
    print("\n".join(body))


if __name__ == "__main__":
    main()
