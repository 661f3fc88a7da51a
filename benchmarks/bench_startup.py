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

The machine is shared, and CPU time grows with the load (caches, frequency): compare figures taken
in one session. ``--code DIR`` runs another checkout's ``pipeline``/``filters``/``schemas`` with
this virtualenv (put first on PYTHONPATH), e.g. the base commit in a detached worktree, so a
before/after pair is measured alternately under the same load (``--code`` twice: rounds alternate).
Project bytecode: with PYTHONDONTWRITEBYTECODE set (as on these machines) and an editable
install, every process compiles the project's sources unless ``__pycache__`` holds them
(``make setup`` precompiles them); the section says which.

Usage: .venv/bin/python benchmarks/bench_startup.py [--label after] [--repeat 3] [--docs 30]
                                                    [--code LABEL=DIR ...]
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


def child_cpu(cmd: list[str], expect: int = 0, env: dict | None = None) -> tuple[float, float]:
    """(CPU seconds user + sys of ``cmd``'s process tree, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tempfile.gettempdir(), env=env)
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


def has_bytecode(code: Path) -> bool:
    return any((code / pkg / "__pycache__").is_dir() for pkg in ("pipeline", "filters", "schemas"))


def measure(label: str, code: Path | None, corpus: Path, cpu: dict, wall: dict, sums: dict, order: list) -> None:
    """One round of every command, for the code under ``code`` (None: this checkout)."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    out = Path(tempfile.mkdtemp(prefix="bench_startup_"))
    try:
        stage_sum = 0.0
        for name, cmd, expect in commands(corpus, out):
            c, w = child_cpu(cmd, expect, env)
            if name not in order:
                order.append(name)
            cpu.setdefault((label, name), []).append(c)
            wall.setdefault((label, name), []).append(w)
            if name in STAGE_JOBS:
                stage_sum += c
            print(f"[{label}] {name}: {c:.2f} CPU s, {w:.2f} s wall", flush=True)
        sums.setdefault(label, []).append(stage_sum)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--label", default="current", help="section label, e.g. before / after")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--docs", type=int, default=30)
    ap.add_argument("--code", action="append", default=[], metavar="LABEL=DIR",
                    help="measure the checkout DIR's code as column LABEL (repeatable; rounds alternate)")
    args = ap.parse_args()
    corpus = build_corpus(args.docs)
    load = os.getloadavg()[0]
    codes = [(c.split("=", 1)[0], Path(c.split("=", 1)[1]).resolve()) for c in args.code] or [(args.label, None)]
    cpu: dict = {}
    wall: dict = {}
    sums: dict = {}
    order: list[str] = []
    for _ in range(args.repeat):
        for label, code in codes:
            measure(label, code, corpus, cpu, wall, sums, order)
    labels = [label for label, _ in codes]
    head = " | ".join(f"{lab}: CPU s best | {lab}: CPU s median | {lab}: wall s median" for lab in labels)
    rows = [f"| command | {head} |", "|---|" + "---|" * (3 * len(labels))]
    for name in order:
        cells = " | ".join(f"{min(cpu[lab, name]):.2f} | {statistics.median(cpu[lab, name]):.2f} | "
                           f"{statistics.median(wall[lab, name]):.2f}" for lab in labels)
        rows.append(f"| {name} | {cells} |")
    cells = " | ".join(f"**{min(sums[lab]):.2f}** | **{statistics.median(sums[lab]):.2f}** | " for lab in labels)
    rows.append(f"| **ingest + annotate + dedup** (sum per round) | {cells} |")
    code_note = "; ".join(f"{lab}: {code if code else REPO} ({'with' if has_bytecode(code or REPO) else 'no'} "
                          f"project bytecode)" for lab, code in codes)
    command = "benchmarks/bench_startup.py " + " ".join(sys.argv[1:])
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    env_note = os.environ.get("THRESHER_PROGRESS_INTERVAL")
    body = (f"- corpus: `make_corpus.py --docs {args.docs}` ({corpus.name}); default runner (FnApiRunner, "
            f"in process), default config; {args.repeat} rounds{' alternating' if len(codes) > 1 else ''}; "
            f"load average at start {load:.2f}" + (f"; THRESHER_PROGRESS_INTERVAL={env_note}" if env_note else "")
            + f"\n- code: {code_note}\n\n" + "\n".join(rows))
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
