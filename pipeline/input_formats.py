"""Record readers for raw web text: a binary stream in, classified events out. No Beam import.

``read_records(stream, source)`` yields ``(kind, row)`` pairs, ``kind`` one of
  - ``"doc"``      a document row (schemas.DOCUMENTS columns),
  - ``"rejected"`` a valid record removed by a rule (schemas.REJECTED columns),
  - ``"error"``    input that could not be read (schemas.ERRORS columns),
  - ``"ignored"``  a WARC record that is not a document (request, metadata, warcinfo), counted
                   apart: it is not an input record,
  - ``"record"``   (row None) the reader has found one more input record; its outcome follows.
Every input record yields one ``record`` event and then exactly one doc-or-rejected-or-error event
(a record split into parts yields one doc event per part, each marked with ``part``). The
``record`` events are counted apart from the outcomes, so ``records == docs + rejected + errors``
is a check that can fail, not an identity. Compressed streams are decompressed here in bounded
pieces, so a truncated or corrupt stream keeps every record before the cut and adds one error
for the cut, and a small file that inflates without end stops at ``ingest.max_expansion``.
Lines and record bodies are read up to ``ingest.max_record_bytes``; the rest is skipped unread.
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

from filters.normalize import clean_field, clean_text, split_text, truncate_text
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

_EXPANSION_FLOOR = 1 << 30      # decompressed bytes always allowed before max_expansion applies


def iter_chunks(stream: BinaryIO, codec: str | None, max_expansion: int = 200) -> Iterator[bytes]:
    """Decompressed byte chunks of at most 1 MiB each; raises StreamError on a truncated or corrupt
    stream, or past ``max_expansion`` times the compressed bytes read (once over 1 GiB).

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
    yield from _inflate(stream, head, codec, max_expansion)


def _new_decoder(codec: str):
    if codec == "gz":
        return zlib.decompressobj(wbits=47)
    try:
        from compression.zstd import ZstdDecompressor          # Python 3.14+
    except ImportError:
        from backports.zstd import ZstdDecompressor
    return ZstdDecompressor()


def _inflate(stream: BinaryIO, data: bytes, codec: str, max_expansion: int) -> Iterator[bytes]:
    """Members/frames one after another, each decompressed in bounded pieces (``max_length``), so a
    few compressed bytes that inflate to gigabytes never sit in memory at once."""
    dec = _new_decoder(codec)
    member_done, read_in, written = False, len(data), 0
    while True:
        while data or (not member_done and _has_pending(dec, codec)):
            if member_done:
                dec, member_done = _new_decoder(codec), False
            try:
                out = dec.decompress(data, _CHUNK)
            except Exception as exc:  # zlib.error, ZstdError: bad data inside the stream
                raise StreamError("corrupt_stream", str(exc)) from exc
            data = dec.unconsumed_tail if codec == "gz" else b""
            if out:
                written += len(out)
                if written > _EXPANSION_FLOOR and written > max_expansion * read_in:
                    raise StreamError("decompression_limit",
                                      f"{codec} stream inflated past {written} bytes from {read_in} "
                                      f"(over {max_expansion}x its compressed size)")
                yield out
            if dec.eof:
                member_done = True
                data = dec.unused_data
            elif not out and not data:
                break
        data = stream.read(_CHUNK)
        if not data:
            break
        read_in += len(data)
    if not member_done:
        raise StreamError("truncated_stream", f"{codec} stream ended before its end marker")


def _has_pending(dec, codec: str) -> bool:
    """Whether the decoder may still produce output without new input."""
    return bool(dec.unconsumed_tail) if codec == "gz" else not dec.needs_input


