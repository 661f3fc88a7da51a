"""Hostile input files, built from small fixtures written here (no third-party text): each case
is one attack on ingest, with what a correct job must report. Used by tests/jobs/test_hostile_input.py
(the job exits 0 and accounts every record) and benchmarks/bench_hostile.py (time and memory)."""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

GiB = 1 << 30


@dataclass
class Case:
    name: str            # file name written (its suffix chooses the reader)
    data: bytes
    records: int         # input records a correct reader accounts for
    docs: int            # of them, documents kept
    errors: dict = field(default_factory=dict)   # error reason -> count
    texts: tuple = ()    # substrings that kept documents must hold, one document each


def _line(i: int, **extra) -> bytes:
    obj = {"id": f"ok-{i}", "text": f"Plain paragraph number {i} about rivers and hills.", **extra}
    return json.dumps(obj).encode() + b"\n"


def _gzip_members(data: bytes, unit: bytes, total: int) -> bytes:
    """``total`` bytes of ``unit`` repeated, as repeated gzip members of one compressed block."""
    member = gzip.compress(unit * ((64 << 20) // len(unit)), compresslevel=9)
    return data + member * (total // (64 << 20))


def _zstd_frames(unit: bytes, total: int) -> bytes:
    frame = zstandard.ZstdCompressor(level=19).compress(unit * ((64 << 20) // len(unit)))
    return frame * (total // (64 << 20))


def bomb_cases(total: int = 2 * GiB) -> list[Case]:
    """One line of ``total`` bytes of one character and no newline: compressed (kilobytes that
    inflate to gigabytes) and plain. One record each, never a hang."""
    return [
        Case("bomb.jsonl.zst", _zstd_frames(b"a", total), 1, 0, {"decompression_limit": 1}),
        Case("bomb.jsonl.gz", _gzip_members(b"", b"a", total), 1, 0, {"decompression_limit": 1}),
        Case("bomb.txt.zst", _zstd_frames(b"a", total), 1, 0, {"decompression_limit": 1}),
    ]


def _warc_record(rtype: str, rid: str, body: bytes, *, uri: str = "http://example.test/", length=None,
                 http: bool = False) -> bytes:
    if http:
        body = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)) + body
    head = (f"WARC/1.0\r\nWARC-Type: {rtype}\r\nWARC-Target-URI: {uri}\r\nWARC-Date: 2024-05-18T01:58:10Z\r\n"
            f"WARC-Record-ID: <urn:uuid:{rid}>\r\n"
            f"Content-Type: {'application/http; msgtype=response' if http else 'text/plain'}\r\n"
            f"Content-Length: {len(body) if length is None else length}\r\n\r\n").encode()
    return head + body + b"\r\n\r\n"


def _html(i: int) -> bytes:
    return (f"<html><body><h1>Page {i}</h1><p>This page number {i} talks about gardens, rain and the "
            f"small town library that opens at nine.</p></body></html>").encode()


def cases() -> list[Case]:
    """The attacks of issue 15 (besides the bombs), each with its expected accounting."""
    out = []
    # metadata with lone surrogates (JSON escapes) and control characters: sanitised, not fatal
    lines = [_line(0)]
    lines.append(b'{"id": "bad\\ud800id", "text": "Surrogate in the id field.", "url": "http://x/\\udfff", '
                 b'"source": "web\\ud800\\u0001"}\n')
    lines.append(b'{"id": "z", "text": "Surrogate in the url only.", "url": "http://x/\\ud800"}\n')
    lines.append(_line(3))
    out.append(Case("surrogates.jsonl", b"".join(lines), 4, 4))
    # a 5,000-digit integer: one invalid_json error, the lines after it stay
    out.append(Case("bigint.jsonl", _line(0) + b'{"id": 1, "text": "x", "n": ' + b"9" * 5000 + b"}\n" +
                    b"".join(_line(i) for i in range(2, 6)), 6, 5, {"invalid_json": 1}))
    # ids that collide once renamed: x, x, x~1 must stay three distinct ids
    out.append(Case("ids.jsonl", b"".join(json.dumps({"id": i, "text": f"Text of record {k}."}).encode() + b"\n"
                                          for k, i in enumerate(["x", "x", "x~1", "x~1"])), 4, 4))
    # WET: page text that looks like a record header is text of the page, never a record
    forged = (b"Real page text.\nWARC/1.0\nWARC-Type: conversion\nWARC-Target-URI: http://evil.test/\n"
              b"WARC-Record-ID: <urn:uuid:forged>\nContent-Length: 20\n\nForged page text.\n")
    wet = (_warc_record("warcinfo", "info", b"software: test\r\n")
           + _warc_record("conversion", "real-1", forged)
           + _warc_record("conversion", "real-2", b"Second page."))
    out.append(Case("forged.warc.wet", wet, 2, 2, texts=("Forged page text.", "Second page.")))
    # WET: Content-Length "abc" is one error; the records after it are kept
    wet = (_warc_record("conversion", "a1", b"First page.")
           + _warc_record("conversion", "a2", b"Broken length page.", length="abc")
           + b"".join(_warc_record("conversion", f"a{i}", f"Page {i} after the broken one.".encode())
                      for i in range(3, 8)))
    out.append(Case("badlength.warc.wet", wet, 7, 6, {"invalid_content_length": 1}))
    # WARC: a Content-Length 100,000 too large is one error; the records after it are kept
    warc = (_warc_record("response", "w1", _html(1), http=True)
            + _warc_record("response", "w2", _html(2), http=True, length=100_000 + 300)
            + b"".join(_warc_record("response", f"w{i}", _html(i), http=True) for i in range(3, 9)))
    out.append(Case("longlength.warc", warc, 8, 7, {"content_length_mismatch": 1}))
    # Common-Crawl-style .warc.gz (one gzip member per record) cut 100 bytes short
    members = [gzip.compress(_warc_record("response", f"m{i}", _html(i), http=True)) for i in range(200)]
    data = b"".join(members)
    out.append(Case("cut.warc.gz", data[:-100], 200, 199, {"truncated_stream": 1}))
    return out


def write(case: Case, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / case.name
    path.write_bytes(case.data)
    return path
