"""Compare two ``thresher run`` outputs (any FileSystems paths) table by table, row by row.

Paths are written relative to each run's roots (input and output prefixes are replaced by
``<IN>``/``<OUT>``), and run-dependent values (timings, run ids, dates) are dropped; everything
else must be equal.
"""
from __future__ import annotations

import json
import math
import re

import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipeline import fs

# timings, run ids, dates, and digests of input paths (the two runs read different URLs)
VOLATILE = re.compile(r"^(elapsed_s|run_id|completed_at|created_at|chain_input|input_fingerprint|fingerprint"
                      r"|ms_per_doc_by_annotator|ms_per_doc_by_signal|seconds_by_annotator|seconds_by_signal)$")


def _norm(value, roots: list[tuple[str, str]]):
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, str):
        for root, name in roots:
            value = value.replace(root, name)
        return value
    if isinstance(value, dict):
        return {_norm(k, roots): _norm(v, roots) for k, v in value.items() if not VOLATILE.search(str(k))}
    if isinstance(value, (list, tuple)):
        return [_norm(v, roots) for v in value]
    return value


def snapshot(output: str, inputs: list[str]) -> dict[str, object]:
    """{relative path: sorted normalised rows (Parquet) or normalised JSON (stats, markers, manifest)}."""
    out = output.rstrip("/")
    roots = [(i.rstrip("/"), f"<IN{k}>") for k, i in enumerate(inputs)] + [(out, "<OUT>")]
    tables: dict[str, object] = {}
    for path in fs.list_files(out):
        rel = path[len(out) + 1:]
        if rel.startswith("report/"):
            continue
        if rel.endswith(".parquet"):
            with FileSystems.open(path) as f:
                rows = pq.read_table(f).to_pylist()
            rows = [_norm(r, roots) for r in rows]
            tables[rel] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
        elif rel.endswith(".json"):
            tables[rel] = _norm(json.loads(fs.read_text(path)), roots)
        else:
            tables[rel] = _norm(fs.read_text(path), roots)
    return tables


def differences(a: dict, b: dict, limit: int = 10) -> list[str]:
    """Human-readable differences between two snapshots (empty: identical)."""
    out = []
    for rel in sorted(set(a) | set(b)):
        if rel not in a or rel not in b:
            out.append(f"{rel}: only in {'first' if rel in a else 'second'}")
        elif a[rel] != b[rel]:
            x, y = a[rel], b[rel]
            if isinstance(x, list) and isinstance(y, list):
                bad = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
                out.append(f"{rel}: {len(x)} vs {len(y)} rows, first difference at row {bad}: "
                           f"{str(x[bad] if bad < len(x) else None)[:300]} != {str(y[bad] if bad < len(y) else None)[:300]}")
            else:
                out.append(f"{rel}: {str(x)[:400]} != {str(y)[:400]}")
        if len(out) >= limit:
            break
    return out
