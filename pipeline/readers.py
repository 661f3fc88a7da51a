"""Record readers for raw web text: a binary stream in, classified events out. No Beam import.

``read_records(stream, source)`` yields ``(kind, row)`` pairs, ``kind`` one of
  - ``"doc"``      a document row (schemas.DOCUMENTS columns),
  - ``"rejected"`` a valid record removed by a rule (schemas.REJECTED columns),
  - ``"error"``    input that could not be read (schemas.ERRORS columns),
  - ``"ignored"``  a WARC record that is not a document (request, metadata, warcinfo), counted
                   apart: it is not an input record.
Every input record yields exactly one doc-or-rejected-or-error event (a record split into parts
yields one doc event per part, each marked with ``part``), so ``records == docs + rejected +
errors`` holds per file. Compressed streams are decompressed here, so a truncated or corrupt
stream keeps every record before the cut and adds one error for the cut.
"""
from __future__ import annotations

import email.utils
import io
import json
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO, Iterator

import zstandard

from filters.normalize import normalize_text, split_text, truncate_text
from pipeline.config import IngestConfig

STAGE = "ingest"
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_CHUNK = 1 << 20


class StreamError(Exception):
    """The byte stream ended early or is not what its name says; ``reason`` names which."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Source:
    """Where a stream comes from: the path shown in outputs, the path ids derive from, its format."""
    path: str
    id_prefix: str
    format: str
    codec: str | None


def detect_format(path: str) -> tuple[str, str | None]:
    """(format, codec) from the file name: codec gz/zst/None, format jsonl/parquet/wet/warc/txt."""
    name = path.lower()
    codec = None
    for suffix, c in ((".gz", "gz"), (".gzip", "gz"), (".zst", "zst"), (".zstd", "zst")):
        if name.endswith(suffix):
            codec, name = c, name[: -len(suffix)]
            break
    if name.endswith((".wet", ".warc.wet")):
        return "wet", codec
    if name.endswith((".warc", ".arc")):
        return "warc", codec
    if name.endswith((".jsonl", ".json", ".ndjson", ".jsonlines")):
        return "jsonl", codec
    if name.endswith((".parquet", ".pq")):
        return "parquet", codec
    if name.endswith((".txt", ".text")):
        return "txt", codec
    return "unknown", codec


# ---------------------------------------------------------------- decompression and byte streams

def iter_chunks(stream: BinaryIO, codec: str | None) -> Iterator[bytes]:
    """Decompressed byte chunks; raises StreamError on a truncated or corrupt stream.

    The codec is taken from the magic bytes when they say so; a name that promises gzip or zstd
    over other bytes is a ``corrupt_stream`` error. Concatenated members/frames are all read.
    """
    head = stream.read(_CHUNK)
    if not head:
        return
    if head.startswith(GZIP_MAGIC):
        codec = "gz"
    elif head.startswith(ZSTD_MAGIC):
        codec = "zst"
    elif codec is not None:
        raise StreamError("corrupt_stream", f"named .{codec} but the bytes are not a {codec} stream")
    if codec is None:
        while head:
            yield head
            head = stream.read(_CHUNK)
        return
    yield from _inflate(stream, head, codec)


def _new_decoder(codec: str):
    return zlib.decompressobj(wbits=47) if codec == "gz" else zstandard.ZstdDecompressor().decompressobj()


def _inflate(stream: BinaryIO, data: bytes, codec: str) -> Iterator[bytes]:
    dec = _new_decoder(codec)
    member_done = False
    while True:
        if data:
            if member_done:
                dec, member_done = _new_decoder(codec), False
            try:
                out = dec.decompress(data)
            except (zlib.error, zstandard.ZstdError) as exc:
                raise StreamError("corrupt_stream", str(exc)) from exc
            if out:
                yield out
            if dec.eof:
                member_done = True
                data = dec.unused_data
                if data:
                    continue
        data = stream.read(_CHUNK)
        if not data:
            break
    if not member_done:
        raise StreamError("truncated_stream", f"{codec} stream ended before its end marker")


class _ChunkReader(io.RawIOBase):
    """Adapts a chunk iterator to a readable binary file (for line and record parsing)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._buf = chunks, b""

    def readable(self):
        return True

    def readinto(self, b):
        while not self._buf:
            try:
                self._buf = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n], self._buf = self._buf[:n], self._buf[n:]
        return n


