"""Readers for make_corpus.py output in tests: its zstd JSONL documents and its truth file."""
from __future__ import annotations

import io
import json
from pathlib import Path

import zstandard


def read_docs(corpus: Path) -> dict[str, dict]:
    """id -> document record of every ``raw/*.zst`` shard, in shard order."""
    docs = {}
    for p in sorted((corpus / "raw").glob("*.zst")):
        with open(p, "rb") as fh:
            for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8"):
                if line.strip():
                    d = json.loads(line)
                    docs[d["id"]] = d
    return docs


def read_truth(corpus: Path) -> dict[str, dict]:
    """id -> truth record of ``truth.jsonl``."""
    with open(corpus / "truth.jsonl", encoding="utf-8") as fh:
        return {t["id"]: t for t in (json.loads(line) for line in fh if line.strip())}
