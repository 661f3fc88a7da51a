"""Shared fixtures: the real data under ../shared (read in place, never copied) and corpora built
from it with ../shared/bench/make_corpus.py. Missing data is an error, not a skip."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("THRESHER_SHARED", REPO.parent / "shared")).resolve()


def _require(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: tests read real data from ../shared (set THRESHER_SHARED)")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data."""
    return _require(SHARED / "data")


def build_corpus(out: Path, docs: int, *, bad: bool = False, fmt: str = "jsonl.zst", seed: int = 1,
                 shards: int = 4) -> Path:
    """Run make_corpus.py into `out` (idempotent) and return `out`."""
    if (out / "summary.json").exists():
        return out
    cmd = [sys.executable, str(_require(SHARED / "bench" / "make_corpus.py")), "--data", str(SHARED / "data"),
           "--out", str(out), "--docs", str(docs), "--seed", str(seed), "--shards", str(shards), "--format", fmt]
    if bad:
        cmd.append("--bad")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out


@pytest.fixture(scope="session")
def corpus_small(tmp_path_factory) -> Path:
    """A 400-document labelled corpus with a bad/ folder of malformed inputs."""
    return build_corpus(tmp_path_factory.mktemp("corpus") / "c400", 400, bad=True)


@pytest.fixture(scope="session")
def corpus_3000(tmp_path_factory) -> Path:
    """The 3000-document labelled corpus that the issues' targets name."""
    return build_corpus(tmp_path_factory.mktemp("corpus") / "c3000", 3000, bad=True)