class ByteReader:
    """A forward reader over decompressed chunks with bounded lines, peeking and push-back.

    A StreamError from the chunks is held back until every byte before it has been read: then
    reads return end of stream and ``error`` holds it, so records complete before a cut are
    never lost to read-ahead. Buffering is linear (consumed bytes are dropped in bulk).
    """

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._buf, self._pos = chunks, bytearray(), 0
        self._done = False
        self.error: StreamError | None = None

    def _more(self) -> bool:
        if self._done:
            return False
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._done = True
            return False
        except StreamError as exc:
            self._done, self.error = True, exc
            return False
        if self._pos > _CHUNK and self._pos * 2 > len(self._buf):
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += chunk
        return True

    def _available(self) -> int:
        return len(self._buf) - self._pos

    def peek(self, n: int) -> bytes:
        while self._available() < n and self._more():
            pass
        return bytes(self._buf[self._pos: self._pos + n])

    def read(self, n: int) -> bytes:
        data = self.peek(n)
        self._pos += len(data)
        return data

    def skip(self, n: int) -> int:
        """Drop up to ``n`` bytes without keeping them; returns how many were dropped."""
        dropped = 0
        while dropped < n:
            if not self._available() and not self._more():
                break
            k = min(n - dropped, self._available())
            self._pos += k
            dropped += k
        return dropped

    def readline(self, limit: int) -> tuple[bytes, int, bool]:
        """(the line's first ``limit`` bytes with its newline, its whole length, complete).

        ``complete`` is False for a line cut by ``limit`` (the rest is skipped without being
        kept) and for a last line with no newline. At end of stream: (b"", 0, True).
        """
        scanned = 0
        while True:
            end = self._buf.find(b"\n", self._pos + scanned, self._pos + limit)
            if end >= 0:
                line = bytes(self._buf[self._pos: end + 1])
                self._pos = end + 1
                return line, len(line), True
            scanned = min(self._available(), limit)
            if scanned >= limit:
                line = bytes(self._buf[self._pos: self._pos + limit])
                self._pos += limit
                return line, limit + self._skip_line(), False
            if not self._more():
                line = bytes(self._buf[self._pos:])
                self._pos = len(self._buf)
                return line, len(line), not line

    def _skip_line(self) -> int:
        """Drop bytes up to and including the next newline; returns how many."""
        dropped = 0
        while True:
            end = self._buf.find(b"\n", self._pos)
            if end >= 0:
                dropped += end + 1 - self._pos
                self._pos = end + 1
                return dropped
            dropped += self._available()
            self._pos = len(self._buf)
            if not self._more():
                return dropped

    def unread(self, data: bytes) -> None:
        """Put ``data`` back in front of the unread bytes."""
        self._buf[self._pos: self._pos] = data


def decoded_stream(stream: BinaryIO, codec: str | None, max_expansion: int = 200) -> ByteReader:
    """A ByteReader over the decompressed bytes of ``stream``."""
    return ByteReader(iter_chunks(stream, codec, max_expansion))


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
    return safe_text(data[:n])


