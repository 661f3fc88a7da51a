"""Issue 15's hostile inputs through ``thresher ingest``: wall time, peak RSS and accounting per case.

Each case (tests/hostile_cases.py: 2 GiB one-line bombs as .jsonl.zst (65 KB), .jsonl.gz (2 MB)
and .txt.zst, one-line plain .jsonl and .txt files of 128/512 MiB, surrogates in metadata, a
5,000-digit integer, colliding ids, a forged WET record, wrong Content-Lengths, a per-record
.warc.gz cut short) is written under benchmarks/out/hostile/ and ingested by the CLI in a fresh
process; the process's own peak RSS comes from wait4. Targets: exit 0, seconds, under 3 GB RSS,
every record accounted (stats balanced, expected records, docs and error reasons).

    .venv/bin/python benchmarks/bench_hostile.py
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.common import OUT, write_section  # noqa: E402
from tests.hostile_cases import Case, bomb_cases, cases, write  # noqa: E402

RSS_LIMIT_MB = 3 * 1024


def plain_one_liners() -> list[Case]:
    """One-line plain files (the reader's buffering was quadratic on these)."""
    out = []
    for mib in (128, 512):
        out.append(Case(f"line{mib}.jsonl", b"a" * (mib << 20), 1, 0, {"record_too_large": 1} if mib > 64 else {}))
        out.append(Case(f"line{mib}.txt", b"a" * (mib << 20), 1, 1))
    return out


def all_cases() -> list[Case]:
    return bomb_cases() + plain_one_liners() + cases()


def write_case(name: str, folder: Path) -> dict:
    """Build and write one case (in its own process, so the measuring parent never holds the
    gigabytes: a child's peak RSS includes its parent's at fork); returns its expectations."""
    [case] = [c for c in all_cases() if c.name == name]
    path = write(case, folder)
    return {"path": str(path), "records": case.records, "docs": case.docs, "errors": case.errors,
            "input_bytes": len(case.data)}


def run_case(name: str, root: Path) -> dict:
    folder = root / name.replace(".", "_")
    shutil.rmtree(folder, ignore_errors=True)
    made = subprocess.run([sys.executable, __file__, "--write", name, str(folder / "in")], check=True,
                          capture_output=True, text=True)
    expect = json.loads(made.stdout)
    out = folder / "out"
    cmd = [str(REPO / ".venv" / "bin" / "thresher"), "ingest", "--input", expect["path"], "--output", str(out),
           "--progress_interval=0"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    stats_path = out / "stats" / "ingest.json"
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    ok = (code == 0 and stats.get("balanced") and stats.get("records") == expect["records"]
          and stats.get("docs") == expect["docs"] and stats.get("errors_by_reason", {}) == expect["errors"]
          and usage.ru_maxrss / 1024 < RSS_LIMIT_MB)
    shutil.rmtree(folder, ignore_errors=True)
    return {"case": name, "input_bytes": expect["input_bytes"], "exit": code, "seconds": seconds,
            "rss_mb": usage.ru_maxrss / 1024, "records": stats.get("records"), "docs": stats.get("docs"),
            "errors": stats.get("errors_by_reason"), "balanced": stats.get("balanced"), "ok": bool(ok)}


def main() -> int:
    root = OUT / "hostile"
    if len(sys.argv) == 4 and sys.argv[1] == "--write":
        print(json.dumps(write_case(sys.argv[2], Path(sys.argv[3]))))
        return 0
    names = [c.name for c in bomb_cases(total=1 << 26)] + [f"line{m}.{x}" for m in (128, 512) for x in ("jsonl", "txt")]
    names += [c.name for c in cases()]
    rows = [run_case(name, root) for name in names]
    table = ["| case | input bytes | exit | seconds | peak RSS MB | records | docs | errors | balanced | as expected |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append(f"| {r['case']} | {r['input_bytes']:,} | {r['exit']} | {r['seconds']:.1f} | {r['rss_mb']:.0f} | "
                     f"{r['records']} | {r['docs']} | {r['errors']} | {r['balanced']} | {'yes' if r['ok'] else 'NO'} |")
    bad = [r["case"] for r in rows if not r["ok"]]
    body = (f"Each case ingested by `thresher ingest` in a fresh process (FnApiRunner); seconds include "
            f"interpreter and Beam start-up (about 3 s). Targets: exit 0, seconds, < 3 GB RSS, every record "
            f"accounted. **{'all cases as expected' if not bad else 'NOT as expected: ' + ', '.join(bad)}**.\n\n"
            + "\n".join(table))
    print(body)
    write_section("hostile", "Hostile input through ingest", "python benchmarks/bench_hostile.py", body)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
