"""Two workers against one, per stage (issue 21): how much faster ingest, annotate and dedup run on
the 2-core machine with `--direct_num_workers=2 --direct_running_mode=multi_processing` than with
`--direct_num_workers=1`.

    .venv/bin/python benchmarks/bench_scaling.py [--docs 20000] [--repeat 1]

The corpus is `make_corpus.py --docs N --reuse`. Each stage runs as its own `thresher` command on
the same input (the one-worker output of the stage before), once per worker count, interleaved.
Measured outside each command: wall seconds, CPU seconds (user + sys of the process tree), and
the documents per wall-second. The speed-up is the one-worker wall time over the two-worker one
(target >= 1.6); "cores busy" is CPU / wall. Each stage's own `elapsed_s` (in its
_STAGE_COMPLETE.json: the Beam job without interpreter start-up) is shown beside it. Writes
benchmarks/results/scaling.md.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, build_corpus, write_section  # noqa: E402

EXE = str(Path(sys.executable).parent / "thresher")
STAGES = ("ingest", "annotate", "dedup")
WORKERS = {1: ["--direct_num_workers=1"],
           2: ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]}


def timed(cmd: list[str], log: Path) -> tuple[float, float, float]:
    """Run ``cmd``; (wall s, CPU s of it and its children, CPU s of the driver process alone). The
    driver's CPU is sampled with psutil every 0.1 s (the last sample before it exits)."""
    import psutil

    r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
        driver = psutil.Process(proc.pid)
        driver_cpu = 0.0
        while proc.poll() is None:
            try:
                t = driver.cpu_times()
                driver_cpu = t.user + t.system
            except psutil.Error:
                pass
            time.sleep(0.1)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed (rc={proc.returncode}), log {log}")
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), driver_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=1, help="runs per stage and worker count (least wall kept)")
    ap.add_argument("--config", help="thresher config for every stage")
    ap.add_argument("--render-only", action="store_true", help="rewrite scaling.md from the last run's JSON")
    args = ap.parse_args()
    command = " ".join([".venv/bin/python benchmarks/bench_scaling.py"] + sys.argv[1:])
    if args.render_only:
        saved = json.loads((OUT / "scaling-results.json").read_text())
        results = {stage: {int(w): r for w, r in by_w.items()} for stage, by_w in saved["results"].items()}
        write_section("scaling", "Two workers against one, per stage (issue 21)", saved["command"],
                      render(results, saved["docs"], argparse.Namespace(**saved["args"])))
        return
    corpus = build_corpus(args.docs, reuse=True)
    cfg = ["--config", args.config] if args.config else []
    results: dict[str, dict[int, dict]] = {}
    source = corpus / "raw"
    docs = None
    for stage in STAGES:
        results[stage] = {}
        runs: dict[int, list] = {1: [], 2: []}
        for _ in range(args.repeat):
            for w, flags in WORKERS.items():
                out = OUT / f"scaling-{stage}-w{w}"
                shutil.rmtree(out, ignore_errors=True)
                load = os.getloadavg()[0]
                wall, cpu, driver_cpu = timed([EXE, stage, "--input", str(source), "--output", str(out), "--progress_interval=0",
                                   *flags, *cfg], OUT / f"scaling-{stage}-w{w}.log")
                inner = json.loads((out / "_STAGE_COMPLETE.json").read_text())["elapsed_s"]
                runs[w].append({"wall": wall, "cpu": cpu, "driver_cpu": driver_cpu, "inner": inner, "load": load})
                print(stage, w, runs[w][-1], flush=True)
        for w in WORKERS:
            results[stage][w] = min(runs[w], key=lambda r: r["wall"])
        if docs is None:
            docs = json.loads((OUT / "scaling-ingest-w1" / "stats" / "ingest.json").read_text())["docs"]
        source = OUT / f"scaling-{stage}-w1"
    (OUT / "scaling-results.json").write_text(json.dumps({"results": results, "docs": docs, "command": command,
                                                          "args": vars(args)}, indent=1))
    write_section("scaling", "Two workers against one, per stage (issue 21)", command, render(results, docs, args))
    print((Path(__file__).parent / "results" / "scaling.md").read_text())


