"""Property-based fuzzing of the record readers (hypothesis): JSONL, JSON arrays, Parquet, WET,
WARC and txt, plain, gzip (one member or one per record) and zstd, whole or truncated, with
hostile bytes spliced in. For every input: no exception escapes ``read_records``, every record
has exactly one outcome, the rows encode as UTF-8, and every record of a well-formed, uncut
stream is kept. ``make test`` runs a short profile; ``make fuzz`` (THRESHER_FUZZ=long) a long one.
Seeds include issue 15's cases (tests/hostile_cases.py)."""
from __future__ import annotations

import gzip
import io
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.config import IngestConfig
from pipeline.input_formats import Source, detect_format, read_records
from tests.hostile_cases import cases

LONG = os.environ.get("THRESHER_FUZZ") == "long"
settings.register_profile("short", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
PROFILE = "long" if LONG else "short"
CFG = IngestConfig(max_record_bytes=4096, max_doc_chars=2000)

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=80)
hostile = st.sampled_from([b"\n", b"\r\n", b"\x00", b"\xff\xfe", b"WARC/1.0\r\n", b"Content-Length: abc\r\n",
                           b"\r\n\r\n", b'{"id":', b"\\ud800", b"9" * 400, b"\x1f\x8b", b"\x28\xb5\x2f\xfd",
                           b"[", b"]", b"}", b'"', b"+1" + b"9" * 40])


def read(data: bytes, name: str, cfg: IngestConfig = CFG):
    """Events of ``read_records`` on bytes named ``name``, checked for accounting and encodability."""
    fmt, codec = detect_format(name)
    events = list(read_records(io.BytesIO(data), Source(name, name, fmt, codec), cfg))
    records = sum(kind == "record" for kind, _ in events)
    outcomes = [(kind, row) for kind, row in events
                if kind in ("rejected", "error") or (kind == "doc" and not row.get("part"))]
    assert records == len(outcomes)
    for kind, row in events:
        if row is not None:
            json.dumps(row, ensure_ascii=False).encode("utf-8")
    docs = [row for kind, row in events if kind == "doc"]
    errors = [row for kind, row in events if kind == "error"]
    rejected = [row for kind, row in events if kind == "rejected"]
    return docs, errors, rejected


def compress(data: bytes, codec: str, members: list[bytes] | None = None) -> bytes:
    if codec == "gz":
        return b"".join(gzip.compress(m) for m in members) if members else gzip.compress(data)
    if codec == "zst":
        return zstandard.ZstdCompressor().compress(data)
    return data


def splice(data: bytes, at: float, junk: bytes) -> bytes:
    k = int(len(data) * at)
    return data[:k] + junk + data[k:]


def warc(texts_: list[str], wet: bool) -> list[bytes]:
    out = []
    for i, t in enumerate(texts_):
        body = t.encode("utf-8")
        if not wet:
            html = b"<html><body><p>" + body + b"</p></body></html>"
            body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html
        rtype, ctype = ("conversion", "text/plain") if wet else ("response", "application/http; msgtype=response")
        out.append(f"WARC/1.0\r\nWARC-Type: {rtype}\r\nWARC-Record-ID: <urn:uuid:r{i}>\r\n"
                   f"WARC-Target-URI: http://t.test/{i}\r\nContent-Type: {ctype}\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n".encode() + body + b"\r\n\r\n")
    return out


codecs = st.sampled_from(["", "gz", "zst"])


@settings.get_profile(PROFILE)
@given(st.lists(texts, min_size=1, max_size=12), codecs, st.floats(0, 1), hostile, st.booleans())
def test_jsonl(values, codec, at, junk, damage):
    lines = [json.dumps({"id": f"d{i}", "text": t}).encode() + b"\n" for i, t in enumerate(values)]
    raw = b"".join(lines)
    name = "f.jsonl" + (f".{codec}" if codec else "")
    docs, errors, rejected = read(compress(raw, codec), name)
    assert not errors and len(docs) + len(rejected) == len(values)       # every record kept or empty_text
    assert len({d["id"] for d in docs}) == len(docs)
    if damage:
        read(compress(splice(raw, at, junk), codec), name)
        blob = compress(raw, codec)
        cut_docs, cut_errors, cut_rejected = read(blob[: int(len(blob) * at)], name)   # truncated anywhere
        assert len(cut_docs) + len(cut_rejected) <= len(values) and len(cut_errors) <= 1


@settings.get_profile(PROFILE)
@given(st.lists(texts, min_size=1, max_size=8), st.sampled_from(["", "gz", "gz-members", "zst"]),
       st.floats(0, 1), hostile, st.booleans(), st.booleans())
def test_warc_and_wet(values, codec, at, junk, wet, damage):
    records = warc(values, wet)
    raw = b"".join(records)
    name = ("f.warc.wet" if wet else "f.warc") + ({"": "", "zst": ".zst"}.get(codec, ".gz"))
    blob = compress(raw, codec.split("-")[0], records if codec == "gz-members" else None)
    docs, errors, rejected = read(blob, name)
    assert not errors and len(docs) + len(rejected) == len(values)     # every record kept or rejected
    assert {d["id"] for d in docs} <= {f"urn:uuid:r{i}" for i in range(len(values))}
    if damage:
        read(compress(splice(raw, at, junk), codec.split("-")[0]), name)
        cut = blob[: int(len(blob) * at)]
        docs_cut, errors_cut, rejected_cut = read(cut, name)
        assert len(errors_cut) <= 1
        if codec == "gz-members":                     # every whole member before the cut is kept
            whole = sum(1 for k in range(1, len(records) + 1)
                        if len(b"".join(gzip.compress(m) for m in records[:k])) <= len(cut))
            assert len(docs_cut) + len(rejected_cut) >= whole


@settings.get_profile(PROFILE)
@given(st.binary(max_size=3000), st.sampled_from(["x.jsonl", "x.json", "x.jsonl.gz", "x.jsonl.zst", "x.warc",
                                                 "x.warc.wet", "x.warc.gz", "x.txt", "x.txt.zst", "x.parquet"]))
@example(b'{"id": "a", "text": "t", "n": ' + b"9" * 5000 + b"}\n", "x.jsonl")
@example(b"WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 99999999\r\n\r\nabc", "x.warc.wet")
@example(b"[" * 100000, "x.json")
def test_any_bytes(data, name):
    read(data, name)


@settings.get_profile(PROFILE)
@given(st.lists(texts, min_size=1, max_size=20), st.sampled_from(["file", "line", "blank_line"]), codecs)
def test_txt(values, mode, codec):
    raw = "\n\n".join(values).encode("utf-8")
    cfg = IngestConfig(txt_mode=mode, max_record_bytes=4096, max_doc_chars=2000)
    read(compress(raw, codec), "f.txt" + (f".{codec}" if codec else ""), cfg)


@settings.get_profile(PROFILE)
@given(st.lists(st.one_of(texts, st.none(), st.integers()), min_size=1, max_size=20), st.floats(0, 1))
def test_parquet(values, at):
    buf = io.BytesIO()
    table = pa.table({"id": [f"p{i}" for i in range(len(values))], "text": [str(v) if v is not None else None
                                                                            for v in values]})
    pq.write_table(table, buf)
    data = buf.getvalue()
    docs, errors, rejected = read(data, "f.parquet")
    assert len(docs) + len(errors) + len(rejected) == len(values)
    read(data[: int(len(data) * at)], "f.parquet")


def test_issue_cases_as_seeds():
    for case in cases():
        docs, errors, _ = read(case.data, case.name, IngestConfig())
        assert len(docs) == case.docs and len(errors) == sum(case.errors.values())
