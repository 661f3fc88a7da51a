"""Annotate job: throughput (docs/s, per-annotator ms/doc, language ID docs/s) and the quality
targets measured on the job's own output (language from the pipeline's LID, not from truth).

    .venv/bin/python benchmarks/bench_annotate.py

Runs `thresher ingest` then `thresher annotate` (one local worker) on make_corpus.py --docs 3000,
with the default config (language + quality + PII) and with the reference safety lists
(configs/shared-data.yaml).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, REPO, build_corpus, write_section  # noqa: E402

EXE = str(Path(sys.executable).parent / "thresher")
TIMER = [sys.executable, "-c", "import resource,subprocess,sys; r=subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL);"
         "u=resource.getrusage(resource.RUSAGE_CHILDREN); print(u.ru_utime+u.ru_stime, u.ru_maxrss, file=sys.stderr);"
         "sys.exit(r.returncode)"]


def timed(cmd):
    start = time.perf_counter()
    proc = subprocess.run(TIMER + cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    cpu, rss = proc.stderr.strip().splitlines()[-1].split()
    return time.perf_counter() - start, float(cpu), int(rss) / 1024


def auc(pos, neg):
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def quality_figures(corpus: Path, annotated: Path) -> list[str]:
    import pyarrow.parquet as pq
    from filters.quality import DEFAULT
    truth = {t["id"]: t for t in map(json.loads, (corpus / "truth.jsonl").read_text().splitlines())}
    rows = pq.read_table(annotated / "docs", columns=["id", "text", "lang", "quality_score", "paragraphs",
                                                      "sentences"]).to_pylist()
    good = [r["quality_score"] for r in rows if truth[r["id"]]["kind"] in ("page", "composed", "mixed")]
    bad = [r["quality_score"] for r in rows if truth[r["id"]]["kind"] in ("spam", "short")]
    zh_good = [r["quality_score"] for r in rows if truth[r["id"]]["kind"] in ("page", "composed", "mixed")
               and truth[r["id"]]["langs"][0] == "zh"]
    zh_bad = [r["quality_score"] for r in rows if truth[r["id"]]["kind"] in ("spam", "short")
              and truth[r["id"]]["langs"][0] == "zh"]
    lines, low = 0, 0
    comp_total = comp_low = 0
    for r in rows:
        t = truth[r["id"]]
        for line in t.get("boilerplate", []):
            start = r["text"].find(line)
            if start < 0:
                continue
            end = start + len(line)
            lines += 1
            paras = [p for p in r["paragraphs"] if p["start"] < end and start < p["end"]]
            sents = [s for s in r["sentences"] if s["start"] < end and start < s["end"]]
            low += any(p["score"] < DEFAULT.paragraph_cut for p in paras) or \
                (bool(sents) and all(s["score"] < DEFAULT.sentence_cut for s in sents))
        if t["kind"] == "composed":
            comp_total += len(r["sentences"])
            comp_low += sum(s["score"] < DEFAULT.sentence_cut for s in r["sentences"])
    return [f"| ROC AUC quality_score, spam+short vs page+composed+mixed | {auc(good, bad):.4f} | >= 0.97 |",
            f"| ROC AUC, zh documents ({len(zh_good)} good, {len(zh_bad)} bad) | {auc(zh_good, zh_bad):.4f} | >= 0.95 |",
            f"| planted boilerplate lines below the default cut | {low}/{lines} = {low / max(1, lines):.1%} | >= 95% |",
            f"| sentences of composed documents below the cut | {comp_low}/{comp_total} = "
            f"{comp_low / max(1, comp_total):.2%} | < 2% |"]


def main() -> None:
    corpus = build_corpus(3000)
    ingest = OUT / "annotate-bench-ingest"
    if not (ingest / "stats" / "ingest.json").exists():
        subprocess.run([EXE, "ingest", "--input", str(corpus / "raw"), "--output", str(ingest)], check=True,
                       capture_output=True)
    rows, figures = [], []
    for label, extra in (("language + quality + PII (default config)", []),
                         ("+ word, URL lists (configs/shared-data.yaml)", ["--config", str(REPO / "configs" / "shared-data.yaml")])):
        out = OUT / "annotate-bench"
        shutil.rmtree(out, ignore_errors=True)
        wall, cpu, rss = timed([EXE, "annotate", "--input", str(ingest), "--output", str(out)] + extra)
        stats = json.loads((out / "stats" / "annotate.json").read_text())
        n = stats["docs"]
        per = stats["ms_per_doc_by_annotator"]
        lid = stats["by_annotator"]["lid"]
        rows.append(f"| {label} | {n} | {wall:.1f} | {cpu:.1f} | {n / wall:,.0f} | {n / cpu:,.0f} | "
                    f"{per['lid']:.3f} / {per['quality']:.3f} / {per['safety']:.3f} | "
                    f"{1000 / per['lid']:,.0f} | {1000 / (per['lid'] + per['quality']):,.0f} | {rss:,.0f} |")
        print(rows[-1], flush=True)
        if not figures:
            figures = quality_figures(corpus, out)
            shares = {k[len("decided_by_"):]: v for k, v in lid.items() if k.startswith("decided_by_")}
            total = sum(shares.values())
            detector_line = ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(shares.items()))
            signal_line = ", ".join(f"{k.split('.', 1)[1]} {v:.3f}" for k, v in
                                    sorted(stats.get("ms_per_doc_by_signal", {}).items(), key=lambda kv: -kv[1]))
    # steady state: the same job on a 20k corpus; the difference removes the fixed start-up cost
    large = build_corpus(20000, reuse=True)
    ingest_large = OUT / "annotate-bench-ingest-20k"
    if not (ingest_large / "stats" / "ingest.json").exists():
        subprocess.run([EXE, "ingest", "--input", str(large / "raw"), "--output", str(ingest_large)], check=True,
                       capture_output=True)
    out = OUT / "annotate-bench"
    shutil.rmtree(out, ignore_errors=True)
    small_cpu = float(rows[0].split("|")[4])
    wall_l, cpu_l, rss_l = timed([EXE, "annotate", "--input", str(ingest_large), "--output", str(out)])
    n_l = json.loads((out / "stats" / "annotate.json").read_text())["docs"]
    n_s = int(rows[0].split("|")[2])
    marginal = (n_l - n_s) / (cpu_l - small_cpu)
    steady = (f"\n\nSteady state (default config): the 20k-document corpus ({n_l} docs) takes {cpu_l:.1f} CPU s "
              f"({wall_l:.1f} s wall, peak RSS {rss_l:,.0f} MB); the difference to the 3k run gives "
              f"**{marginal:,.0f} docs per CPU-second** once the fixed start-up (Beam import, model loading, "
              f"about 3.5 s) is paid.")
    body = ("Corpus: make_corpus.py --docs 3000 (ingested first). One local worker (FnApiRunner); wall time includes "
            "pipeline start-up and Parquet I/O; CPU is user+system of the whole job.\n\n"
            "| annotators | docs | wall s | CPU s | docs/s wall | docs/s per CPU-second | ms/doc lid / quality / safety | "
            "LID docs/s | LID+quality docs/s | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|\n"
            + "\n".join(rows) + steady + "\n\nTargets: annotate (language + quality at three granularities) >= 450 docs/s per core; "
            "language ID >= 5,000 docs/s per core.\n\n"
            f"Detector shares over paragraphs and texts (LID): {detector_line}.\n\n"
            f"Quality cost per signal group (ms/doc, CPU): {signal_line}.\n\n"
            "### Quality targets on the job's output (language from the pipeline)\n\n| figure | value | target |\n|---|---|---|\n"
            + "\n".join(figures))
    write_section("annotate", "Annotate job throughput and quality (issues 3, 5, 6)",
                  ".venv/bin/python benchmarks/bench_annotate.py", body)


if __name__ == "__main__":
    main()
