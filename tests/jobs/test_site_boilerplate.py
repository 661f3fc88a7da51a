"""Site boilerplate: lines repeated on several pages of one host are cut from the curated text;
the same lines on fewer pages, or on pages of other hosts, stay."""
from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from pipeline.cli import main

QUIET = "--progress_interval=0"

# prose the quality scorer keeps on its own: only its repetition across the host's pages cuts it
HEADER = "Acme has sold outdoor gear to hikers in the valley since 1998, and every item ships from our own warehouse."
FOOTER = "Copyright 2024 Acme Outdoor Supply. All rights reserved. Shipping | Returns | Contact"
BODIES = [
    "The alpine tent sleeps two and packs down to the size of a loaf of bread. Its poles are aluminium "
    "and the fly sheet sheds heavy rain without sagging, which matters on exposed ridges.",
    "Our insulated bottle keeps tea hot for twelve hours on a winter hike. The lid doubles as a cup, "
    "and the powder coat gives a sure grip with gloves on when the trail turns icy.",
    "This down jacket weighs under four hundred grams and compresses into its own pocket. Wear it as a "
    "mid layer under a shell when the wind picks up above the tree line in autumn.",
    "The trekking poles lock with a lever rather than a twist, so they hold their length on long "
    "descents. Cork grips absorb sweat and the carbide tips bite into rock and packed snow.",
]


@pytest.mark.slow
def test_lines_repeated_across_a_hosts_pages_are_cut(tmp_path):
    rows = [{"id": f"acme{i}", "url": f"https://www.acme-outdoor.example/item/{i}",
             "text": f"{HEADER}\n{body}\n{FOOTER.replace('2024', str(2020 + i))}"} for i, body in enumerate(BODIES)]
    # the same header on two pages of another host: too few pages to call it boilerplate
    rows += [{"id": f"other{i}", "url": f"https://other.example/p/{i}", "text": f"{HEADER}\n{BODIES[i]} {BODIES[i + 1]}"}
             for i in range(2)]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "pages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    assert main(["run", "--input", str(tmp_path / "in"), "--output", str(out), QUIET]) == 0
    curated = {r["id"]: r for r in pq.read_table(out / "manifest" / "curated").to_pylist()}
    for i, body in enumerate(BODIES):
        doc = curated[f"acme{i}"]
        assert body in doc["text"] and "since 1998" not in doc["text"] and "All rights reserved" not in doc["text"]
        # the header is cut as site boilerplate (the short footer may also score as a low-quality paragraph)
        assert doc["cuts"][0] == {"start": 0, "end": len(HEADER) + 1, "reason": "site_boilerplate"}
    for i in range(2):
        assert curated[f"other{i}"]["text"].startswith(HEADER)
    repeats = {r["id"]: r for r in pq.read_table(out / "dedup" / "repeats").to_pylist()}
    assert [u["count"] for u in repeats["acme0"]["site_lines"]] == [4, 4]     # footer years differ: digits -> 0
    stats = json.loads((out / "manifest" / "stats" / "manifest.json").read_text())
    assert stats["cut_chars_by_reason"]["site_boilerplate"] >= len(BODIES) * (len(HEADER) + 1)
