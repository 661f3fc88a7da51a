"""WriteTable: per-row, batched and spilling modes write the same shards."""
import apache_beam as beam
import pyarrow.parquet as pq

from pipeline.beam_io import WriteTable
from schemas import DOCUMENTS


def _rows(ids=250):
    rows = []
    for i in range(300):
        doc_id = f"doc-{(i * 37) % ids:04d}"  # 250: 50 ids appear twice -> renamed ~1
        rows.append({"id": doc_id, "text": f"text {i} " * (i % 7 + 1), "source_file": f"f{i % 3}.jsonl",
                     "position": i, "format": "jsonl", "date": 1_700_000_000_000 + i, "notes": []})
    return rows


def _write(tmp_path, name, ids=250, **kwargs):
    out = tmp_path / name
    rows = _rows(ids)
    with beam.Pipeline() as p:
        src = p | beam.Create([rows[i:i + 40] for i in range(0, len(rows), 40)] if kwargs.get("batched") else rows)
        src | WriteTable(str(out / "docs"), DOCUMENTS, 4, table="docs", unique_ids=True, **kwargs)
    return {f.name: pq.read_table(f) for f in sorted((out / "docs").iterdir())}


def test_spilling_and_batched_modes_write_identical_shards(tmp_path):
    plain = _write(tmp_path, "plain")
    spilled = _write(tmp_path, "spilled", spill_dir=str(tmp_path / "spill"), spill_bytes=500)
    batched = _write(tmp_path, "batched", batched=True)
    assert len(plain) == 4
    assert list(plain) == list(spilled) == list(batched)
    for name in plain:
        assert plain[name].equals(spilled[name]) and plain[name].equals(batched[name])
    ids = [i for t in plain.values() for i in t.column("id").to_pylist()]
    assert len(ids) == 300 and len(set(ids)) == 300 and sum(i.endswith("~1") for i in ids) == 50
    # small spill_bytes made many spill files
    assert len(list((tmp_path / "spill").rglob("*.arrows"))) > 10


def test_spilled_shards_without_repeated_ids_are_byte_identical(tmp_path):
    """Shards without repeated ids are compacted in Arrow (no row dicts): the same files, byte for
    byte, also when a shard rolls over to several files."""
    plain = tmp_path / "plain" / "docs"
    _write(tmp_path, "plain", ids=1000, max_shard_bytes=2000)
    _write(tmp_path, "spilled", ids=1000, max_shard_bytes=2000, spill_dir=str(tmp_path / "spill"), spill_bytes=500)
    names = sorted(f.name for f in plain.iterdir())
    assert any("-k001" in n for n in names)
    assert names == sorted(f.name for f in (tmp_path / "spilled" / "docs").iterdir())
    for n in names:
        assert (plain / n).read_bytes() == (tmp_path / "spilled" / "docs" / n).read_bytes()


def test_write_parquet_with_kept_columns_is_byte_identical(tmp_path):
    """table_rows + write_parquet(kept=...) writes the bytes plain row dicts give, also when the rows
    changed an input value, dropped a key, or span several row groups."""
    import datetime

    from pipeline.beam_io import ROWS_PER_GROUP, table_rows, write_parquet
    from schemas import ANNOTATED, conform

    n = ROWS_PER_GROUP + 300
    src = [{"id": f"d{i}", "text": f"t\u00e9xt {i} " * (i % 5 + 1), "url": None if i % 3 else f"http://x/{i}",
            "source_file": "f", "position": i, "format": "jsonl", "notes": ["a"] if i % 7 == 0 else None,
            "date": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) if i % 2 else None}
           for i in range(n)]
    table = conform(src, DOCUMENTS)
    for change in (None, "text", "position", "drop", "date"):
        rows, kept = table_rows(table)
        for r in rows:
            r["lang"], r["lang_score"], r["annotate_notes"] = "en", 0.5, []
        if change == "text":
            rows[5]["text"] = "changed"
        elif change == "position":
            rows[ROWS_PER_GROUP + 1]["position"] = -1
        elif change == "drop":
            del rows[7]["url"]
        elif change == "date":
            rows[9]["date"] = datetime.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=datetime.timezone.utc)
        plain = [dict(r) for r in rows]
        write_parquet(str(tmp_path / "kept.parquet"), rows, ANNOTATED, {"k": "v"}, kept)
        write_parquet(str(tmp_path / "plain.parquet"), plain, ANNOTATED, {"k": "v"})
        assert (tmp_path / "kept.parquet").read_bytes() == (tmp_path / "plain.parquet").read_bytes(), change
    rows, kept = table_rows(table.slice(0, 0))
    write_parquet(str(tmp_path / "kept.parquet"), rows, ANNOTATED, None, kept)
    write_parquet(str(tmp_path / "plain.parquet"), [], ANNOTATED)
    assert (tmp_path / "kept.parquet").read_bytes() == (tmp_path / "plain.parquet").read_bytes()


def test_table_rows_equal_to_pylist():
    """table_rows hands out what Table.to_pylist gives (UTC timestamps: equal values, same tzinfo object)."""
    import datetime

    import pyarrow as pa

    from pipeline.beam_io import table_rows
    from schemas import conform

    utc = datetime.timezone.utc
    src = [{"id": f"d{i}", "text": "t", "source_file": "f", "position": i, "format": "jsonl", "notes": None,
            "date": None if i % 3 == 0 else datetime.datetime(1970 + i, 1 + i % 12, 1 + i % 28, i % 24, i, i, i * 1000,
                                                              tzinfo=utc)} for i in range(50)]
    table = conform(src, DOCUMENTS)
    chunked = pa.concat_tables([table.slice(0, 20), table.slice(20)])
    for t in (table, chunked, table.slice(0, 0)):
        rows, kept = table_rows(t)
        want = t.to_pylist()
        assert rows == want and [list(r) for r in rows] == [list(r) for r in want]
        for a, b in zip(rows, want):
            assert type(a["date"]) is type(b["date"])
            if a["date"] is not None:
                assert a["date"].tzinfo is b["date"].tzinfo and a["date"].fold == b["date"].fold
        assert all(kept[n][1] == t.column(n).to_pylist() for n in kept)
