"""Dense embeddings (issue 18): embedding throughput, semantic-duplicate recall beside MinHash's on
make_corpus.py's planted near duplicates, the unrelated-merge rate, and topic clusters against real
labels (COLD comments, k = 3) beside a character n-gram TF-IDF + k-means baseline.

    .venv/bin/python benchmarks/bench_semantic.py [--docs 3000]

Needs scikit-learn for the baseline only (`pip install -e .[dev]`).
"""
from __future__ import annotations

import ast
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


def cold_topics(seed: int = 0, restarts: int = 10) -> tuple[list[str], dict]:
    """k = 3 on COLD comments: our embeddings (model trained on the first 20,000 train comments, the
    default training parameters) against char 1-3-gram TF-IDF + k-means, both with ``restarts``
    seeded runs keeping the lowest inertia, on the dev split and on the 5,726 train comments the
    model never saw (a second held-out sample of the same kind)."""
    from filters.embedding import Embedder, train_static_model
    from filters.semantic import assign, spherical_kmeans
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    data = SHARED / "data" / "safety"
    with lzma.open(data / "cold_train.csv.xz", "rt", encoding="utf-8-sig") as f:
        train_rows = list(csv.DictReader(f))
    with open(data / "cold_dev.csv", encoding="utf-8-sig") as f:
        dev = list(csv.DictReader(f))
    train = [r["TEXT"] for r in train_rows[:20000]]
    model = OUT / "semantic-cold-model"
    start = time.perf_counter()
    train_static_model(train, str(model), dim=64, min_count=3, langs=["zh"] * len(train))
    train_s = time.perf_counter() - start
    emb = Embedder(str(model))
    lines, sets = [], {"dev": dev, "train[20000:]": train_rows[20000:]}
    for split, rows in sets.items():
        texts, labels = [r["TEXT"] for r in rows], [r["topic"] for r in rows]
        vecs, _ = emb.embed(texts, ["zh"] * len(texts))
        results = {}
        for name, x in (("thresher embedding (semantic + lexical blocks: what dedup's topics use)", vecs),
                        ("thresher embedding, semantic block only", _unit(vecs[:, :emb.semantic_dim]))):
            pred, _ = assign(x, spherical_kmeans(x, 3, seed=seed, restarts=restarts))
            results[name] = (purity(labels, pred), nmi(labels, pred))
        tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True).fit_transform(texts)
        pred = KMeans(3, n_init=restarts, random_state=seed).fit_predict(tfidf)
        results[f"baseline: char 1-3-gram TF-IDF + k-means (scikit-learn, n_init={restarts})"] = (
            purity(labels, pred), nmi(labels, pred))
        lines += [f"| {split} ({len(texts)}) | {name} | {p:.3f} | {n:.3f} |" for name, (p, n) in results.items()]
    return lines, {"dev": len(dev), "train": len(train), "train_s": train_s,
                   "labels": dict(Counter(r["topic"] for r in dev)), "restarts": restarts,
                   "sif": (emb.config["sif_a"], emb.config["lexical_sif_a"])}


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


