#!/usr/bin/env python3
"""MinHash dedup parts: signature throughput and clustering quality on make_corpus output.

    .venv/bin/python benchmarks/bench_minhash.py [--corpus DIR] [--heldout-seed 2] [--repeat 3]

Without --corpus it builds make_corpus.py --docs 3000 --seed 1 into benchmarks/out/. The
clustering here is an IN-MEMORY STAND-IN for the Beam dedup job (dict of LSH buckets +
union-find), built only from the parts in filters/minhash.py and filters/dedup_text.py; the Beam
job (pipeline/components.py for the components) must reproduce the same edges.

Writes benchmarks/results/minhash.md.
"""
from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import xxhash
import zstandard

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from filters import dedup_text as D  # noqa: E402
from filters import minhash as M  # noqa: E402

SHARED = Path(os.environ.get("THRESHER_SHARED", REPO.parent / "shared")).resolve()
OUT = REPO / "benchmarks" / "out"
RESULT = REPO / "benchmarks" / "results" / "minhash.md"
UNSPACED = ("zh", "ja", "th")


def load_make_corpus():
    spec = importlib.util.spec_from_file_location("make_corpus", SHARED / "bench" / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_corpus(docs: int, seed: int) -> Path:
    out = OUT / f"corpus-{docs}-s{seed}"
    if not (out / "summary.json").exists():
        subprocess.run([sys.executable, str(SHARED / "bench" / "make_corpus.py"), "--data", str(SHARED / "data"),
                        "--out", str(out), "--docs", str(docs), "--seed", str(seed)], check=True,
                       stdout=subprocess.DEVNULL)
    return out


def load_corpus(path: Path):
    docs = []
    for p in sorted(glob.glob(str(path / "raw" / "*.jsonl*"))):
        if p.endswith(".zst"):
            f = zstandard.open(p, "rt", encoding="utf-8")
        elif p.endswith(".gz"):
            import gzip
            f = gzip.open(p, "rt", encoding="utf-8")
        else:
            f = open(p, encoding="utf-8")
        with f:
            docs += [json.loads(line) for line in f]
    with open(path / "truth.jsonl", encoding="utf-8") as f:
        truth = {t["id"]: t for t in map(json.loads, f)}
    return docs, truth


def machine() -> str:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"nproc {os.cpu_count()}, {cpu}, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def group_of(lang: str) -> str:
    return lang if lang in UNSPACED else "spaced"


# ----------------------------------------------------------------------------- throughput

def best_rate(fn, n_items, repeat):
    """(best, median) items per CPU-second of this process (process_time: less sensitive than
    wall time to the other processes sharing the 2 cores, though caches are still shared)."""
    rates = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        rates.append(n_items / max(time.process_time() - t, 1e-9))
    return max(rates), statistics.median(rates)


def throughput(texts, repeat, batch=64):
    hasher = M.MinHasher()
    config = hasher.config
    hasher.signatures(texts[:32])

    def run(ts):
        return lambda: [hasher.signatures(ts[i:i + batch]) for i in range(0, len(ts), batch)]

    rows = []
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    best, med = best_rate(run(texts), len(texts), repeat)
    rows.append(("corpus docs as they are (mean %.0f chars)" % np.mean([len(t) for t in texts]), best, med,
                 best * mb / len(texts)))
    t3 = [t[:3000] for t in texts if len(t) >= 3000]
    modes = [M.script_mode(M.tokenize(t)) for t in t3]
    spaced = [t for t, m in zip(t3, modes) if m == "word"]
    unspaced = [t for t, m in zip(t3, modes) if m == "char"]
    for name, ts in (("3,000-char docs, all", t3), ("3,000-char docs, word mode (spaced)", spaced),
                     ("3,000-char docs, char mode (zh/ja/th)", unspaced)):
        if ts:
            best, med = best_rate(run(ts), len(ts), repeat)
            rows.append((f"{name} (n={len(ts)})", best, med, best * sum(len(x.encode()) for x in ts) / 1e6 / len(ts)))
    # the same in UTF-8 bytes (3 KB): a 3,000-character Chinese text is ~9 KB
    b3 = [t.encode("utf-8")[:3000].decode("utf-8", "ignore") for t in texts if len(t.encode("utf-8")) >= 3000]
    b3_char = [t for t in b3 if M.script_mode(M.tokenize(t)) == "char"]
    for name, ts in (("3,000-byte (UTF-8) docs, all", b3), ("3,000-byte (UTF-8) docs, char mode (zh/ja/th)", b3_char)):
        if ts:
            best, med = best_rate(run(ts), len(ts), repeat)
            rows.append((f"{name} (n={len(ts)})", best, med, best * sum(len(x.encode()) for x in ts) / 1e6 / len(ts)))
    # one document per call (no batching)
    best, med = best_rate(lambda: [hasher.signature(t) for t in t3], len(t3), repeat)
    rows.append((f"3,000-char docs, one per call (n={len(t3)})", best, med, None))

    # whole per-document dedup compute: exact hash + signature + band keys
    def whole():
        for i in range(0, len(t3), batch):
            chunk = t3[i:i + batch]
            sigs = hasher.signatures(chunk)
            for t, s in zip(chunk, sigs):
                D.doc_hash(t)
                M.band_keys(s, config)
    best, med = best_rate(whole, len(t3), repeat)
    rows.append(("3,000-char docs: doc_hash + signature + band_keys", best, med, None))

    from filters.segment import paragraph_spans
    spans = [paragraph_spans(t) for t in t3]
    n_units = sum(len(sp) for sp in spans)
    best, med = best_rate(lambda: [D.unit_hashes_indexed(t, sp) for t, sp in zip(t3, spans)], len(t3), repeat)
    rows.append((f"3,000-char docs: unit_hashes_indexed over paragraph spans ({n_units / len(t3):.1f} per doc)",
                 best, med, None))

    # reference: datasketch update_batch on the same shingles with xxhash (shingling included)
    from datasketch import MinHash
    ref_docs = t3[:300]

    def xxh32(s):
        return xxhash.xxh32_intdigest(" ".join(s).encode("utf-8"))

    word_re = re.compile(r"\w+")

    def ds_run():
        for t in ref_docs:
            words = word_re.findall(t.lower())
            m = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=xxh32)
            m.update_batch([tuple(words[i:i + 5]) for i in range(max(1, len(words) - 4))])
    best, med = best_rate(ds_run, len(ref_docs), max(1, repeat - 1))
    rows.append((f"reference: datasketch MinHash.update_batch, xxh32 hashfunc, regex word 5-grams "
                 f"(n={len(ref_docs)})", best, med, None))
    shs = [M.shingles(t, config) for t in ref_docs]

    def ds_only():
        for s in shs:
            m = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=xxh32)
            m.update_batch(s)
    best, med = best_rate(ds_only, len(ref_docs), max(1, repeat - 1))
    rows.append(("reference: datasketch, filters.minhash shingles precomputed (hash + permute only)", best, med,
                 None))
    return rows


