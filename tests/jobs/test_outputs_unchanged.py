"""Every table of a ``thresher run`` on the 3000-document ``--bad`` corpus is byte-for-byte what it
was when tests/golden/run_3k_bad.json was written (issue 21: speed work must not move an accuracy
figure).

The golden file holds, per output table (rows sorted by id, every column, floats to 9 significant
digits) and per text output (blend.txt), its row count and a SHA-256 of its rows with the corpus
and run paths made relative.
A deliberate change of outputs regenerates it with ``make golden``; the diff of that file in the
commit then names every table the change moved.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "run_3k_bad.json"
sys.path.insert(0, str(REPO / "benchmarks"))
from compare_outputs import snapshot  # noqa: E402


def _rounded(value):
    """Floats to 9 significant digits (a CPU with other SIMD paths may differ in the last bits of a
    numpy sum); everything else as it is."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def output_digests(run_dir: Path, corpus: Path) -> dict[str, dict]:
    """{output name: {"rows": n, "sha256": hex}} of every table and text output under run_dir."""
    digests = {}
    for name, lines in snapshot(str(run_dir), "").items():
        if not name.startswith(("table:", "text:")):
            continue
        if name.startswith("table:"):
            lines = [json.dumps(_rounded(json.loads(line)), sort_keys=True, ensure_ascii=False) for line in lines]
        text = "\n".join(lines).replace(str(corpus), "<corpus>").replace(str(run_dir), "<run>")
        digests[name] = {"rows": len(lines), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    return digests


@pytest.fixture(scope="module")
def run_digests(corpus_3000, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("golden") / "run"
    assert main(["run", "--input", str(corpus_3000 / "raw"), "--input", str(corpus_3000 / "bad"),
                 "--output", str(run_dir)]) == 0
    return output_digests(run_dir, corpus_3000)


@pytest.mark.slow
def test_every_table_matches_the_golden_digests(run_digests):
    if os.environ.get("THRESHER_WRITE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(run_digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    # the run must produce the documents, the annotations, the clusters and the manifest's buckets
    assert {"table:ingest/docs", "table:annotate/docs", "table:dedup/clusters"} <= set(run_digests)
    assert any(name.startswith("table:manifest/curated/") for name in run_digests)
    changed = sorted(n for n in set(golden) | set(run_digests) if golden.get(n) != run_digests.get(n))
    detail = [f"{n}: {golden.get(n)} -> {run_digests.get(n)}" for n in changed]
    assert not changed, ("outputs differ from tests/golden/run_3k_bad.json (run `make golden` only "
                         "for a deliberate change):\n" + "\n".join(detail))
