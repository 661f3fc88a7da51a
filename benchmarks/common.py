"""Helpers shared by the benchmarks: machine description, corpus building, result sections."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("THRESHER_SHARED", REPO.parent / "shared")).resolve()
OUT = REPO / "benchmarks" / "out"
RESULTS = REPO / "benchmarks" / "results"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB RAM, Python {platform.python_version()}"


def build_corpus(docs: int, *, reuse: bool = False, bad: bool = False, seed: int = 1,
                 out: Path | None = None) -> Path:
    """make_corpus.py output (4 zstd JSONL shards) under ``out``, by default
    benchmarks/out/corpus-<docs>[-reuse]-s<seed>; built once."""
    out = Path(out) if out else OUT / f"corpus-{docs}{'-reuse' if reuse else ''}-s{seed}"
    if not (out / "summary.json").exists():
        cmd = [sys.executable, str(SHARED / "bench" / "make_corpus.py"), "--data", str(SHARED / "data"),
               "--out", str(out), "--docs", str(docs), "--seed", str(seed)]
        cmd += ["--reuse"] if reuse else []
        cmd += ["--bad"] if bad else []
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out


def write_section(name: str, title: str, command: str, body: str) -> Path:
    """Write benchmarks/results/<name>.md with the command, machine and date."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"## {title}\n\n- command: `{command}`\n- machine: {machine()}\n- date: {now}\n\n"
            f"{body.strip()}\n")
    path = RESULTS / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def read_raw_docs(corpus: Path) -> dict:
    """{id: record} of a make_corpus.py corpus's raw/ shards (.jsonl, .jsonl.gz or .jsonl.zst)."""
    import gzip
    import io
    import json

    import zstandard

    docs = {}
    for path in sorted((Path(corpus) / "raw").iterdir()):
        if path.suffix == ".zst":
            fh = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(open(path, "rb")), encoding="utf-8")
        elif path.suffix == ".gz":
            fh = gzip.open(path, "rt", encoding="utf-8")
        else:
            fh = open(path, encoding="utf-8")
        with fh:
            for line in fh:
                record = json.loads(line)
                docs[record["id"]] = record
    return docs
