"""Before/after output check for refactors: run ``thresher run`` on a corpus and compare every
output table and stats file with a saved snapshot.

  compare_outputs.py snapshot --input RAW [--input BAD] --out SNAPDIR [--config FILE]
  compare_outputs.py compare  --input RAW [--input BAD] --baseline SNAPDIR [--config FILE]

A snapshot holds, per Parquet table (a directory of part files under a stage's output, e.g.
``annotate/docs`` or ``manifest/curated/web/en/high``), its rows sorted by ``id`` (all columns)
as JSON lines; every JSON output (stats, manifest.json, funnel.json) without timings, run ids,
creation times and absolute paths; ``blend.txt``; and the Beam counters the run printed.
``compare`` exits 1 when any table or JSON differs and prints what differs (counter differences
are listed too: a counter rename is expected to show there and nowhere else).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pyarrow.parquet as pq

# how a run went, not what it computed: timings, run ids, and which code ran (compiled kernels or
# their pure-Python references: the same outputs, so a baseline without kernels compares equal)
VOLATILE = re.compile(r"(^|_)(elapsed|seconds|ms_per_doc|created_at|completed_at|run_id|started_at)"
                      r"|_s$|^seconds_by|^ms_per_doc_by|_by_kernels$")


def _strip(value, root: str, ignore: frozenset = frozenset()):
    """JSON value without volatile keys (and ``ignore``d ones); absolute paths under the run
    directory made relative."""
    if isinstance(value, dict):
        return {k: _strip(v, root, ignore) for k, v in value.items() if not VOLATILE.search(k) and k not in ignore}
    if isinstance(value, list):
        return [_strip(v, root, ignore) for v in value]
    if isinstance(value, str) and root in value:
        return value.replace(root, "<run>")
    return value


def _rows(files: list[str]) -> list[str]:
    rows = []
    for f in files:
        rows.extend(pq.read_table(f).to_pylist())
    lines = [json.dumps(r, sort_keys=True, default=repr, ensure_ascii=False) for r in rows]
    return sorted(lines, key=lambda s: (json.loads(s).get("id", ""), s) if '"id"' in s else ("", s))


def snapshot(run_dir: str, stderr: str) -> dict[str, list[str]]:
    """{name: lines} for every table, JSON output and the counters of one run directory."""
    snap: dict[str, list[str]] = {}
    tables: dict[str, list[str]] = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "**", "*.parquet"), recursive=True)):
        tables.setdefault(os.path.relpath(os.path.dirname(path), run_dir), []).append(path)
    for name, files in tables.items():
        snap[f"table:{name}"] = _rows(files)
    for path in sorted(glob.glob(os.path.join(run_dir, "**", "*.json"), recursive=True)):
        rel = os.path.relpath(path, run_dir)
        if rel.endswith("_STAGE_COMPLETE.json"):
            continue
        with open(path) as f:
            data = _strip(json.load(f), run_dir)
        snap[f"json:{rel}"] = json.dumps(data, indent=1, sort_keys=True).splitlines()
    for path in sorted(glob.glob(os.path.join(run_dir, "**", "*.txt"), recursive=True)):
        with open(path) as f:
            snap[f"text:{os.path.relpath(path, run_dir)}"] = f.read().splitlines()
    counters = sorted(ln.strip() for ln in stderr.splitlines() if re.match(r"^  \S+ = \d+$", ln))
    snap["counters"] = counters
    return snap


def run(inputs: list[str], config: str | None, out_dir: str) -> dict[str, list[str]]:
    cmd = [os.path.join(os.path.dirname(sys.executable), "thresher"), "run", "--output", out_dir]
    for i in inputs:
        cmd += ["--input", i]
    if config:
        cmd += ["--config", config]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"thresher run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return snapshot(out_dir, proc.stderr)


def save(snap: dict[str, list[str]], path: str) -> None:
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "snapshot.json"), "w") as f:
        json.dump(snap, f, ensure_ascii=False)


def compare(old: dict[str, list[str]], new: dict[str, list[str]], limit: int = 5) -> int:
    """Print the differences; return how many tables/JSON outputs differ (counters not included)."""
    import difflib
    differ = 0
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        if name != "counters":
            differ += 1
        if a is None or b is None:
            print(f"{name}: only in {'new' if a is None else 'baseline'}")
            continue
        print(f"{name}: differs ({len(a)} -> {len(b)} lines)")
        shown = 0
        for ln in difflib.unified_diff(a, b, lineterm="", n=0):
            if ln.startswith(("---", "+++", "@@")):
                continue
            print("   ", ln[:300])
            shown += 1
            if shown >= limit * 2 and name != "counters":
                print("    ...")
                break
    print("outputs identical" if not differ else f"{differ} outputs differ")
    return differ


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["snapshot", "compare"])
    p.add_argument("--input", action="append", required=True)
    p.add_argument("--config")
    p.add_argument("--out", help="snapshot directory to write (snapshot)")
    p.add_argument("--baseline", help="snapshot directory to compare with (compare)")
    p.add_argument("--ignore", action="append", default=[], metavar="KEY",
                   help="JSON key left out of both sides (compare; repeatable), e.g. config_hash after a "
                        "deliberate change of what the hash covers")
    p.add_argument("--run-dir", default=os.path.join(tempfile.gettempdir(), "thresher-compare-run"),
                   help="where the run writes (cleared first; a fixed path, since input fingerprints "
                        "recorded in the manifest include paths)")
    args = p.parse_args(argv)
    shutil.rmtree(args.run_dir, ignore_errors=True)
    snap = run(args.input, args.config, args.run_dir)
    if args.mode == "snapshot":
        save(snap, args.out)
        print(f"{len(snap)} outputs saved to {args.out}")
        return 0
    with open(os.path.join(args.baseline, "snapshot.json")) as f:
        old = json.load(f)
    if args.ignore:
        old, snap = (_ignore_keys(s, frozenset(args.ignore)) for s in (old, snap))
    return 1 if compare(old, snap) else 0


def _ignore_keys(snap: dict[str, list[str]], keys: frozenset) -> dict[str, list[str]]:
    out = {}
    for name, lines in snap.items():
        if name.startswith("json:"):
            lines = json.dumps(_strip(json.loads("\n".join(lines)), "\0", keys), indent=1, sort_keys=True).splitlines()
        out[name] = lines
    return out


if __name__ == "__main__":
    sys.exit(main())