def safe_text(value: str) -> str:
    """``value`` with lone surrogates replaced, so any coder or Parquet writer can encode it."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", errors="replace").decode("utf-8")


def error_row(source: Source, position: int, reason: str, detail: str, raw: bytes | str, n: int) -> dict:
    return {"stage": STAGE, "source_file": source.path, "position": position, "reason": reason,
            "detail": safe_text(detail[:500]), "excerpt": _excerpt(raw, n)}


def rejected_row(source: Source, position: int, doc_id: str | None, reason: str, detail: str = "") -> dict:
    return {"id": doc_id, "stage": STAGE, "reason": reason, "detail": safe_text(detail) or None,
            "source_file": source.path, "position": position}


# Caps on metadata fields (characters); longer values keep a head plus a hash (ids) or are cut (notes).
ID_CHARS, URL_CHARS, SOURCE_CHARS, DATE_CHARS = 256, 4096, 64, 64


def _field(value: str, cap: int, name: str, notes: list[str]) -> str | None:
    value, changes = clean_field(value, cap)
    if changes:
        notes.extend(f"{name}_{change}" for change in changes)
    return value or None


def make_documents(source: Source, position: int, doc_id: str | None, text: str, *, url=None,
                   date_value=None, src=None, notes=(), cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Normalize one record's text and metadata and yield its doc (or parts), or a rejection for
    empty text. Metadata (id, url, source, date) is cleaned and capped before it reaches a coder
    or a path; each change is noted (``id_sanitized``, ``url_truncated``, ...)."""
    notes = list(notes)
    if doc_id is not None:
        doc_id = _field(doc_id, ID_CHARS, "id", notes)
    doc_id = doc_id or _field(f"{source.id_prefix}:{position}", ID_CHARS, "id", notes)
    url = _field(url, URL_CHARS, "url", notes) if isinstance(url, str) and url else None
    src = _field(src, SOURCE_CHARS, "source", notes) if isinstance(src, str) and src else None
    if isinstance(date_value, str) and len(date_value) > DATE_CHARS:
        date_value = date_value[:DATE_CHARS]
    text, changes = clean_text(text)
    notes.extend(changes)
    if len(text) < cfg.min_chars:
        yield "rejected", rejected_row(source, position, doc_id, "empty_text",
                                       f"{len(text)} characters after normalization")
        return
    date = parse_date(date_value)
    if date_value not in (None, "") and date is None:
        notes.append("date_unparsed")
    base = {"url": url, "source": src or source.format,
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


RECORD = ("record", None)   # event: a reader starts one input record (its outcome follows)


def isolated(source: Source, position: int, raw: bytes | str, cfg: IngestConfig, events) -> list:
    """The events of one record, or one ``record_failed`` error if building them raised: a record
    never stops its file (nor the job), and never yields both documents and an error."""
    try:
        return list(events)
    except Exception as exc:  # any bug or hostile value inside one record
        return [("error", error_row(source, position, "record_failed", f"{type(exc).__name__}: {exc}",
                                    raw, cfg.excerpt_chars))]


def _cut(reader: ByteReader, source: Source, position: int, raw: bytes, cfg: IngestConfig):
    """The one record+error pair for a stream that broke (truncated, corrupt, over its limit)."""
    if reader.error is not None:
        yield RECORD
        yield "error", error_row(source, position, reader.error.reason, reader.error.detail, raw,
                                 cfg.excerpt_chars)


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
    elif isinstance(raw_id, int) and not isinstance(raw_id, bool) and abs(raw_id) < 10 ** 30:
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

    A line longer than ``ingest.max_record_bytes`` is a ``record_too_large`` error (its bytes are
    skipped, not kept). A file that is one JSON array (or one pretty-printed object) is read whole
    instead: each array element is a record, position its index.
    """
    reader = decoded_stream(stream, source.codec, cfg.max_expansion)
    n, cap = cfg.excerpt_chars, cfg.record_byte_cap
    head = reader.peek(1 << 16)[: 1 << 16].lstrip()
    first_line = head.split(b"\n", 1)[0].strip()
    if head.startswith(b"[") or first_line == b"{":
        yield from _read_whole_json(reader, source, cfg)
        return
    position, line = -1, b""
    while True:
        line, length, complete = reader.readline(cap)
        if not line:
            break
        position += 1
        if not complete and reader.error is not None:
            break           # the partial line at the cut belongs to the cut, not to a record of its own
        if not line.strip():
            continue
        yield RECORD
        if length > len(line):
            yield "error", error_row(source, position, "record_too_large",
                                     f"line of {length} bytes; ingest.max_record_bytes is {cap}", line, n)
            continue
        yield from isolated(source, position, line, cfg, _parse_json_line(source, position, line, cfg))
    yield from _cut(reader, source, position if line else position + 1, line, cfg)


def _parse_json_line(source: Source, position: int, line: bytes, cfg: IngestConfig):
    text, replaced = decode_bytes(line)
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:   # JSONDecodeError, and int digit limits
        yield "error", error_row(source, position, "invalid_json", str(exc), line, cfg.excerpt_chars)
        return
    yield from _from_object(source, position, obj, line, ["invalid_utf8"] if replaced else [], cfg)


def _read_whole_json(reader: ByteReader, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    n = cfg.excerpt_chars
    data = reader.read(_WHOLE_JSON_LIMIT + 1)
    if reader.error is not None:
        yield from _cut(reader, source, 0, data, cfg)
        return
    if len(data) > _WHOLE_JSON_LIMIT:
        yield RECORD
        yield "error", error_row(source, -1, "json_too_large", "a whole-file JSON document over 256 MB; "
                                 "write one JSON object per line instead", data, n)
        return
    text, replaced = decode_bytes(data)
    del data
    notes = ["invalid_utf8"] if replaced else []
    position = 0
    for position, item in enumerate(_json_items(text)):
        yield RECORD
        if isinstance(item, Exception):
            yield "error", error_row(source, position if position else -1, "invalid_json", str(item), "", n)
            return
        raw = safe_text(json.dumps(item, ensure_ascii=False, default=str)[:n]) if n else ""
        yield from isolated(source, position, raw, cfg, _from_object(source, position, item, raw, list(notes), cfg))


_WS = re.compile(r"[ \t\r\n]*")


def _json_items(text: str) -> Iterator[Any]:
    """The elements of a JSON array (or the one value of a JSON document), decoded one at a time,
    so only one element's objects exist at once; a parse error ends the stream as an Exception item
    (the elements before it stand)."""
    decoder = json.JSONDecoder()
    i = _WS.match(text).end()
    try:
        if not text.startswith("[", i):
            value, end = decoder.raw_decode(text, i)
            if _WS.match(text, end).end() != len(text):
                raise ValueError(f"extra data after the JSON value at character {end}")
            yield value
            return
        i = _WS.match(text, i + 1).end()
        if text.startswith("]", i):
            i = _WS.match(text, i + 1).end()
        else:
            while True:
                value, i = decoder.raw_decode(text, i)
                yield value
                i = _WS.match(text, i).end()
                if text.startswith(",", i):
                    i = _WS.match(text, i + 1).end()
                    continue
                if not text.startswith("]", i):
                    raise ValueError(f"expected ',' or ']' at character {i}")
                i = _WS.match(text, i + 1).end()
                break
        if i != len(text):
            raise ValueError(f"extra data after the JSON array at character {i}")
    except (ValueError, RecursionError) as exc:
        yield exc


def read_parquet(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Rows of a Parquet file (fields as for JSONL); position is the 0-based row index.

    A row group whose metadata says it inflates past 1 GiB and past ``ingest.max_expansion`` times
    its compressed bytes is not decoded: each of its rows is a ``decompression_limit`` error."""
    import pyarrow.parquet as pq

    position = 0
    try:
        pf = pq.ParquetFile(stream)
        for g in range(pf.metadata.num_row_groups):
            meta = pf.metadata.row_group(g)
            packed = sum(meta.column(c).total_compressed_size for c in range(meta.num_columns))
            if meta.total_byte_size > max(_EXPANSION_FLOOR, cfg.max_expansion * packed):
                for _ in range(meta.num_rows):
                    yield RECORD
                    yield "error", error_row(source, position, "decompression_limit",
                                             f"row group {g}: {meta.total_byte_size} bytes from {packed}", b"",
                                             cfg.excerpt_chars)
                    position += 1
                continue
            for batch in pf.iter_batches(batch_size=1024, row_groups=[g]):
                for row in batch.to_pylist():
                    yield RECORD
                    raw = safe_text(json.dumps(row, default=str)[:2000])
                    yield from isolated(source, position, raw, cfg,
                                        _from_object(source, position, row, raw, [], cfg))
                    position += 1
    except Exception as exc:  # pyarrow raises several types for damaged files
        yield RECORD
        yield "error", error_row(source, position, "unreadable_parquet", f"{type(exc).__name__}: {exc}", b"",
                                 cfg.excerpt_chars)


# ---------------------------------------------------------------- plain text

def read_txt(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Plain text: one document per file, line or blank-line block (ingest.txt_mode).

    A unit longer than ``ingest.max_record_bytes`` keeps its first bytes (noted
    ``record_truncated_from_bytes``); the rest is skipped without being kept. A .txt whose
    content starts with a WARC header is read as WET (cc_net writes such samples).
    """
    reader = decoded_stream(stream, source.codec, cfg.max_expansion)
    cap = cfg.record_byte_cap
    if reader.peek(16).startswith(b"WARC/"):
        yield from _read_wet_records(reader, Source(source.path, source.id_prefix, "wet", None), cfg)
        return
    if cfg.txt_mode == "file":
        data = reader.read(cap)
        total = len(data) + reader.skip(1 << 62)
        if reader.error is not None:
            yield from _cut(reader, source, 0, data, cfg)
        elif data:
            yield RECORD
            yield from _txt_unit(source, 0, data, total, cfg)
        return
    position, block, kept, block_bytes = 0, [], 0, 0
    while True:
        line, length, complete = reader.readline(cap)
        if not line or (not complete and reader.error is not None):
            break
        if cfg.txt_mode == "line":
            if line.strip():
                yield RECORD
                yield from _txt_unit(source, position, line, length, cfg)
                position += 1
        elif line.strip():
            if kept < cap:
                block.append(line[: cap - kept])
                kept += len(block[-1])
            block_bytes += length
        elif block:
            yield RECORD
            yield from _txt_unit(source, position, b"".join(block), block_bytes, cfg)
            position, block, kept, block_bytes = position + 1, [], 0, 0
    if reader.error is not None:
        yield from _cut(reader, source, position, b"".join(block) + line, cfg)
    elif block:
        yield RECORD
        yield from _txt_unit(source, position, b"".join(block), block_bytes, cfg)


def _txt_unit(source, position, data, total_bytes, cfg):
    text, replaced = decode_bytes(data)
    notes = ["invalid_utf8"] if replaced else []
    if total_bytes > len(data):
        notes.append(f"record_truncated_from_bytes:{total_bytes}")
    yield from isolated(source, position, data, cfg, make_documents(source, position, None, text, notes=notes, cfg=cfg))


# ---------------------------------------------------------------- WARC framing (WET and WARC)

_WARC_DOC_TYPES = {"response", "conversion", "resource"}
_VERSION = re.compile(rb"WARC/(?:1\.[01]|0\.1[78])\r?\n")
# A record start inside bytes: a version line at a line start followed by a WARC header line.
_RECORD_START = re.compile(rb"(?:^|\n)(WARC/(?:1\.[01]|0\.1[78])\r?\n(?:WARC-[A-Za-z-]+|Content-Length|Content-Type):)")
_HEADER_LINE_CAP, _HEADER_BLOCK_CAP = 16 << 10, 256 << 10
_LENGTH = re.compile(r"\d{1,15}")


@dataclass
class WarcRecord:
    """One framed WARC record: its header fields (lower-case names), raw header block and body."""
    position: int
    headers: dict[str, str]
    header_bytes: bytes
    body: bytes
    notes: list[str]



def _find_record_start(data: bytes, start: int = 0, stop: int | None = None) -> int:
    """Offset of the first record start at or after ``start`` (and before ``stop``), else -1."""
    for m in _RECORD_START.finditer(data, max(0, start - 1)):
        at = m.start(1)
        if at < start:
            continue
        return at if stop is None or at < stop else -1
    return -1


def _read_header_block(reader: ByteReader) -> tuple[dict[str, str], bytes] | None:
    """Header lines up to the blank line (bounded); None if the stream ends or the block is too large."""
    headers, lines, size = {}, [], 0
    while True:
        line, length, complete = reader.readline(_HEADER_LINE_CAP)
        if not line or not complete:
            return None
        size += length
        if size > _HEADER_BLOCK_CAP:
            return None
        if not line.strip():
            return headers, b"".join(lines)
        lines.append(line)
        name, _, value = line.decode("utf-8", errors="replace").partition(":")
        headers[name.strip().lower()] = value.strip()


def _at_boundary(reader: ByteReader) -> bool:
    """After a body: skip the record's CR/LF separator; True if a record or the stream's end follows."""
    sep = reader.peek(8)
    k = len(sep) - len(sep.lstrip(b"\r\n"))
    nxt = reader.peek(k + 48)[k:]
    cut_short = reader.error is not None and len(nxt) < 48     # the stream breaks inside what follows
    if not nxt or (cut_short and (nxt.startswith(b"WARC/") or b"WARC/".startswith(nxt))):
        reader.skip(k)
        return True
    if _VERSION.match(nxt) and _find_record_start(nxt) == 0:
        reader.skip(k)
        return True
    return False


def _near_record_start(reader: ByteReader, body: bytes, length: int) -> int:
    """Offset (in body + what follows) of a record start close to where a miscounted Content-Length
    puts it, else -1: within one byte per line of ``length`` bytes (LF files whose length counted
    CRLF), or of ``length`` characters (cc_net writes the length in characters)."""
    slack = body.count(b"\n") + 8
    want = max(4 * length - len(body), 0) + slack + 64
    ahead = reader.peek(want)
    window = body + ahead
    at_eof = len(ahead) < want and reader.error is None
    char_end = len(window.decode("utf-8", errors="ignore")[:length].encode("utf-8"))
    for end in (len(body), char_end):
        at = _find_record_start(window, max(0, end - slack), end + slack)
        if at >= 0:
            return at
        if at_eof and len(window) - end <= slack and not window[end:].strip():
            return len(window)
    return -1


def _resync(reader: ByteReader, consumed: bytes) -> None:
    """After a damaged record: continue at the first record start in the bytes just consumed (put
    back) or after them, one that straddles their end included."""
    window = consumed + reader.peek(64)
    at = _find_record_start(window)
    if 0 <= at < len(consumed):
        reader.unread(consumed[at:])
    elif at >= len(consumed):
        reader.skip(at - len(consumed))
    else:
        _skip_to_record_start(reader)


def _skip_to_record_start(reader: ByteReader) -> int:
    """Drop lines until one that starts a record (left unread); returns the bytes dropped."""
    dropped = 0
    while True:
        head = reader.peek(64)
        if not head or _find_record_start(head) == 0:
            return dropped
        _, length, _ = reader.readline(_HEADER_LINE_CAP)
        dropped += length


def iter_warc_records(reader: ByteReader, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, Any]]:
    """Frame WARC records by Content-Length. Yields ``("warc", WarcRecord)`` per well-framed record,
    ``("ignored", ...)``, and RECORD + ``("error", row)`` for damage.

    Page text never starts a record: a body is exactly Content-Length bytes, checked against the
    separator and the next record's version line. When that check fails, a record start within a
    few bytes of the declared end is accepted (LF-converted files count CRLF; noted
    ``content_length_adjusted``); otherwise the record is a ``content_length_mismatch`` error and
    reading resumes at the next record header inside or after its body. A missing or unreadable
    Content-Length is an ``invalid_content_length`` error, resynchronised the same way. Bodies are
    kept up to ``ingest.max_record_bytes`` (``record_truncated_from_bytes``), the rest skipped.
    """
    n, cap = cfg.excerpt_chars, cfg.record_byte_cap
    position, seen_any = 0, False

    def damaged(rtype: str, reason: str, detail: str, raw: bytes):
        if rtype in _WARC_DOC_TYPES:
            yield RECORD
            yield "error", error_row(source, position, reason, detail, raw, n)
        else:
            yield "ignored", {"reason": f"warc_{rtype or 'untyped'}"}

    while True:
        line, _, complete = reader.readline(_HEADER_LINE_CAP)
        while line and not line.strip():
            line, _, complete = reader.readline(_HEADER_LINE_CAP)
        if not line:
            break
        if not _VERSION.fullmatch(line):
            if not seen_any:
                yield RECORD
                yield "error", error_row(source, -1, "invalid_warc", "file does not start with a WARC record", line, n)
                return
            reader.unread(line)
            _skip_to_record_start(reader)
            continue
        seen_any = True
        block = _read_header_block(reader)
        if block is None:
            if reader.error is not None:
                yield from _cut(reader, source, position, line, cfg)
                return
            yield RECORD
            yield "error", error_row(source, position, "invalid_warc", "unterminated or oversized WARC header block",
                                     line, n)
            _skip_to_record_start(reader)
            continue
        headers, header_bytes = block
        rtype = headers.get("warc-type", "")
        length_text = headers.get("content-length", "")
        if not _LENGTH.fullmatch(length_text):
            _resync(reader, reader.read(min(cap, 1 << 16)))
            yield from damaged(rtype, "invalid_content_length", f"Content-Length {length_text[:40]!r}", header_bytes)
            if rtype in _WARC_DOC_TYPES:
                position += 1
            continue
        length = int(length_text)
        body = reader.read(min(length, cap))
        notes: list[str] = []
        if len(body) < min(length, cap):
            at = _find_record_start(body)
            if reader.error is None and at >= 0:      # a length far too large swallowed later records
                reader.unread(body[at:])
                yield from damaged(rtype, "content_length_mismatch",
                                   f"Content-Length {length} runs past the next record", body[:at])
                position += rtype in _WARC_DOC_TYPES
                continue
            if rtype in _WARC_DOC_TYPES:
                yield RECORD
                reason = reader.error.reason if reader.error is not None else "truncated_record"
                yield "error", error_row(source, position, reason,
                                         f"record ended with {len(body)} of {length} bytes", body, n)
            else:
                yield from _cut(reader, source, position, body, cfg)
            return
        if length > cap:
            if reader.skip(length - cap) < length - cap:
                yield from damaged(rtype, reader.error.reason if reader.error else "truncated_record",
                                   f"record ended before its {length} bytes", body[:n])
                return
            _at_boundary(reader)
            notes.append(f"record_truncated_from_bytes:{length}")
        elif not _at_boundary(reader):
            at = _near_record_start(reader, body, length)
            if at >= 0:
                if at < len(body):
                    reader.unread(body[at:])
                    body = body[:at]
                else:
                    body += reader.read(at - len(body))
                body = body.rstrip(b"\r\n")
                notes.append("content_length_adjusted")
            else:
                _resync(reader, body)
                yield from damaged(rtype, "content_length_mismatch",
                                   f"Content-Length {length} does not end at a record boundary", body[:n])
                position += rtype in _WARC_DOC_TYPES
                continue
        if rtype not in _WARC_DOC_TYPES:
            yield "ignored", {"reason": f"warc_{rtype or 'untyped'}"}
            continue
        yield RECORD
        yield "warc", WarcRecord(position, headers, header_bytes, body, notes)
        position += 1
    if not seen_any and reader.error is None:
        yield RECORD
        yield "error", error_row(source, -1, "invalid_warc", "no WARC record in the file", b"", n)
        return
    yield from _cut(reader, source, position, b"", cfg)


def read_wet(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Common Crawl WET: each ``conversion`` record is a document; warcinfo is ignored."""
    yield from _read_wet_records(decoded_stream(stream, source.codec, cfg.max_expansion), source, cfg)


def _read_wet_records(reader: ByteReader, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    for kind, item in iter_warc_records(reader, source, cfg):
        if kind != "warc":
            yield kind, item
            continue
        text, replaced = decode_bytes(item.body)
        notes = item.notes + (["invalid_utf8"] if replaced else [])
        yield from isolated(source, item.position, item.body, cfg, make_documents(
            source, item.position, _record_id(item.headers), text, url=_target_uri(item.headers),
            date_value=item.headers.get("warc-date"), src=None, notes=notes, cfg=cfg))


def _target_uri(headers: dict[str, str]) -> str | None:
    """WARC-Target-URI without the angle brackets some writers (wget) put around it."""
    uri = headers.get("warc-target-uri", "").strip().strip("<>").strip()
    return uri or None


def _record_id(headers: dict[str, str]) -> str | None:
    rid = headers.get("warc-record-id", "").strip().strip("<>")
    return rid or None


# ---------------------------------------------------------------- WARC (HTTP responses with HTML)

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """WARC responses: HTML with status 200 becomes a document (main text extracted); other
    responses are rejected with their reason; requests, metadata and warcinfo are ignored.
    Records are framed by ``iter_warc_records``; warcio parses each record's HTTP part."""
    reader = decoded_stream(stream, source.codec, cfg.max_expansion)
    if not reader.peek(16).lstrip(b"\r\n").startswith(b"WARC/") and reader.peek(1):
        yield from _read_arc(reader, source, cfg)
        return
    for kind, item in iter_warc_records(reader, source, cfg):
        if kind != "warc":
            yield kind, item
            continue
        yield from isolated(source, item.position, item.body, cfg, _warc_document(item, source, cfg))


def _warc_document(item: WarcRecord, source: Source, cfg: IngestConfig):
    from warcio.archiveiterator import ArchiveIterator

    headers = b"".join(line for line in item.header_bytes.splitlines(keepends=True)
                       if not line.lower().startswith(b"content-length:"))
    raw = (b"WARC/1.0\r\n" + headers + b"Content-Length: %d\r\n\r\n" % len(item.body) + item.body + b"\r\n\r\n")
    rec = next(iter(ArchiveIterator(io.BytesIO(raw))))
    body = rec.content_stream().read(cfg.record_byte_cap)
    rid = _record_id(item.headers)
    yield from _warc_body_document(rec, item.headers, rid, body, source, item.position, cfg, item.notes)


def _read_arc(reader: ByteReader, source: Source, cfg: IngestConfig):
    """Legacy ARC files (and anything not starting with a WARC header), through warcio."""
    from warcio.archiveiterator import ArchiveIterator

    n, position = cfg.excerpt_chars, 0
    try:
        for rec in ArchiveIterator(_ReaderFile(reader), arc2warc=True):
            rtype = rec.rec_type or "untyped"
            if rtype not in _WARC_DOC_TYPES:
                yield "ignored", {"reason": f"warc_{rtype}"}
                continue
            yield RECORD
            headers = {k.lower(): v for k, v in rec.rec_headers.headers}
            body = rec.content_stream().read(cfg.record_byte_cap)
            yield from isolated(source, position, body, cfg, _warc_body_document(
                rec, headers, _record_id(headers), body, source, position, cfg, []))
            position += 1
    except Exception as exc:  # warcio raises ArchiveLoadFailed and parser errors on broken records
        yield RECORD
        yield "error", error_row(source, position, "invalid_warc", f"{type(exc).__name__}: {exc}", b"", n)
        return
    yield from _cut(reader, source, position, b"", cfg)


class _ReaderFile(io.RawIOBase):
    """A ByteReader as a readable file for warcio."""

    def __init__(self, reader: ByteReader):
        self._reader = reader

    def readable(self):
        return True

    def readinto(self, b):
        data = self._reader.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size=-1):
        return self._reader.readline(size if size and size > 0 else _HEADER_BLOCK_CAP)[0]


def _warc_body_document(rec, headers, rid, body, source, position, cfg, notes):
    url = _target_uri(headers)
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
    notes = list(notes)
    if is_html:
        text = html_to_text(body, main_content=cfg.html_main_content)
    elif rec.rec_type == "conversion":
        text, replaced = decode_bytes(body)
        notes += ["invalid_utf8"] if replaced else []
    else:
        yield "rejected", rejected_row(source, position, rid, "warc_not_html", ctype or "no content type")
        return
    yield from make_documents(source, position, rid, text, url=url, date_value=date_value, notes=notes, cfg=cfg)


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def html_to_text(body: bytes, main_content: bool = True) -> str:
    """Main text of an HTML page (encoding detected from the bytes), one block per line.

    When the main-content text is a stub (under 300 characters) it is compared with the full
    extraction: a list that follows it there, with items of prose length (40+ characters on
    average, unlike navigation), is the page's content that the heuristic dropped, and is kept."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    from resiliparse.parse.html import HTMLTree

    html = bytes_to_str(body, detect_encoding(body))
    tree = HTMLTree.parse(html)
    text = extract_plain_text(tree, main_content=main_content, alt_texts=False, links=False,
                              list_bullets=True, noscript=False)
    if main_content and len(text.strip()) < _STUB_CHARS:
        full = extract_plain_text(tree, main_content=False, alt_texts=False, links=False, list_bullets=True,
                                  noscript=False)
        text += restored_list(text, full)
    return text


_STUB_CHARS, _LIST_ITEM_CHARS = 300, 40
_BULLET = re.compile(r"^\s*[•\-*·]\s+(.*\S)\s*$")


def restored_list(main: str, full: str) -> str:
    """The prose list that follows ``main`` in ``full`` (see html_to_text), as text to append, or ''."""
    lines = [line for line in main.splitlines() if line.strip()]
    if not lines:
        return ""
    at = full.find(lines[-1].strip())
    if at < 0:
        return ""
    items = []
    for line in full[at + len(lines[-1].strip()):].splitlines()[1:]:
        m = _BULLET.match(line)
        if m:
            items.append(m.group(1))
        elif line.strip() and items:
            break
        elif line.strip():
            return ""
    if len(items) < 2 or sum(map(len, items)) / len(items) < _LIST_ITEM_CHARS:
        return ""
    return "\n" + "\n".join(f"• {item}" for item in items)


# ---------------------------------------------------------------- entry point

READERS = {"jsonl": read_jsonl, "parquet": read_parquet, "wet": read_wet, "warc": read_warc, "txt": read_txt}


def read_records(stream: BinaryIO, source: Source, cfg: IngestConfig) -> Iterator[tuple[str, dict]]:
    """Dispatch on ``source.format``; an unknown format is one error for the whole file."""
    reader = READERS.get(source.format)
    if reader is None:
        yield RECORD
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