def render(results: dict, docs: int, args) -> str:
    lines = [f"Corpus: `make_corpus.py --docs {args.docs} --reuse`, {docs:,} documents after ingest. Each stage is "
             "one `thresher` command on the one-worker output of the stage before; one worker = "
             "`--direct_num_workers=1`, two = `--direct_num_workers=2 --direct_running_mode=multi_processing`. "
             f"Best (least wall) of {args.repeat}. Wall and CPU (user + sys of the process tree) are measured "
             "outside the command, so they include interpreter start-up; `elapsed_s` is the Beam job alone.", "",
             "The driver's CPU is the launching process alone (with one worker, the worker runs inside it; with "
             "two, it runs the runner: it schedules every fused stage and every element crossing a stage "
             "boundary goes through it), the workers' the rest.", "",
             "| stage | workers | load at start | wall s | elapsed_s | CPU s | driver CPU s | workers CPU s | "
             "cores busy | docs per wall-second | speed-up (wall) | speed-up (elapsed_s) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for stage, by_w in results.items():
        for w, r in by_w.items():
            up = by_w[1]["wall"] / r["wall"]
            up_inner = by_w[1]["inner"] / r["inner"]
            lines.append(f"| {stage} | {w} | {r['load']:.2f} | {r['wall']:.1f} | {r['inner']:.1f} | {r['cpu']:.1f} | "
                         f"{r['driver_cpu']:.1f} | {max(0.0, r['cpu'] - r['driver_cpu']):.1f} | "
                         f"{r['cpu'] / r['wall']:.2f} | {docs / r['wall']:,.0f} | "
                         f"{'' if w == 1 else f'**{up:.2f}x**'} | {'' if w == 1 else f'{up_inner:.2f}x'} |")
    lines += ["", "What limits two local workers (FnApiRunner, `multi_processing`): the runner starts each worker as "
              "its own Python process (interpreter, `import apache_beam`, the stage's modules, the DoFns' `setup`: "
              "models and lists), runs the job's fused stages one after another, and splits each stage's input "
              "round-robin between the workers, so every stage ends at a barrier and is as slow as its slower half; "
              "every element that crosses a stage boundary is encoded by a worker, decoded and buffered by the driver "
              "and encoded again for the next stage. Per stage, measured here:", ""]
    for stage, by_w in results.items():
        one, two = by_w[1], by_w[2]
        extra = two["cpu"] - one["cpu"]
        lines.append(f"- {stage}: two workers used {two['cpu']:.1f} CPU s against {one['cpu']:.1f} with one "
                     f"(+{extra:.1f} s: {100 * extra / max(one['cpu'], 1e-9):.0f}% more work for the same "
                     f"documents), the driver {two['driver_cpu']:.1f} s of it; the job kept "
                     f"{two['cpu'] / two['wall']:.2f} cores busy; speed-up {one['wall'] / two['wall']:.2f}x.")
    lines += ["", "Annotate is nearly all per-document work inside one fused stage, so the split pays, but only by "
              "what is left after the second worker's own start-up and model loading (the extra CPU above, see "
              "startup.md): with the compiled kernels the per-document work at this size is about 10 CPU s, so "
              "those few seconds of set-up weigh more than they did (1.40x in session 8, before the kernels). "
              "Ingest is a few seconds of work at this size: "
              "the second worker's start-up is as large as the half of the work it takes over. Dedup is a chain of "
              "many short fused stages (features, exact groups, LSH buckets, each connected-components round, "
              "representatives, repeats, writes): each runs on both workers behind a barrier, most move packed "
              "hashes through the driver, and the per-document compute that splits (shingling, MinHash, unit "
              "hashes: about 0.2 ms a document) is the smaller part of the job, so two workers do more work in "
              "the same time. On Dataflow or Flink the workers start once per job and stay up, and shuffled data "
              "moves between workers or a shuffle service, not through one driver process."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
