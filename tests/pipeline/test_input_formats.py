"""Readers on the real files in ../shared/data/cc_formats and on make_corpus.py --bad output."""
import gzip
import io
import json
import zlib
from datetime import datetime, timezone
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.config import IngestConfig
from pipeline.input_formats import Source, detect_format, parse_date, read_records

CFG = IngestConfig()


def accounted(events):
    """The events without the readers' ``record`` markers, after checking that each record has
    exactly one outcome (a split document counts once)."""
    records = sum(kind == "record" for kind, _ in events)
    outcomes = sum(kind in ("rejected", "error") or (kind == "doc" and not row.get("part"))
                   for kind, row in events)
    assert records == outcomes, f"{records} records, {outcomes} outcomes"
    return [(kind, row) for kind, row in events if kind != "record"]


def read_path(path, cfg=CFG, fmt=None):
    path = str(path)
    detected, codec = detect_format(path)
    with open(path, "rb") as f:
        return accounted(list(read_records(f, Source(path, Path(path).name, fmt or detected, codec), cfg)))


def read_bytes(data: bytes, name: str, cfg=CFG):
    fmt, codec = detect_format(name)
    return accounted(list(read_records(io.BytesIO(data), Source(name, name, fmt, codec), cfg)))


def kinds(events):
    return Counter(kind for kind, _ in events)


def test_detect_format():
    assert detect_format("a/CC-MAIN-x.warc.wet.gz") == ("wet", "gz")
    assert detect_format("x.warc.gz") == ("warc", "gz")
    assert detect_format("x.jsonl.zst") == ("jsonl", "zst")
    assert detect_format("x.json.gz") == ("jsonl", "gz")
    assert detect_format("x.parquet") == ("parquet", None)
    assert detect_format("notes.TXT") == ("txt", None)
    assert detect_format("x.warc.wat.gz") == ("unknown", "gz")


def test_wet_record_becomes_document(shared_data):
    events = read_path(shared_data / "cc_formats" / "whirlwind.warc.wet.gz")
    assert kinds(events) == {"doc": 1, "ignored": 1}
    doc = events[1][1]
    assert doc["id"] == "urn:uuid:ba729a40-ff84-4085-8d48-0a5b2ee0c42d"
    assert doc["url"] == "https://an.wikipedia.org/wiki/Escopete"
    assert doc["text"].startswith("Escopete - Biquipedia")
    assert doc["date"] == int(datetime(2024, 5, 18, 1, 58, 10, tzinfo=timezone.utc).timestamp()) * 1000
    assert doc["format"] == "wet"


def test_wet_style_txt_with_lf_and_wrong_lengths(shared_data):
    events = read_path(shared_data / "cc_formats" / "ccnet_sample.warc.txt")
    docs = [row for kind, row in events if kind == "doc"]
    assert len(docs) == 3
    assert docs[0]["url"] == "http://sample_english.com"
    assert docs[0]["text"].startswith("Famous Mark Twain Quotes")
    assert not any("WARC/1.0" in d["text"] for d in docs)


def test_warc_html_responses(shared_data):
    events = read_path(shared_data / "cc_formats" / "resiliparse_CC-MAIN-2020-34_sample.warc.gz")
    c = kinds(events)
    assert c["doc"] + c["rejected"] + c["error"] == 16          # one event per response record
    assert c["ignored"] == 34                                   # warcinfo, requests, metadata
    docs = [row for kind, row in events if kind == "doc"]
    assert all(d["url"].startswith("http") and d["id"].startswith("urn:uuid:") for d in docs)
    assert all("<html" not in d["text"].lower() and "<div" not in d["text"].lower() for d in docs)
    assert sum(len(d["text"]) for d in docs) > 5000


def test_warc_non_html_rejected_with_reason(shared_data):
    events = read_path(shared_data / "cc_formats" / "dolma_wget_sample-0000.warc.gz")
    rejected = [row for kind, row in events if kind == "rejected"]
    assert rejected and all(r["reason"] == "warc_not_html" for r in rejected)
    assert kinds(events)["doc"] == 22


def test_truncated_warc_is_one_error(shared_data):
    events = read_path(shared_data / "cc_formats" / "resiliparse_clipped.warc.gz")
    assert kinds(events) == {"error": 1}
    assert events[0][1]["reason"] in ("truncated_stream", "truncated_record")