# ----------------------------------------------------------------------------- clustering

class UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        p = self.parent.setdefault(x, x)
        while p != x:
            self.parent[x] = self.parent.setdefault(p, p)
            x, p = p, self.parent[p]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def cluster(ids, texts, config, verify: bool, all_pairs_cap=64):
    """Stand-in for the Beam job: exact-hash groups + LSH buckets -> edges -> union-find."""
    hasher = M.MinHasher(config)
    sigs = hasher.signatures(texts)
    uf = UnionFind()
    stats = Counter()
    by_hash = defaultdict(list)
    for i, t in zip(ids, texts):
        uf.find(i)
        h = D.doc_hash(t)
        if h is not None:
            by_hash[h].append(i)
    for members in by_hash.values():
        for m in members[1:]:
            uf.union(members[0], m)
            stats["exact_edges"] += 1
    buckets = defaultdict(list)
    for k, sig in enumerate(sigs):
        for key in M.band_keys(sig, config):
            buckets[key].append(k)
    seen = set()
    for members in buckets.values():
        if len(members) < 2:
            continue
        members = sorted(members, key=lambda k: ids[k])
        if verify and len(members) <= all_pairs_cap:
            pairs = [(a, b) for x, a in enumerate(members) for b in members[x + 1:]]
        else:
            pairs = [(members[0], b) for b in members[1:]]
        for a, b in pairs:
            if (a, b) in seen:
                continue
            seen.add((a, b))
            stats["candidate_pairs"] += 1
            if verify and M.estimate_jaccard(sigs[a], sigs[b]) < config.verify_threshold:
                stats["rejected_by_verify"] += 1
                continue
            stats["near_edges"] += 1
            uf.union(ids[a], ids[b])
    return {i: uf.find(i) for i in ids}, stats