def decoded_stream(stream: BinaryIO, codec: str | None) -> io.BufferedReader:
    """A buffered binary reader over the decompressed bytes (StreamError surfaces from read)."""
    return io.BufferedReader(_ChunkReader(iter_chunks(stream, codec)), buffer_size=_CHUNK)


# ---------------------------------------------------------------- field helpers

def decode_bytes(data: bytes) -> tuple[str, bool]:
    """UTF-8 text and whether invalid bytes had to be replaced."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


def get_path(obj: dict, path: str) -> Any:
    """obj['a']['b'] for 'a.b'; a literal key containing dots wins; None when absent."""
    if path in obj:
        return obj[path]
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def parse_date(value: Any) -> datetime | None:
    """ISO 8601 strings, RFC 2822 dates or epoch seconds -> aware UTC datetime; None if unreadable."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            dt = datetime.fromtimestamp(float(value), tz=timezone.utc)
        elif isinstance(value, datetime):
            dt = value
        else:
            s = str(value).strip()
            if not s:
                return None
            try:
                dt = datetime.fromisoformat(s)
            except ValueError:
                dt = email.utils.parsedate_to_datetime(s)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return dt.astimezone(timezone.utc).replace(microsecond=0)
    except (ValueError, TypeError, OverflowError, OSError, IndexError):
        return None


def epoch_ms(dt: datetime | None) -> int | None:
    """Milliseconds since the epoch (rows carry ints: cheap to shuffle, exact in Parquet)."""
    return None if dt is None else int(dt.timestamp()) * 1000


def _excerpt(data: bytes | str, n: int) -> str:
    if isinstance(data, bytes):
        return data[:n].decode("utf-8", errors="replace")
    return data[:n]


def error_row(source: Source, position: int, reason: str, detail: str, raw: bytes | str, n: int) -> dict:
    return {"stage": STAGE, "source_file": source.path, "position": position, "reason": reason,
            "detail": detail[:500], "excerpt": _excerpt(raw, n)}


def rejected_row(source: Source, position: int, doc_id: str | None, reason: str, detail: str = "") -> dict:
    return {"id": doc_id, "stage": STAGE, "reason": reason, "detail": detail or None,
            "source_file": source.path, "position": position}


