"""Issue 15's attacks on ingest, each through the CLI: the job exits 0, every record is accounted
for, every complete record is kept, and page text forges nothing (tests/hostile_cases.py)."""
import json
from collections import Counter

import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.manifest_reader import ManifestReader
from tests.hostile_cases import bomb_cases, cases, write

QUIET = "--progress_interval=0"


def ingest(path, out):
    assert main(["ingest", "--input", str(path), "--output", str(out), QUIET]) == 0
    stats = json.loads((out / "stats" / "ingest.json").read_text())
    docs = [r for f in sorted((out / "docs").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    errors = [r for f in sorted((out / "errors").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    return stats, docs, errors


def check(case, stats, docs, errors):
    assert stats["balanced"], stats
    assert stats["records"] == case.records
    assert stats["docs"] == len(docs) == case.docs
    assert dict(Counter(e["reason"] for e in errors)) == case.errors
    assert len({d["id"] for d in docs}) == len(docs)
    for text in case.texts:
        assert sum(text in d["text"] for d in docs) == 1, text


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_attack_is_accounted(case, tmp_path):
    stats, docs, errors = ingest(write(case, tmp_path / "in"), tmp_path / "out")
    check(case, stats, docs, errors)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", bomb_cases(), ids=lambda c: c.name)
def test_decompression_bomb_is_one_error(case, tmp_path):
    stats, docs, errors = ingest(write(case, tmp_path / "in"), tmp_path / "out")
    check(case, stats, docs, errors)
    assert errors[0]["position"] == 0 and len(errors[0]["excerpt"]) <= 200


def test_metadata_is_sanitised_and_noted(tmp_path):
    [case] = [c for c in cases() if c.name == "surrogates.jsonl"]
    _, docs, _ = ingest(write(case, tmp_path / "in"), tmp_path / "out")
    by_text = {d["text"]: d for d in docs}
    bad = by_text["Surrogate in the id field."]
    assert bad["id"] == "bad id" and bad["source"] == "web" and bad["url"] == "http://x/"
    assert {"id_sanitized", "url_sanitized", "source_sanitized"} <= set(bad["notes"])
    assert by_text["Surrogate in the url only."]["url"] == "http://x/"


def test_renamed_ids_never_collide_with_input_ids(tmp_path):
    [case] = [c for c in cases() if c.name == "ids.jsonl"]
    _, docs, _ = ingest(write(case, tmp_path / "in"), tmp_path / "out")
    ids = {d["text"]: d["id"] for d in docs}
    assert sorted(ids.values()) == ["x", "x~1", "x~1~1", "x~2"]
    assert ids["Text of record 2."] == "x~1"         # an input id keeps its name when it can


def test_forged_record_is_page_text(tmp_path):
    [case] = [c for c in cases() if c.name == "forged.warc.wet"]
    _, docs, _ = ingest(write(case, tmp_path / "in"), tmp_path / "out")
    assert sorted(d["id"] for d in docs) == ["urn:uuid:real-1", "urn:uuid:real-2"]
    assert not any(d["url"] == "http://evil.test/" for d in docs)


def test_lost_record_shows_as_imbalance(tmp_path, monkeypatch):
    """A reader that drops one outcome (a planted bug) is caught by the balance check."""
    import pipeline.ingest as ingest_module

    real = ingest_module.read_records

    def lossy(stream, source, cfg):
        dropped = False
        for kind, row in real(stream, source, cfg):
            if kind == "doc" and not dropped:
                dropped = True
                continue
            yield kind, row

    monkeypatch.setattr(ingest_module, "read_records", lossy)
    [case] = [c for c in cases() if c.name == "bigint.jsonl"]
    stats, docs, _ = ingest(write(case, tmp_path / "in"), tmp_path / "out")
    assert stats["records"] == 6 and stats["docs"] == 4 and stats["errors"] == 1
    assert stats["balanced"] is False


def _jsonl(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)


@pytest.mark.slow
def test_hostile_sources_and_phone_text_run_end_to_end(tmp_path):
    """A 300-character source and source '..' give safe bucket folders; 100 KB of '+1' and digits
    passes annotate; the manifest reader reads the result."""
    rows = [{"id": f"s{i}", "source": src, "text": f"A calm page {i} about gardens and rivers in spring. " * 20}
            for i, src in enumerate(["..", "s" * 300, "../../etc", "web"])]
    rows.append({"id": "phone", "text": ("+1" + "9" * 40) * 2400})
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "part.jsonl").write_text(_jsonl(rows))
    out = tmp_path / "out"
    assert main(["run", "--input", str(tmp_path / "in"), "--output", str(out), QUIET]) == 0
    manifest = json.loads((out / "manifest" / "manifest.json").read_text())
    names = [b["name"] for b in manifest["buckets"]]
    assert names and all(".." not in n.split("/") and len(n.split("/")[0]) <= 64 for n in names)
    tables = {p.relative_to(out / "manifest").parts[0] for p in (out / "manifest").rglob("*.parquet")}
    assert tables == {"curated", "index", "rejected", "errors"}
    assert all(b["shards"] and all(s.startswith("curated/") for s in b["shards"]) for b in manifest["buckets"])
    reader = ManifestReader(out / "manifest")
    assert {d["id"] for d in reader.documents()} <= {r["id"] for r in rows}


def test_manifest_reader_refuses_paths_outside_its_folder(tmp_path):
    from pipeline.manifest_reader import ManifestReader as Reader

    reader = Reader.__new__(Reader)
    reader._root = str(tmp_path)
    for bad in ("/etc/passwd", "../x.parquet", "curated/../../x", "s3://b/x", "a\\..\\b"):
        with pytest.raises(ValueError):
            reader._join(bad)
    assert reader._join("curated/web/en/high/part-00000-of-00001.parquet").startswith(str(tmp_path))