def evaluate(docs_by_id, truth, labels, mc):
    """Recall / merge rates by script group against the planted truth."""
    res = defaultdict(Counter)
    for i, t in truth.items():
        if t["kind"] not in ("exact_dup", "near_dup"):
            continue
        g = group_of(t["langs"][0])
        same = labels[i] == labels[t["dup_of"]]
        if t["kind"] == "exact_dup":
            key = "exact"
        else:
            j = t["jaccard5"]
            key = "near>=0.8" if j >= 0.8 else ("near<0.5" if j < 0.5 else "near0.5-0.8")
        for gg in (g, "all"):
            res[gg][key + "_n"] += 1
            res[gg][key + "_merged"] += same
    # cross-family merges: two documents in one cluster that the truth does not relate
    family = {i: t.get("dup_of", i) for i, t in truth.items()}
    members = defaultdict(list)
    for i, lab in labels.items():
        members[lab].append(i)
    cross = Counter()
    false_docs = set()
    for ms in members.values():
        if len(ms) < 2:
            continue
        for x in range(len(ms)):
            for y in range(x + 1, len(ms)):
                a, b = ms[x], ms[y]
                if family[a] == family[b]:
                    continue
                la, lb = truth[a]["langs"][0], truth[b]["langs"][0]
                lang = la if la in mc.CJK else lb
                j = mc.jaccard5(docs_by_id[a], docs_by_id[b], lang)
                cross["pairs"] += 1
                if j < 0.5:
                    cross["pairs_j<0.5"] += 1
                    false_docs.update((a, b))
                    kinds = sorted(truth[x].get("spam_kind") or truth[x]["kind"] for x in (a, b))
                    cross["false: " + " + ".join(kinds)] += 1
                    if M.exact_jaccard(docs_by_id[a], docs_by_id[b]) >= 0.5:
                        cross["false_but_our_shingle_j>=0.5"] += 1
                elif j >= 0.8:
                    cross["pairs_j>=0.8"] += 1
    cross["docs_in_false_merge"] = len(false_docs)
    return res, cross


def pct(num, den):
    return "n/a" if den == 0 else f"{100.0 * num / den:.1f}% ({num}/{den})"


def quality_table(res, groups):
    lines = ["| group | exact dups merged | near-dups J>=0.8 merged | near-dups J 0.5-0.8 merged | "
             "near-dups J<0.5 merged (false) |", "|---|---|---|---|---|"]
    for g in groups:
        r = res.get(g, Counter())
        lines.append(f"| {g} | {pct(r['exact_merged'], r['exact_n'])} | {pct(r['near>=0.8_merged'], r['near>=0.8_n'])} "
                     f"| {pct(r['near0.5-0.8_merged'], r['near0.5-0.8_n'])} | {pct(r['near<0.5_merged'], r['near<0.5_n'])} |")
    return "\n".join(lines)


def supplement(mc, seed=5, per_lang=60):
    """Extra zh/ja/th near-duplicate pairs built with make_corpus's own compose() and perturb()
    from the real lid sentences (the 3,000-doc corpus has few ja/th near-duplicates)."""
    import random
    rng = random.Random(seed)
    _, sentences, _ = mc.load_sources(str(SHARED / "data"))
    pools = mc.Pools({k: v for k, v in sentences.items() if k in UNSPACED}, rng, reuse=True)
    docs, truth = [], {}
    rates = [0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2]
    for lang in UNSPACED:
        for k in range(per_lang):
            text = mc.compose(pools, rng, lang)
            oid = f"sup-{lang}-{k:03d}"
            docs.append({"id": oid, "text": text})
            truth[oid] = {"id": oid, "kind": "composed", "langs": [lang]}
            rate = rates[k % len(rates)]
            dup = mc.perturb(text, lang, rate, rng)
            did = oid + "-dup"
            docs.append({"id": did, "text": dup})
            truth[did] = {"id": did, "kind": "near_dup", "langs": [lang], "dup_of": oid,
                          "jaccard5": mc.jaccard5(text, dup, lang), "edit_rate": rate}
    return docs, truth