def test_truncated_warc_keeps_records_before_the_cut(shared_data):
    raw = (shared_data / "cc_formats" / "resiliparse_CC-MAIN-2020-34_sample.warc.gz").read_bytes()
    full = kinds(read_bytes(raw, "sample.warc.gz"))
    cut = read_bytes(raw[: len(raw) * 2 // 3], "sample.warc.gz")
    c = kinds(cut)
    assert c["error"] == 1 and cut[-1][0] == "error"
    assert 0 < c["doc"] < full["doc"]


def test_malformed_warc_date_keeps_document(shared_data):
    events = read_path(shared_data / "cc_formats" / "resiliparse_clueweb09-quirk.warc.gz")
    docs = [row for kind, row in events if kind == "doc"]
    assert len(docs) == 29
    assert all(d["date"] is None and "date_unparsed" in d["notes"] for d in docs)
    # EUC-JP pages decoded into Japanese text
    assert sum(any("\u3040" <= ch <= "\u30ff" for ch in d["text"]) for d in docs) >= 20


def test_dolma_jsonl_gz_and_nested_fields(shared_data):
    events = read_path(shared_data / "cc_formats" / "dolma_ccnet_cc_en_head-0091.jsonl.gz")
    docs = [row for kind, row in events if kind == "doc"]
    assert len(docs) == 10
    assert all(d["url"] and d["url"].startswith("http") for d in docs)   # from metadata.url
    assert all(d["date"] is not None for d in docs)                       # from created


def test_json_array_file():
    data = json.dumps([{"id": "a", "text": "alpha"}, {"id": "b", "text": "beta"}, 3]).encode()
    events = read_bytes(data, "x.json")
    assert [k for k, _ in events] == ["doc", "doc", "error"]
    assert events[2][1]["reason"] == "not_an_object"


def test_parquet_with_configured_fields(tmp_path):
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"content": ["one text", "", None, "three"], "doc_id": ["a", "b", "c", None],
                             "link": ["http://x", None, None, None]}), path)
    cfg = IngestConfig(text_field="content", id_field="doc_id", url_fields=("link",))
    events = read_path(path, cfg)
    assert [k for k, _ in events] == ["doc", "rejected", "error", "doc"]
    assert events[0][1]["id"] == "a" and events[0][1]["url"] == "http://x"
    assert events[1][1]["reason"] == "empty_text"
    assert events[3][1]["id"] == "in.parquet:3"


def test_damaged_parquet_is_an_error(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100)
    assert kinds(read_path(path)) == {"error": 1}


@pytest.mark.parametrize("mode,expected", [("file", 1), ("line", 3), ("blank_line", 2)])
def test_txt_modes(tmp_path, mode, expected):
    path = tmp_path / "book.txt"
    path.write_text("First line.\nSecond line.\n\nThird block.\n", encoding="utf-8")
    events = read_path(path, IngestConfig(txt_mode=mode))
    assert kinds(events) == {"doc": expected}
    assert events[0][1]["id"] == "book.txt:0"


def test_gzip_members_and_zstd_frames_are_all_read():
    lines = [json.dumps({"text": f"doc {i}"}).encode() + b"\n" for i in range(6)]
    gz = b"".join(gzip.compress(b"".join(lines[i:i + 2])) for i in range(0, 6, 2))
    zs = b"".join(zstandard.ZstdCompressor().compress(b"".join(lines[i:i + 3])) for i in range(0, 6, 3))
    assert kinds(read_bytes(gz, "m.jsonl.gz")) == {"doc": 6}
    assert kinds(read_bytes(zs, "m.jsonl.zst")) == {"doc": 6}


def test_compressed_bytes_under_a_plain_name_are_detected():
    data = gzip.compress(b'{"text": "hidden gzip"}\n')
    events = read_bytes(data, "plain.jsonl")
    assert events[0][1]["text"] == "hidden gzip"


def test_parse_date_forms():
    assert parse_date("2024-03-05").isoformat() == "2024-03-05T00:00:00+00:00"
    assert parse_date("2020-03-29T09:04:10Z").isoformat() == "2020-03-29T09:04:10+00:00"
    assert parse_date("Wed, 27 Mar 2019 06:10:48 GMT").isoformat() == "2019-03-27T06:10:48+00:00"
    assert parse_date(0).isoformat() == "1970-01-01T00:00:00+00:00"
    assert parse_date("2008-10-294T05:21:46-0700") is None
    assert parse_date("soon") is None and parse_date(True) is None


# ---- make_corpus.py --bad: every record accounted for

def test_bad_malformed_json(corpus_small):
    events = read_path(corpus_small / "bad" / "malformed_json.jsonl")
    c = kinds(events)
    expected = json.loads((corpus_small / "bad" / "expected.json").read_text())["malformed_json.jsonl"]
    assert c["doc"] == expected["valid"] == 100
    assert c["error"] + c["rejected"] == expected["invalid"] == 8
    reasons = Counter(row["reason"] for kind, row in events if kind == "error")
    assert set(reasons) == {"invalid_json", "not_an_object", "missing_text", "text_not_string"}


def test_bad_invalid_utf8(corpus_small):
    events = read_path(corpus_small / "bad" / "invalid_utf8.jsonl")
    docs = [row for kind, row in events if kind == "doc"]
    assert len(docs) == 50
    assert sum("invalid_utf8" in d["notes"] for d in docs) == 10
    assert sum("\ufffd" in d["text"] for d in docs) >= 10


@pytest.mark.parametrize("name,opener", [("truncated.jsonl.gz", gzip.decompress),
                                         ("truncated.jsonl.zst", None)])
def test_bad_truncated_streams(corpus_small, name, opener):
    path = corpus_small / "bad" / name
    events = read_path(path)
    c = kinds(events)
    assert c["error"] == 1 and events[-1][0] == "error" and events[-1][1]["reason"] == "truncated_stream"
    # every complete line before the cut is a document
    raw = path.read_bytes()
    if name.endswith(".gz"):
        d = zlib.decompressobj(wbits=47)
        partial = d.decompress(raw)
    else:
        partial = zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    complete_lines = partial.count(b"\n")
    assert c["doc"] == complete_lines and 0 < c["doc"] < 150