def make_documents(source: Source, position: int, doc_id: str | None, text: str, *, url=None,
                   date_value=None, src=None, notes=(), cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Normalize one record's text and yield its doc (or parts), or a rejection for empty text."""
    notes = list(notes)
    doc_id = doc_id or f"{source.id_prefix}:{position}"
    text, changes = normalize_text(text)
    notes.extend(changes)
    if len(text) < cfg.min_chars:
        yield "rejected", rejected_row(source, position, doc_id, "empty_text",
                                       f"{len(text)} characters after normalization")
        return
    date = parse_date(date_value)
    if date_value not in (None, "") and date is None:
        notes.append("date_unparsed")
    base = {"url": url if isinstance(url, str) and url else None, "source": src or source.format,
            "date": epoch_ms(date), "source_file": source.path, "position": position, "format": source.format}
    if len(text) <= cfg.max_doc_chars:
        yield "doc", {**base, "id": doc_id, "text": text, "notes": notes}
    elif cfg.oversize == "truncate":
        cut = truncate_text(text, cfg.max_doc_chars)
        yield "doc", {**base, "id": doc_id, "text": cut, "notes": notes + [f"truncated_from:{len(text)}"]}
    else:
        parts = split_text(text, cfg.max_doc_chars)
        for k, part in enumerate(parts):
            yield "doc", {**base, "id": f"{doc_id}#{k}", "text": part, "part": k,
                          "notes": notes + [f"split:{k + 1}/{len(parts)}:{len(text)}"]}


# ---------------------------------------------------------------- JSONL and Parquet

def _from_object(source: Source, position: int, obj: Any, raw: bytes | str, notes: list[str],
                 cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    n = cfg.excerpt_chars
    if not isinstance(obj, dict):
        yield "error", error_row(source, position, "not_an_object", f"record is a {type(obj).__name__}", raw, n)
        return
    text = get_path(obj, cfg.text_field)
    if text is None:
        yield "error", error_row(source, position, "missing_text", f"field {cfg.text_field!r} is absent or null",
                                 raw, n)
        return
    if not isinstance(text, str):
        yield "error", error_row(source, position, "text_not_string",
                                 f"field {cfg.text_field!r} is a {type(text).__name__}", raw, n)
        return
    raw_id = get_path(obj, cfg.id_field)
    doc_id = None
    if isinstance(raw_id, str) and raw_id.strip():
        doc_id = raw_id.strip()
    elif isinstance(raw_id, int) and not isinstance(raw_id, bool):
        doc_id = str(raw_id)
    elif raw_id is not None:
        notes.append("id_invalid")
    url = next((v for v in (get_path(obj, f) for f in cfg.url_fields) if isinstance(v, str) and v), None)
    date_value = next((v for v in (get_path(obj, f) for f in cfg.date_fields) if v not in (None, "")), None)
    src = get_path(obj, cfg.source_field)
    yield from make_documents(source, position, doc_id, text, url=url, date_value=date_value,
                              src=src if isinstance(src, str) and src else None, notes=notes, cfg=cfg)


_WHOLE_JSON_LIMIT = 256 << 20


def read_jsonl(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """One JSON object per line; blank lines are not records; position is the 0-based line index.

    A file that is one JSON array (or one pretty-printed object) is read whole instead: each
    array element is a record, position its index.
    """
    reader = decoded_stream(stream, source.codec)
    try:
        head = reader.peek(1 << 16)[: 1 << 16].lstrip()
    except StreamError as exc:
        yield "error", error_row(source, 0, exc.reason, exc.detail, b"", cfg.excerpt_chars)
        return
    first_line = head.split(b"\n", 1)[0].strip()
    if head.startswith(b"[") or first_line == b"{":
        yield from _read_whole_json(reader, source, cfg)
        return
    position = -1
    while True:
        try:
            line = reader.readline()
        except StreamError as exc:
            # the partial line at the cut (if any) belongs to the cut, not to a record of its own
            yield "error", error_row(source, position + 1, exc.reason, exc.detail, b"", cfg.excerpt_chars)
            return
        if not line:
            return
        position += 1
        if not line.strip():
            continue
        text, replaced = decode_bytes(line)
        notes = ["invalid_utf8"] if replaced else []
        try:
            obj = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield "error", error_row(source, position, "invalid_json", str(exc), line, cfg.excerpt_chars)
            continue
        yield from _from_object(source, position, obj, line, notes, cfg)


def _read_whole_json(reader, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    n = cfg.excerpt_chars
    try:
        data = reader.read(_WHOLE_JSON_LIMIT + 1)
    except StreamError as exc:
        yield "error", error_row(source, 0, exc.reason, exc.detail, b"", n)
        return
    if len(data) > _WHOLE_JSON_LIMIT:
        yield "error", error_row(source, -1, "json_too_large", "a whole-file JSON document over 256 MB; "
                                 "write one JSON object per line instead", data, n)
        return
    text, replaced = decode_bytes(data)
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        yield "error", error_row(source, -1, "invalid_json", str(exc), data, n)
        return
    items = obj if isinstance(obj, list) else [obj]
    for position, item in enumerate(items):
        yield from _from_object(source, position, item, json.dumps(item, ensure_ascii=False, default=str)[:n],
                                ["invalid_utf8"] if replaced else [], cfg)


def read_parquet(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Rows of a Parquet file (fields as for JSONL); position is the 0-based row index."""
    import pyarrow.parquet as pq

    position = 0
    try:
        pf = pq.ParquetFile(stream)
        for batch in pf.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                yield from _from_object(source, position, row, json.dumps(row, default=str)[:2000], [], cfg)
                position += 1
    except Exception as exc:  # pyarrow raises several types for damaged files
        yield "error", error_row(source, position, "unreadable_parquet", f"{type(exc).__name__}: {exc}", b"",
                                 cfg.excerpt_chars)


# ---------------------------------------------------------------- plain text

def read_txt(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Plain text: one document per file, line or blank-line block (ingest.txt_mode).

    A .txt whose content starts with a WARC header is read as WET (cc_net writes such samples).
    """
    reader = decoded_stream(stream, source.codec)
    try:
        head = reader.peek(16)[:16]
    except StreamError as exc:
        yield "error", error_row(source, 0, exc.reason, exc.detail, b"", cfg.excerpt_chars)
        return
    if head.startswith(b"WARC/"):
        yield from _read_wet_records(reader, Source(source.path, source.id_prefix, "wet", None), cfg)
        return
    if cfg.txt_mode == "file":
        try:
            data = reader.read()
        except StreamError as exc:
            yield "error", error_row(source, 0, exc.reason, exc.detail, b"", cfg.excerpt_chars)
            return
        if not data:
            return
        text, replaced = decode_bytes(data)
        yield from make_documents(source, 0, None, text, notes=["invalid_utf8"] if replaced else [], cfg=cfg)
        return
    position, block = 0, []
    try:
        for line in reader:
            if cfg.txt_mode == "line":
                if line.strip():
                    yield from _txt_unit(source, position, line, cfg)
                    position += 1
            elif line.strip():
                block.append(line)
            elif block:
                yield from _txt_unit(source, position, b"".join(block), cfg)
                position, block = position + 1, []
    except StreamError as exc:
        yield "error", error_row(source, position, exc.reason, exc.detail, b"".join(block), cfg.excerpt_chars)
        return
    if block:
        yield from _txt_unit(source, position, b"".join(block), cfg)


def _txt_unit(source, position, data, cfg):
    text, replaced = decode_bytes(data)
    yield from make_documents(source, position, None, text, notes=["invalid_utf8"] if replaced else [], cfg=cfg)


# ---------------------------------------------------------------- WET (text WARC records)

_WARC_DOC_TYPES = {"response", "conversion", "resource"}


def _parse_header_block(reader: io.BufferedReader, first: bytes) -> dict[str, str]:
    headers = {"_version": first.strip().decode("ascii", errors="replace")}
    while True:
        line = reader.readline()
        if not line:
            raise StreamError("truncated_stream", "stream ended inside WARC headers")
        if not line.strip():
            return headers
        name, _, value = line.decode("utf-8", errors="replace").partition(":")
        headers[name.strip().lower()] = value.strip()


def _is_record_start(line: bytes, reader: io.BufferedReader) -> bool:
    if line.rstrip() not in (b"WARC/1.0", b"WARC/1.1", b"WARC/0.18"):
        return False
    nxt = reader.peek(6)[:6]
    return len(nxt) < 5 or nxt.startswith(b"WARC-") or nxt[:1].isalpha()


def read_wet(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Common Crawl WET: each ``conversion`` record is a document; warcinfo is ignored."""
    yield from _read_wet_records(decoded_stream(stream, source.codec), source, cfg)


def _read_wet_records(reader: io.BufferedReader, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Text WARC records, split at WARC version lines (LF or CRLF files; Content-Length is only
    trusted to detect a record cut short at the end of the stream)."""
    n = cfg.excerpt_chars
    position = 0
    try:
        line = reader.readline()
        while line and not line.strip():
            line = reader.readline()
        if line and not line.startswith(b"WARC/"):
            yield "error", error_row(source, -1, "invalid_warc", "file does not start with a WARC record", line, n)
            return
        while line:
            headers = _parse_header_block(reader, line)
            length = int(headers.get("content-length", "0") or 0)
            body_lines = []
            line = reader.readline()
            while line and not _is_record_start(line, reader):
                body_lines.append(line)
                line = reader.readline()
            body = b"".join(body_lines)
            rtype = headers.get("warc-type", "")
            if rtype not in _WARC_DOC_TYPES:
                yield "ignored", {"reason": f"warc_{rtype or 'untyped'}"}
                continue
            if not line and len(body) + len(body_lines) < length:
                yield "error", error_row(source, position, "truncated_record",
                                         f"last record has {len(body)} of {length} bytes", body, n)
                return
            text, replaced = decode_bytes(body)
            yield from make_documents(source, position, _record_id(headers), text,
                                      url=headers.get("warc-target-uri"), date_value=headers.get("warc-date"),
                                      src=None, notes=["invalid_utf8"] if replaced else [], cfg=cfg)
            position += 1
    except StreamError as exc:
        yield "error", error_row(source, position, exc.reason, exc.detail, b"", n)


def _record_id(headers: dict[str, str]) -> str | None:
    rid = headers.get("warc-record-id", "").strip().strip("<>")
    return rid or None


# ---------------------------------------------------------------- WARC (HTTP responses with HTML)

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """WARC responses: HTML with status 200 becomes a document (main text extracted); other
    responses are rejected with their reason; requests, metadata and warcinfo are ignored."""
    from warcio.archiveiterator import ArchiveIterator

    n = cfg.excerpt_chars
    position = 0
    seen_any = False
    reader = decoded_stream(stream, source.codec)
    try:
        for rec in ArchiveIterator(reader, arc2warc=True):
            seen_any = True
            rtype = rec.rec_type or "untyped"
            if rtype not in _WARC_DOC_TYPES:
                yield "ignored", {"reason": f"warc_{rtype}"}
                continue
            headers = {k.lower(): v for k, v in rec.rec_headers.headers}
            rid = _record_id(headers)
            body = rec.content_stream().read()
            missing = getattr(rec.raw_stream, "limit", 0)
            if missing:
                yield "error", error_row(source, position, "truncated_record",
                                         f"record ended {missing} bytes short of its Content-Length", body, n)
                return
            yield from _warc_document(rec, headers, rid, body, source, position, cfg)
            position += 1
    except StreamError as exc:
        yield "error", error_row(source, position, exc.reason, exc.detail, b"", n)
        return
    except Exception as exc:  # warcio raises ArchiveLoadFailed and parser errors on broken records
        yield "error", error_row(source, position, "invalid_warc", f"{type(exc).__name__}: {exc}", b"", n)
        return
    if not seen_any:
        yield "error", error_row(source, -1, "invalid_warc", "no WARC record in the file", b"", n)


def _warc_document(rec, headers, rid, body, source, position, cfg):
    url = headers.get("warc-target-uri")
    date_value = headers.get("warc-date")
    if rec.http_headers is not None and rec.rec_type == "response":
        status = rec.http_headers.get_statuscode()
        if str(status) != "200":
            yield "rejected", rejected_row(source, position, rid, "warc_http_status", str(status))
            return
        ctype = (rec.http_headers.get_header("Content-Type") or "").lower()
    else:
        ctype = headers.get("content-type", "").lower()
    is_html = any(t in ctype for t in _HTML_TYPES) or (not ctype and _looks_like_html(body))
    if is_html:
        text = html_to_text(body, main_content=cfg.html_main_content)
        notes = []
    elif rec.rec_type == "conversion":
        text, replaced = decode_bytes(body)
        notes = ["invalid_utf8"] if replaced else []
    else:
        yield "rejected", rejected_row(source, position, rid, "warc_not_html", ctype or "no content type")
        return
    yield from make_documents(source, position, rid, text, url=url, date_value=date_value, notes=notes, cfg=cfg)


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def html_to_text(body: bytes, main_content: bool = True) -> str:
    """Main text of an HTML page (encoding detected from the bytes), one block per line."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    from resiliparse.parse.html import HTMLTree

    html = bytes_to_str(body, detect_encoding(body))
    tree = HTMLTree.parse(html)
    return extract_plain_text(tree, main_content=main_content, alt_texts=False, links=False,
                              list_bullets=True, noscript=False)


# ---------------------------------------------------------------- entry point

READERS = {"jsonl": read_jsonl, "parquet": read_parquet, "wet": read_wet, "warc": read_warc, "txt": read_txt}


def read_records(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Dispatch on ``source.format``; an unknown format is one error for the whole file."""
    reader = READERS.get(source.format)
    if reader is None:
        yield "error", error_row(source, -1, "unknown_format",
                                 "cannot tell the format from the file name; set ingest.format or --format",
                                 b"", cfg.excerpt_chars)
        return
    yield from reader(stream, source, cfg)


_ID_SAFE = re.compile(r"[^A-Za-z0-9._/\-]+")


def id_prefix_for(path: str, base: str) -> str:
    """The stable part of derived ids: the path relative to the input glob's base directory."""
    rel = path[len(base):].lstrip("/") if base and path.startswith(base) else path.rsplit("/", 1)[-1]
    return _ID_SAFE.sub("_", rel) or "input"