def run_quality(docs, truth, mc, config):
    ids = [d["id"] for d in docs]
    texts = [d["text"] for d in docs]
    by_id = dict(zip(ids, texts))
    out = {}
    for verify in (True, False):
        t0 = time.perf_counter()
        labels, stats = cluster(ids, texts, config, verify)
        dt = time.perf_counter() - t0
        res, cross = evaluate(by_id, truth, labels, mc)
        low = {i: dict(t, ours=M.exact_jaccard(by_id[i], by_id[t["dup_of"]], config)) for i, t in truth.items()
               if t["kind"] == "near_dup" and t["jaccard5"] < 0.5 and labels[i] == labels[t["dup_of"]]}
        out[verify] = (res, cross, stats, dt, low)
    return out


def s_curve(config):
    js = [0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9]
    head = "| J | " + " | ".join(f"{j:.2f}" for j in js) + " |"
    sep = "|---|" + "---|" * len(js)
    row = "| P(share a band) | " + " | ".join(f"{config.candidate_probability(j):.4f}" for j in js) + " |"
    return "\n".join([head, sep, row])


def quality_section(title, out, groups, config):
    parts = [f"### {title}\n"]
    for verify in (True, False):
        res, cross, stats, dt, low = out[verify]
        name = (f"with candidate verification (estimated Jaccard >= {config.verify_threshold}; all pairs in buckets "
                f"of <= 64, else star to the smallest id)" if verify else
                "WITHOUT verification (every bucket becomes a star of edges to its smallest id)")
        parts.append(f"**{name}** - clustering stand-in took {dt:.1f} s; {stats['candidate_pairs']} candidate pairs, "
                     f"{stats['rejected_by_verify']} rejected, {stats['near_edges']} near edges, "
                     f"{stats['exact_edges']} exact-hash edges.\n")
        parts.append(quality_table(res, groups))
        parts.append(f"\nCross-family merges (documents the truth does not relate, true 5-gram Jaccard computed with "
                     f"make_corpus.jaccard5): {cross['pairs']} pairs in clusters, {cross['pairs_j>=0.8']} of them with "
                     f"J>=0.8 (real duplicates the truth does not list, e.g. spam templates), "
                     f"**{cross['pairs_j<0.5']} with J<0.5** (false merges), involving "
                     f"{cross['docs_in_false_merge']} documents"
                     + (f"; of these pairs {cross['false_but_our_shingle_j>=0.5']} have Jaccard >= 0.5 with OUR "
                        f"shingles (punctuation-free tokens); by kind: "
                        + ", ".join(f"{k[7:]} {v}" for k, v in sorted(cross.items()) if k.startswith("false: "))
                        if cross["pairs_j<0.5"] else "") + ".\n")
        for i, t in sorted(low.items()):
            parts.append(f"- near-dup with jaccard5 < 0.5 merged: `{i}` (labels {t['langs']}, edit rate "
                         f"{t['edit_rate']}, truth jaccard5 {t['jaccard5']}, Jaccard of our shingles {t['ours']:.3f})")
        if low:
            parts.append("")
    return "\n".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, help="make_corpus output dir (default: build --docs 3000 --seed 1)")
    ap.add_argument("--heldout-seed", type=int, default=2, help="also evaluate a corpus built with this seed "
                    "(0 = skip)")
    ap.add_argument("--repeat", type=int, default=3, help="timing repetitions (best and median reported)")
    args = ap.parse_args(argv)
    command = "python benchmarks/bench_minhash.py" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    corpus = args.corpus or build_corpus(3000, 1)
    mc = load_make_corpus()
    docs, truth = load_corpus(corpus)
    config = M.MinHashConfig()
    texts = [d["text"] for d in docs]

    print("throughput ...", flush=True)
    rows = throughput(texts, args.repeat)
    print("quality ...", flush=True)
    main_q = run_quality(docs, truth, mc, config)
    sup_docs, sup_truth = supplement(mc)
    print("supplement ...", flush=True)
    sup_q = run_quality(docs + sup_docs, {**truth, **sup_truth}, mc, config)
    held = None
    if args.heldout_seed:
        print("held-out corpus ...", flush=True)
        hd, ht = load_corpus(build_corpus(3000, args.heldout_seed))
        held = run_quality(hd, ht, mc, config)

    groups = ["all", "spaced", "zh", "ja", "th"]

    def fig(q, group, key):
        r = q[True][0].get(group, Counter())
        return pct(r[key + "_merged"], r[key + "_n"])

    sig_rate = {name: best for name, best, _, _ in rows}
    summary = [
        "### Summary vs targets (default config, with candidate verification)\n",
        "| figure | target | seed-1 corpus | + zh/ja/th supplement | seed-%s corpus |" % args.heldout_seed,
        "|---|---|---|---|---|",
    ]
    qs = [main_q, sup_q] + ([held] if held else [])
    for label, target, group, key in [
            ("exact dups merged with original", ">= 99.5%", "all", "exact"),
            ("near-dups J>=0.8 merged, all", ">= 95%", "all", "near>=0.8"),
            ("near-dups J>=0.8 merged, zh", ">= 95%", "zh", "near>=0.8"),
            ("near-dups J>=0.8 merged, ja", ">= 95%", "ja", "near>=0.8"),
            ("near-dups J>=0.8 merged, th", ">= 95%", "th", "near>=0.8"),
            ("near-dups J<0.5 merged (false merges)", "<= 0.5%", "all", "near<0.5")]:
        summary.append(f"| {label} | {target} | " + " | ".join(fig(q, group, key) for q in qs) + " |")
    summary.append("| cross-family pairs with true J<0.5 in one cluster | (few) | "
                   + " | ".join(str(q[True][1]["pairs_j<0.5"]) for q in qs) + " |")
    first = next(iter(sig_rate))
    summary.append(f"\nSignatures: {sig_rate[first]:,.0f} docs/s on the corpus as is, "
                   + ", ".join(f"{v:,.0f} docs/s {k}" for k, v in list(sig_rate.items())[1:4])
                   + " (single process, best of runs; see below).\n")
    lines = [
        "## MinHash / exact-hash dedup parts (filters/minhash.py, filters/dedup_text.py)\n",
        f"- command: `{command}` (corpus: `{corpus}`)",
        f"- machine: {machine()}",
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        "- NOTE: 2 cores shared with other helpers running concurrently (load average "
        f"{os.getloadavg()[0]:.1f} at the end of this run): timings are noisy. All throughput is single process, "
        "in documents per CPU-second of the benchmark process (time.process_time), best and median of --repeat "
        "runs.",
        f"- config: `{config}` (20 bands x 6 rows derived by datasketch's `_optimal_param(0.7, 128, 0.1, 0.9)`), "
        "word 5-grams for spaced text, character 5-grams for unspaced (zh/ja/th...) text, decided per document "
        "by script content.",
        "",
        *summary,
        "### Signature throughput (single process, docs per CPU-second, `MinHasher.signatures`, batches of 64 docs)\n",
        "| input | best docs/s | median docs/s | MB/s (best) |", "|---|---|---|---|",
    ]
    for name, best, med, mbs in rows:
        lines.append(f"| {name} | {best:,.0f} | {med:,.0f} | {'' if mbs is None else f'{mbs:.1f}'} |")
    lines += [
        "",
        "Target: several thousand docs/s per core for signatures so that the whole dedup job can reach >= 2,000 "
        "docs/s per core on 3 KB docs. Character-mode documents have ~6x more shingles per character than word-mode "
        "ones (one per character instead of one per word; ~2x per UTF-8 byte), hence their lower rate per "
        "3,000-character document.",
        "",
        "### LSH S-curve of the default config\n",
        s_curve(config),
        "",
        "### Clustering quality: IN-MEMORY STAND-IN for the Beam job (LSH dict + union-find)\n",
        "Targets: >= 99.5% of exact dups and >= 95% of near-dup pairs with jaccard5 >= 0.8 in the same cluster as "
        "their original (zh/ja/th included); <= 0.5% of pairs with jaccard5 < 0.5 merged.\n",
        quality_section(f"make_corpus --docs 3000 --seed 1 ({corpus.name})", main_q, groups, config),
        quality_section("same corpus + zh/ja/th supplement (60 originals per language composed from the real lid "
                        "sentences with make_corpus.compose, one near-dup each with make_corpus.perturb at rates "
                        "0.005-0.2)", sup_q, groups, config),
    ]
    if held:
        lines.append(quality_section(f"check on a differently seeded corpus (make_corpus --docs 3000 --seed "
                                     f"{args.heldout_seed}; same defaults, nothing re-tuned)", held, groups, config))
    lines += ["Design notes and figures from earlier runs (not measured by this run): benchmarks/NOTES.md.", ""]
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
