"""Fixed start-up cost of the ``thresher`` commands (issue 21, item 3), in CPU time.

Each command runs as its own process, as a user runs it: ``thresher --help``, an argument error,
and the stage jobs ``thresher ingest``, ``annotate``, ``dedup`` and ``manifest`` one after the
other on a 30-document corpus (``make_corpus.py --docs 30``), then ``thresher run`` on the same
corpus (every stage in one process). The figure per command is the CPU time (user + sys) of the
whole process tree, from ``resource.getrusage(RUSAGE_CHILDREN)`` around the child (worker
processes a runner starts are waited for by their parent, so they are included). Two floors are
measured the same way: ``python -c pass`` and ``python -c "import apache_beam"``.

Every command runs ``--repeat`` times (default 3, in rounds: all commands once, then again);
the table gives the best and the median. On 30 documents the stage jobs' time is nearly all
fixed cost (interpreter, imports, pipeline construction, runner start-up, model loading).

Usage: .venv/bin/python benchmarks/bench_startup.py [--label before] [--repeat 3] [--docs 30]
Writes benchmarks/results/startup.md (one section per --label, so "before" and "after" sit side
by side); run benchmarks/collect.py to refresh RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, RESULTS, build_corpus, machine  # noqa: E402

BIN = Path(sys.executable).parent
THRESHER = str(BIN / "thresher")
PYTHON = sys.executable
STAGE_JOBS = ("ingest", "annotate", "dedup")


def child_cpu(cmd: list[str], expect: int = 0) -> tuple[float, float]:
    """(CPU seconds user + sys of ``cmd``'s process tree, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != expect:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode} (expected {expect}):\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def commands(corpus: Path, out: Path) -> list[tuple[str, list[str], int]]:
    """(name, argv, expected exit status), in the order they run."""
    raw = str(corpus / "raw" / "*")
    return [
        ("python -c pass", [PYTHON, "-c", "pass"], 0),
        ("python -c 'import apache_beam'", [PYTHON, "-c", "import apache_beam"], 0),
        ("thresher --help", [THRESHER, "--help"], 0),
        ("thresher dedup (argument error)", [THRESHER, "dedup"], 2),
        ("ingest", [THRESHER, "ingest", "--input", raw, "--output", str(out / "ingest")], 0),
        ("annotate", [THRESHER, "annotate", "--input", str(out / "ingest"), "--output", str(out / "annotate")], 0),
        ("dedup", [THRESHER, "dedup", "--input", str(out / "annotate"), "--output", str(out / "dedup")], 0),
        ("manifest", [THRESHER, "manifest", "--annotated", str(out / "annotate"), "--dedup", str(out / "dedup"),
                      "--output", str(out / "manifest")], 0),
        ("thresher run (4 stages + report)", [THRESHER, "run", "--input", raw, "--output", str(out / "run"),
                                              "--force"], 0),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--label", default="current", help="section label, e.g. before / after")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--docs", type=int, default=30)
    args = ap.parse_args()
    corpus = build_corpus(args.docs)
    load = os.getloadavg()[0]
    cpu: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {}
    sums: list[float] = []
    order: list[str] = []
    env_note = os.environ.get("THRESHER_PROGRESS_INTERVAL")
    for _ in range(args.repeat):
        out = Path(tempfile.mkdtemp(prefix="bench_startup_"))
        try:
            stage_sum = 0.0
            for name, cmd, expect in commands(corpus, out):
                c, w = child_cpu(cmd, expect)
                if name not in cpu:
                    order.append(name)
                cpu.setdefault(name, []).append(c)
                wall.setdefault(name, []).append(w)
                if name in STAGE_JOBS:
                    stage_sum += c
                print(f"{name}: {c:.2f} CPU s, {w:.2f} s wall", flush=True)
            sums.append(stage_sum)
        finally:
            shutil.rmtree(out, ignore_errors=True)
    rows = ["| command | CPU s best | CPU s median | wall s median |", "|---|---|---|---|"]
    for name in order:
        rows.append(f"| {name} | {min(cpu[name]):.2f} | {statistics.median(cpu[name]):.2f} | "
                    f"{statistics.median(wall[name]):.2f} |")
    rows.append(f"| **ingest + annotate + dedup** (sum per round) | **{min(sums):.2f}** | "
                f"**{statistics.median(sums):.2f}** | |")
    command = "benchmarks/bench_startup.py " + " ".join(sys.argv[1:])
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    body = (f"- corpus: `make_corpus.py --docs {args.docs}` ({corpus.name}); default runner (FnApiRunner, "
            f"in process), default config; {args.repeat} rounds; load average at start {load:.2f}"
            + (f"; THRESHER_PROGRESS_INTERVAL={env_note}" if env_note else "") + "\n\n" + "\n".join(rows))
    section = (f"<!-- startup {args.label} -->\n### Start-up: {args.label}\n\n- command: `{command.strip()}`\n"
               f"- machine: {machine()}\n- date: {now}\n{body}\n")
    path = RESULTS / "startup.md"
    old = path.read_text(encoding="utf-8") if path.exists() else HEADER
    kept = re.sub(rf"<!-- startup {re.escape(args.label)} -->.*?(?=<!-- startup |\Z)", "", old, flags=re.S)
    path.write_text(kept.rstrip() + "\n\n" + section, encoding="utf-8")
    print(section)
    print(f"wrote {path}")


HEADER = """## Fixed start-up: CPU time of each command on 30 documents (issue 21)

CPU time (user + sys) of each command's whole process tree, each command its own process, as a
user runs them; on 30 documents a stage job is nearly all fixed cost. Targets (issue 21): a stage
job's fixed cost <= 2 s, ingest + annotate + dedup together <= 6 CPU s.
"""


if __name__ == "__main__":
    main()
