"""Cost of the cluster shape: each stage's time run locally (default runner, local disk) against
the cluster-shaped run (Prism + a worker pool in its own mount namespace, input and output on
s3:// through moto), on a make_corpus.py --docs 3000 --bad corpus, plus the stages' fixed cost
(the same commands on a 30-document corpus) and the S3 requests each stage makes (moto's log).
Checks the two outputs are the same, table by table, row by row. Starts the cluster when it is
not running (and stops it again).

    .venv/bin/python benchmarks/bench_cluster.py [--docs 3000]      (make bench-cluster)
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import OUT, REPO, build_corpus, write_section  # noqa: E402

CLUSTER = REPO / ".ci" / "cluster.sh"
S3_LOG = REPO / ".cache" / "cluster" / "logs" / "s3.log"
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
       "STORAGE_EMULATOR_HOST": "http://127.0.0.1:4443", "THRESHER_PROGRESS_INTERVAL": "0"}
STAGES = ("ingest", "annotate", "dedup", "manifest")


def s3_requests() -> int:
    with open(S3_LOG, "rb") as f:
        return sum(1 for line in f if b'" 20' in line or b'" 40' in line)


def run_stages(inputs: list[str], out: str, flags: list[str]) -> dict:
    """Each stage as its own command; {stage: (seconds reported by the stage, S3 requests)}."""
    thresher = str(REPO / ".venv" / "bin" / "thresher")
    args = {"ingest": ["ingest", *sum((["--input", i] for i in inputs), []), "--output", f"{out}/ingest"],
            "annotate": ["annotate", "--input", f"{out}/ingest", "--output", f"{out}/annotate"],
            "dedup": ["dedup", "--input", f"{out}/annotate", "--output", f"{out}/dedup"],
            "manifest": ["manifest", "--annotated", f"{out}/annotate", "--dedup", f"{out}/dedup",
                         "--output", f"{out}/manifest"]}
    result = {}
    for stage in STAGES:
        before = s3_requests()
        proc = subprocess.run([thresher, *args[stage], *flags], env={**os.environ, **ENV}, capture_output=True,
                              text=True, cwd=REPO)
        if proc.returncode:
            raise SystemExit(f"{stage} failed:\n{proc.stderr[-3000:]}")
        seconds = float(re.search(rf"\[{stage}\] finished in ([0-9.]+)s", proc.stderr).group(1))
        result[stage] = (seconds, s3_requests() - before)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=3000)
    args = ap.parse_args()
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline import fs
    from tests.cluster.conftest import Cluster
    from tests.cluster.tables import differences, snapshot

    started = "stopped" in subprocess.run([str(CLUSTER), "status"], capture_output=True, text=True).stdout
    subprocess.run([str(CLUSTER), "up"], check=True, stdout=subprocess.DEVNULL)
    try:
        os.environ.update(ENV)
        flags = subprocess.run([str(CLUSTER), "flags"], capture_output=True, text=True, check=True).stdout.split()
        fs.use(PipelineOptions([f for f in flags if f.startswith("--s3_")]))
        helper = Cluster(flags, [], dict(os.environ), "")
        base = f"s3://thresher/bench-{uuid.uuid4().hex[:8]}"
        rows = {}
        for label, docs in (("fixed", 30), ("full", args.docs)):
            corpus = build_corpus(docs, bad=True, out=OUT / f"corpus-{docs}-bad")
            local_in = [str(corpus / "raw"), str(corpus / "bad")]
            remote_in = [helper.upload(corpus / "raw", f"{base}/{label}/in/raw"),
                         helper.upload(corpus / "bad", f"{base}/{label}/in/bad")]
            local_out = str(OUT / f"cluster-bench-{label}-local")
            subprocess.run(["rm", "-rf", local_out], check=True)
            rows[label] = {"local": run_stages(local_in, local_out, []),
                           "cluster": run_stages(remote_in, f"{base}/{label}/out", flags)}
            if label == "full":
                diff = differences(snapshot(local_out, local_in), snapshot(f"{base}/{label}/out", remote_in))
                same = "identical (every table row by row, every stats file; timings aside)" if not diff else \
                    "DIFFERENT: " + "; ".join(diff)
                tables = snapshot(local_out, local_in)
                n_rows = sum(len(v) for k, v in tables.items() if k.endswith(".parquet"))
    finally:
        if started:
            subprocess.run([str(CLUSTER), "down"], check=True, stdout=subprocess.DEVNULL)

    lines = ["| stage | local s | cluster s | ratio | fixed cost on cluster (30 docs) s | cluster minus fixed s "
             "| ratio without fixed cost | S3 requests |", "|---|---|---|---|---|---|---|---|"]
    for stage in STAGES:
        loc, (clu, req) = rows["full"]["local"][stage][0], rows["full"]["cluster"][stage]
        fixed = rows["fixed"]["cluster"][stage][0]
        lines.append(f"| {stage} | {loc:.1f} | {clu:.1f} | {clu / loc:.1f}x | {fixed:.1f} | {clu - fixed:.1f} "
                     f"| {max(clu - fixed, 0) / loc:.1f}x | {req} |")
    body = (f"Corpus: make_corpus.py --docs {args.docs} --bad (raw/ and bad/ as two inputs). Local: default "
            "runner (FnApiRunner, one process), local disk. Cluster shape: `make cluster-up` (Prism job server, "
            "worker pool in its own mount namespace with a private /tmp), input and output on s3:// (moto "
            "server on loopback). Seconds are each stage's own `finished in` figure (job submission to "
            "completion); the fixed cost is the same stage on a 30-document corpus. S3 requests are moto's "
            "log lines during the stage (driver and workers).\n\n" + "\n".join(lines) +
            f"\n\nOutputs: {same}; {n_rows} rows compared.\n")
    path = write_section("cluster", "Cluster shape against local (issue 20)",
                         f".venv/bin/python benchmarks/bench_cluster.py --docs {args.docs}", body)
    print(path.read_text())


if __name__ == "__main__":
    main()