def planted_rows(n_planted: int = 6000, per_thread: int = 6) -> list[dict]:
    """A Chinese corpus with one over-represented subject: real COLD comments on race (the planted
    topic: ``n_planted`` comments, ``per_thread`` to a document, as a comment thread page holds
    them; about 63% of the corpus's characters) among real Chinese web text on other subjects: the
    c4zh lines (app, product and site descriptions: one document each), the Leipzig sentences
    (news, two a document) and the zh web pages."""
    rows = []
    with lzma.open(SHARED / "data" / "safety" / "cold_train.csv.xz", "rt", encoding="utf-8-sig") as f:
        race = [r["TEXT"] for r in csv.DictReader(f) if r["topic"] == "race"][:n_planted]
    rows += [{"text": "\n".join(race[i:i + per_thread]), "label": "planted: race comments"}
             for i in range(0, len(race), per_thread)]
    with open(SHARED / "data" / "web_zh" / "c4zh_duplicated_lines_samples.jsonl", encoding="utf-8") as f:
        rows += [{"text": ast.literal_eval(line)[1], "label": "web lines"} for line in f if line.strip()]   # Python-literal lines
    zh = []
    with lzma.open(SHARED / "data" / "lid" / "lingua_sentences_public.tsv.xz", "rt", encoding="utf-8") as f:
        for line in f:
            lang, _, text = line.rstrip("\n").partition("\t")
            if lang == "zh":
                zh.append(text)
    rows += [{"text": "".join(zh[i:i + 2]), "label": "news sentences"} for i in range(0, len(zh), 2)]
    with lzma.open(SHARED / "data" / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        rows += [{"text": r["text"], "label": "web pages"} for r in map(json.loads, f) if r.get("lang_auto") == "zh"]
    return [dict(r, id=f"zh-{i:05d}", source="planted") for i, r in enumerate(rows)]


def _mixture_shares(index: list, key) -> Counter:
    """Shares of the mixture's tokens (repeats x tokens of the index rows) by ``key(row)``."""
    out = Counter()
    for r in index:
        out[key(r)] += r["repeats"] * r["tokens"]
    total = sum(out.values()) or 1.0
    return Counter({k: v / total for k, v in out.items()})


def planted_topic(cap: float = 0.5, cap2: float = 0.4) -> list[str]:
    """The planted corpus through ingest -> annotate -> train embeddings -> annotate with them -> dedup
    (topics, k = 3) -> manifest without and with ``mixture.topic_cap`` and D4 pruning: each topic's
    and each true label's share of the zh mixture tokens, kept documents, bucket targets."""
    import pyarrow.parquet as pq
    rows = planted_rows()
    label = {r["id"]: r["label"] for r in rows}
    root = OUT / "semantic-planted"
    (root / "raw").mkdir(parents=True, exist_ok=True)
    (root / "raw" / "part-0.jsonl").write_text(
        "".join(json.dumps({k: r[k] for k in ("id", "text", "source")}, ensure_ascii=False) + "\n" for r in rows),
        encoding="utf-8")
    d = {k: root / k for k in ("ingest", "annotate", "model", "annotate_emb", "dedup", "m_plain", "m_cap", "m_cap2",
                               "m_prune")}
    cli("ingest", "--input", root / "raw", "--output", d["ingest"])
    cli("annotate", "--input", d["ingest"], "--output", d["annotate"])
    cli("train", "embeddings", "--input", d["annotate"], "--output", d["model"], "--param", "min_count=3")
    base = (f"annotate:\n  embedding_model: {d['model']}\ndedup:\n  topics:\n    k: 3\n"
            "manifest:\n  selection:\n    min_quality: 0.0\n    min_chars: 5\n    badword_policy: keep\n"
            "    drop_und: false\n    min_lang_score: 0.0\n    dedup_policy: keep\n  mixture:\n"
            "    quality_exponent: 0.0\n")
    configs = {"m_plain": base, "m_cap": base + f"    topic_cap: {cap}\n", "m_cap2": base + f"    topic_cap: {cap2}\n",
               "m_prune": base + "  prune_topic_above: 0.5\n  prune_topic_frac: 0.2\n"}
    cli("annotate", "--input", d["ingest"], "--output", d["annotate_emb"], "--config", _write(root / "c.yaml", base))
    cli("dedup", "--input", d["annotate_emb"], "--output", d["dedup"], "--config", root / "c.yaml")
    topics = {r["id"]: r["topic_id"] for r in pq.read_table(d["dedup"] / "topics").to_pylist()}
    out = {}
    for name, text in configs.items():
        cli("manifest", "--annotated", d["annotate_emb"], "--dedup", d["dedup"], "--output", d[name],
            "--config", _write(root / f"{name}.yaml", text))
        index = [r for r in pq.read_table(d[name] / "index").to_pylist() if r["bucket"].split("/")[1] == "zh"]
        stats = json.loads((d[name] / "stats" / "manifest.json").read_text())
        plan = sum(b["target_tokens"] for b in json.loads((d[name] / "manifest.json").read_text())["buckets"]
                   if b["lang"] == "zh")
        out[name] = (_mixture_shares(index, lambda r: topics.get(r["id"], "none")),
                     _mixture_shares(index, lambda r: label[r["id"]]), len(index), stats, plan)
    names = sorted(t for t in out["m_plain"][0] if t.startswith("zh:"))
    labels = sorted(set(label.values()))
    lines = ["| manifest | kept zh docs | " + " | ".join(f"topic {t}" for t in names) + " | "
             + " | ".join(labels) + " |", "|---" * (2 + len(names) + len(labels)) + "|"]
    for name, title in (("m_plain", "no topic policy"), ("m_cap", f"topic_cap {cap}"), ("m_cap2", f"topic_cap {cap2}"),
                        ("m_prune", "prune 20% nearest the centroid of topics above 50%")):
        by_topic, by_label, kept, _, _ = out[name]
        lines.append(f"| {title} | {kept} | " + " | ".join(f"{100 * by_topic[t]:.2f}%" for t in names) + " | "
                     + " | ".join(f"{100 * by_label[x]:.2f}%" for x in labels) + " |")
    # how the topics found line up with the planted subject
    joint = Counter((topics.get(i), label[i]) for i in label if topics.get(i, "").startswith("zh:"))
    found = {t: {lab: joint[(t, lab)] for lab in labels if joint[(t, lab)]} for t in names}
    planted = "planted: race comments"
    n_planted = sum(1 for v in label.values() if v == planted)
    big = max(names, key=lambda t: out["m_plain"][0][t])
    p0, p1 = out["m_plain"][0], out["m_cap"][0]
    rest = [t for t in names if t != big]
    cap_stats = out["m_cap"][3].get("topic_cap", {})
    lines += ["", f"Documents: {dict(Counter(label.values()))}. Topics found (documents by true label): {found}.",
              f"The planted subject's documents: {100 * max(joint[(t, planted)] for t in names) / n_planted:.1f}% "
              f"in topic {max(names, key=lambda t: joint[(t, planted)])}; that topic's purity "
              f"{100 * joint[(big, planted)] / max(1, sum(found[big].values())):.1f}%. Shares are of the zh tokens in "
              "the mixture (repeats x tokens of the index rows).",
              f"With `topic_cap: {cap}` the largest topic {big} goes from {100 * p0[big]:.2f}% to "
              f"{100 * p1[big]:.2f}% of the mixture (stats/manifest.json topic_cap: share_before "
              f"{cap_stats.get(big, {}).get('share_before')}, share_after {cap_stats.get(big, {}).get('share_after')}, "
              f"weight factor {cap_stats.get(big, {}).get('factor')}); kept documents {out['m_plain'][2]} -> "
              f"{out['m_cap'][2]}; zh target tokens {out['m_plain'][4]:,} -> {out['m_cap'][4]:,}."]
    if len(rest) >= 2:
        r0, r1 = p0[rest[0]] / p0[rest[1]], p1[rest[0]] / p1[rest[1]]
        lines.append(f"The other topics keep their proportions: {rest[0]} / {rest[1]} = {r0:.4f} before, {r1:.4f} "
                     "after (the quality-tier buckets of zh take new targets: each topic keeps its own spread over them).")
    c2 = out["m_cap2"][3].get("topic_cap", {})
    bound = sorted(t for t, v in c2.items() if t.startswith("zh:") and v["factor"] < 1)
    lines.append(f"With `topic_cap: {cap2}`, capping {big} lifts another topic over the cap, so both are capped: "
                 + ", ".join(f"{t} {100 * c2[t]['share_before']:.2f}% -> {100 * c2[t]['share_after']:.2f}%" for t in bound)
                 + f"; kept documents {out['m_cap2'][2]}; zh target tokens {out['m_cap2'][4]:,}.")
    pruned = out["m_prune"][3].get("rejected_by_reason", {}).get("topic_prototype", 0)
    lines.append(f"D4 pruning (topics holding over 50% of the zh documents lose the 20% nearest their centroid): "
                 f"{pruned} documents dropped as topic_prototype; kept {out['m_plain'][2]} -> {out['m_prune'][2]}.")
    return lines


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _hosts_of_shared_pages() -> dict:
    """{host: {set names}} of the page URLs in the shared data: web_pages, the html_pages labels and
    canonical links, the cc_formats WARC target URIs and JSON urls."""
    import glob
    import gzip
    import re
    import tarfile
    import urllib.parse
    out: dict = {}

    def add(url, where):
        try:
            host = urllib.parse.urlsplit(url if "://" in url else "http://" + url).hostname
        except ValueError:
            return
        if host:
            out.setdefault(host.lower(), set()).add(where)
    data = SHARED / "data"
    with lzma.open(data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        for r in map(json.loads, f):
            if r.get("url"):
                add(r["url"], "web_pages")
    for path in sorted(glob.glob(str(data / "html_pages" / "*.jsonl"))):
        for m in re.finditer(r'https?://[^\s"\'<>\\]+', Path(path).read_text(encoding="utf-8", errors="replace")):
            add(m.group(0), "html_pages")
    for path in sorted(glob.glob(str(data / "html_pages" / "*.tar.xz"))):
        with tarfile.open(path) as t:
            for member in t.getmembers():
                if member.isfile():
                    html = t.extractfile(member).read(200_000).decode("utf-8", "replace")
                    for m in re.finditer(r'<link[^>]+rel="canonical"[^>]+href="([^"]+)"', html):
                        add(m.group(1), "html_pages")
    for path in sorted(glob.glob(str(data / "cc_formats" / "*"))):
        raw = b""
        try:
            with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
                while chunk := f.read(1 << 16):
                    raw += chunk
        except (OSError, EOFError):   # the clipped sample ends early: keep what was read
            pass
        for m in re.finditer(rb'WARC-Target-URI: ?<?(\S+?)>?\r?\n|"url": ?"([^"]+)"', raw):
            add((m.group(1) or m.group(2)).decode("utf-8", "replace"), "cc_formats")
    return out


def ut1_pages() -> str:
    """Whether the shared pages can be grouped by the UT1 category of their host: the filter's own
    answer on web_pages, then every parent domain of every host of the shared page sets against
    the UT1 domain lists (and, apart, against the hosts of its path-specific URL list)."""
    import glob
    import os
    from filters.urlfilter import UrlBlocklist
    ut1 = SHARED / "data" / "safety" / "ut1"
    urls = UrlBlocklist.from_ut1_dir(str(ut1))
    n = 0
    with lzma.open(SHARED / "data" / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        for line in f:
            n += urls.category(json.loads(line)["url"]) is not None
    domains, url_hosts = {}, {}
    for path in sorted(glob.glob(str(ut1 / "*.txt"))):
        cat, kind = os.path.basename(path)[:-4].split("__")
        for line in open(path, encoding="utf-8", errors="replace"):
            entry = line.strip().lower()
            if entry and not entry.startswith("#"):
                (domains if kind == "domains" else url_hosts).setdefault(entry.split("/")[0], set()).add(cat)
    hosts = _hosts_of_shared_pages()
    by_domain, by_url_host = [], []
    for host in sorted(hosts):
        parts = host.split(".")
        parents = [".".join(parts[i:]) for i in range(len(parts) - 1)]
        hit = next((p for p in parents if p in domains), None)
        if hit:
            by_domain.append(f"{host} ({'/'.join(sorted(domains[hit]))}; {'/'.join(sorted(hosts[host]))})")
        hit = next((p for p in parents if p in url_hosts), None)
        if hit:
            by_url_host.append(host)
    return (f"Web pages by UT1 category of their host: the URL filter puts {n} of the 754 pages of "
            f"`web_pages/pages_public.jsonl.xz` in a UT1 category. Matching every parent domain of the "
            f"{len(hosts)} hosts of the shared page sets (web_pages, html_pages labels and canonical links, "
            f"cc_formats) against the UT1 domain lists finds {len(by_domain)}: {', '.join(by_domain) or 'none'}; "
            f"{len(by_url_host)} more hosts ({', '.join(by_url_host)}) are on the `adult/urls` list only with "
            "other paths, which does not make the host adult. One or two labelled pages cannot measure topic "
            "clusters, so this comparison cannot be made with the shared data.")


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
             f"COLD comments (dev: {info['dev']}, topics {info['labels']}), k = 3, spherical k-means ({info['restarts']} "
             f"seeded restarts, the lowest inertia kept, as the baseline's n_init) on embeddings from a model trained "
             f"with the default parameters (SIF a = {info['sif'][0]:g} semantic, {info['sif'][1]:g} lexical) on the "
             f"first {info['train']} COLD train comments ({info['train_s']:.1f} s); the train comments after those are "
             "a second held-out sample:", "",
             "| comments | method | purity | NMI |", "|---|---|---|---|", *lines, "",
             ut1_pages()]
    body += ["", "### Topic reweighting on a corpus with one planted over-represented topic", "",
             "Real Chinese text: COLD comments on race planted over-represented among c4zh web lines, Leipzig news "
             "sentences and zh web pages (`planted_rows`), through the CLI stages with k = 3:", "",
             *planted_topic()]
    write_section("semantic", "Dense embeddings: semantic duplicates and topics (issue 18)",
                  f".venv/bin/python benchmarks/bench_semantic.py --docs {args.docs}", "\n".join(body))
    print("\n".join(body))


if __name__ == "__main__":
    main()
