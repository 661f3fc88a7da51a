"""Ingest throughput: docs/s, MB/s of text and peak RSS of `thresher ingest` on a 20k-document
corpus (make_corpus.py --docs 20000 --reuse), with one and with two local workers.

    .venv/bin/python benchmarks/bench_ingest.py [--docs 20000]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, build_corpus, write_section  # noqa: E402


def run(corpus: Path, out: Path, extra: list[str]) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    exe = str(Path(sys.executable).parent / "thresher")
    cmd = [exe, "ingest", "--input", str(corpus / "raw"), "--output", str(out)] + extra
    # peak RSS of the job (driver and worker processes), measured as the largest child
    wrapper = [sys.executable, "-c",
               "import resource,subprocess,sys; r=subprocess.run(sys.argv[1:]);"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)"]
    start = time.perf_counter()
    proc = subprocess.run(wrapper + cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    stats = json.loads((out / "stats" / "ingest.json").read_text())
    import pyarrow.parquet as pq
    chars = sum(len(t) for t in pq.read_table(out / "docs", columns=["text"]).column("text").to_pylist())
    return {"elapsed": elapsed, "peak_mb": peak_kb / 1024, "stats": stats, "text_mb": chars / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20000)
    args = ap.parse_args()
    corpus = build_corpus(args.docs, reuse=True)
    raw_mb = sum(p.stat().st_size for p in (corpus / "raw").iterdir()) / 1e6
    rows = []
    for label, extra in (("1 worker (FnApiRunner)", []),
                         ("2 workers (multi_processing)", ["--direct_num_workers=2",
                                                           "--direct_running_mode=multi_processing"])):
        r = run(corpus, OUT / "ingest-bench", extra)
        s = r["stats"]
        assert s["balanced"], s
        rows.append(f"| {label} | {s['records']} | {s['docs']} | {r['elapsed']:.1f} | "
                    f"{s['records'] / r['elapsed']:,.0f} | {r['text_mb'] / r['elapsed']:.1f} | {r['peak_mb']:,.0f} |")
        print(rows[-1], flush=True)
    body = (f"Corpus: make_corpus.py --docs {args.docs} --reuse (4 zstd JSONL shards, {raw_mb:.1f} MB compressed).\n"
            "Wall time includes pipeline start-up; peak RSS is the largest process of the job.\n\n"
            "| run | records | docs | seconds | docs/s | MB/s text | peak RSS MB |\n|---|---|---|---|---|---|---|\n"
            + "\n".join(rows))
    write_section("ingest", "Ingest throughput (issue 2)",
                  f".venv/bin/python benchmarks/bench_ingest.py --docs {args.docs}", body)


if __name__ == "__main__":
    main()