def test_bad_garbage_and_empty(corpus_small):
    garbage = read_path(corpus_small / "bad" / "garbage.jsonl.gz")
    assert kinds(garbage) == {"error": 1} and garbage[0][1]["reason"] == "corrupt_stream"
    assert read_path(corpus_small / "bad" / "empty.jsonl") == []


def test_bad_huge_document_is_bounded(corpus_small):
    events = read_path(corpus_small / "bad" / "huge_doc.jsonl")
    docs = {row["id"]: row for kind, row in events if kind == "doc"}
    assert set(docs) >= {"huge-1", "ctrl-1"} and len(events) == 3
    huge = docs["huge-1"]
    huge_chars = json.loads((corpus_small / "bad" / "expected.json").read_text())["huge_doc.jsonl"]["huge_chars"]
    assert CFG.max_doc_chars * 0.9 <= len(huge["text"]) <= CFG.max_doc_chars
    [note] = [n for n in huge["notes"] if n.startswith("truncated_from:")]
    assert huge_chars - 2 <= int(note.split(":")[1]) <= huge_chars
    assert "\x00" not in docs["ctrl-1"]["text"] and "\u200b" not in docs["ctrl-1"]["text"]


def test_bad_huge_document_split_mode(corpus_small):
    cfg = IngestConfig(oversize="split", max_doc_chars=4_000_000)
    events = read_path(corpus_small / "bad" / "huge_doc.jsonl", cfg)
    parts = [row for kind, row in events if kind == "doc" and row["id"].startswith("huge-1#")]
    huge_chars = json.loads((corpus_small / "bad" / "expected.json").read_text())["huge_doc.jsonl"]["huge_chars"]
    assert len(parts) == -(-huge_chars // 4_000_000)
    assert huge_chars - 2 * len(parts) <= sum(len(p["text"]) for p in parts) <= huge_chars
    assert all(p["part"] == i for i, p in enumerate(parts))


def test_parquet_row_group_that_inflates_past_the_limit_is_not_decoded(tmp_path, monkeypatch):
    import pipeline.input_formats as input_formats

    monkeypatch.setattr(input_formats, "_EXPANSION_FLOOR", 1 << 20)
    path = tmp_path / "bomb.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["a" * (8 << 20), "ok"]}), path, compression="zstd")
    events = read_path(path, IngestConfig(max_expansion=10))
    assert [(k, r["reason"]) for k, r in events] == [("error", "decompression_limit")] * 2
    assert len(read_path(path, IngestConfig(max_expansion=100_000))) == 2


def test_json_array_is_decoded_element_by_element():
    good = [{"id": f"a{i}", "text": f"text {i}"} for i in range(3)]
    whole = json.dumps(good).encode()
    assert [r["id"] for k, r in read_bytes(whole, "x.json") if k == "doc"] == ["a0", "a1", "a2"]
    broken = read_bytes(whole[:-1] + b",{broken", "x.json")      # elements before the damage stand
    assert [k for k, _ in broken] == ["doc", "doc", "doc", "error"] and broken[-1][1]["reason"] == "invalid_json"


def test_wet_framing_notes_only_real_length_repairs():
    def rec(i, body, length=None):
        return (f"WARC/1.0\r\nContent-Length: {len(body) if length is None else length}\r\nWARC-Type: conversion\r\n"
                f"WARC-Record-ID: <urn:uuid:{i}>\r\n\r\n").encode() + body + b"\r\n\r\n"
    exact = read_bytes(rec(1, b"First page.") + rec(2, b"Second page."), "x.warc.wet")
    assert [(r["id"], r["notes"]) for _, r in exact] == [("urn:uuid:1", []), ("urn:uuid:2", [])]
    # a length 3 bytes short: the record start right after is still found, and the repair noted
    off = read_bytes(rec(1, b"First page.", length=8) + rec(2, b"Second page."), "x.warc.wet")
    assert [r["notes"] for _, r in off] == [["content_length_adjusted"], []]
    assert off[0][1]["text"] == "First page."


def test_stub_main_content_keeps_the_prose_list_that_follows(shared_data):
    from pipeline.input_formats import restored_list

    full = "Menu\n  • Home\n  • About\nFacts\nHere are some facts:\n  • " + "a" * 50 + "\n\n  • " + "b" * 60 + "\nFooter"
    assert restored_list("Facts\nHere are some facts:", full) == "\n• " + "a" * 50 + "\n• " + "b" * 60
    assert restored_list("Menu", full) == ""                            # a navigation list: short items
    assert restored_list("Not on the page", full) == ""
    events = read_path(shared_data / "cc_formats" / "dolma_wget_sample-0000.warc.gz")
    [facts] = [r for k, r in events if k == "doc" and r["url"] == "https://soldaini.net/facts/"]
    assert "sol-dah-ee-nee" in facts["text"] and len(facts["text"]) > 500
