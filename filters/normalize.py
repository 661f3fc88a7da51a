"""Text normalization applied at ingest: text in, (clean text, list of what changed) out.

- Unicode NFC.
- Line breaks: CRLF, CR, U+2028/U+2029, NEL, VT and FF become LF; trailing spaces on each line are
  dropped; runs of more than one blank line collapse to one; the text is stripped.
- Control characters (C0 and C1 except TAB and LF) become a space (they stand where a separator
  was lost). Lone surrogates, noncharacters and the invisible characters ZWSP (U+200B), word joiner (U+2060), BOM/ZWNBSP (U+FEFF), soft hyphen
  (U+00AD) and bidi embedding controls are removed. ZWNJ and ZWJ (U+200C/U+200D) are kept: they
  are spelling in Persian, Indic scripts and emoji sequences.
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

from filters._native import native
from filters.counting import Count


_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\u0085\x0b\x0c]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]+")  # C0 (not TAB/LF/VT/FF/CR) and C1
_REMOVED = re.compile(
    "[\u00ad\u200b\u2060-\u2064\ufeff"           # soft hyphen, ZWSP, word joiner & invisible operators, BOM
    "\u202a-\u202e\u2066-\u2069"                # bidi embeddings and isolates
    "\ud800-\udfff"                             # lone surrogates (from JSON \\ud800 escapes)
    "\ufdd0-\ufdef\ufffe\uffff]"                # noncharacters
)
_TRAILING = " \t\u00a0\u3000"
_BLANK_RUNS = re.compile(r"\n{3,}")
# one scan that finds any character the slower substitutions below would touch
_NEEDS_WORK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b\u2060-\u2064\ufeff\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\u2028\u2029]")


def clean_text(text: str, count: Count = None) -> tuple[str, list[str]]:
    """Ingest's cleaning of a document text -> (cleaned text, notes naming each kind of change made)."""
    notes = []
    if _NEEDS_WORK.search(text):
        text, n = _LINE_BREAKS.subn("\n", text)
        if n:
            notes.append("line_breaks")
        text, n_controls = _CONTROLS.subn(" ", text)
        text, n = _REMOVED.subn("", text)
        if n or n_controls:
            notes.append("control_chars")
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
        notes.append("nfc")
    if " \n" in text or "\t\n" in text or not text.isascii():
        text = "\n".join(line.rstrip(_TRAILING) for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    text = text.strip()
    if count:
        for note in notes:
            count(f"normalized_{note}")
    return text, notes


@functools.lru_cache(maxsize=1)
def _clean_tables():
    """(qc, ccc, flags, pairs, cls): the tables of the ``clean_text`` kernel, built on first use:
    ``minhash.quick_check_table("NFC")``, ``minhash.composition_tables()`` and per code point the
    bits 1 (``_NEEDS_WORK`` matches it), 2 (in ``_TRAILING``), 4 (``str.isspace``)."""
    import numpy as np

    from filters.minhash import LOW_PLANES, composition_tables, low_planes_text, quick_check_table

    text = low_planes_text()
    cls = np.zeros(0x110000, dtype=np.uint8)
    cls[[m.start() for m in _NEEDS_WORK.finditer(text)]] |= 1
    cls[[ord(c) for c in _TRAILING]] |= 2
    cls[:LOW_PLANES] |= np.fromiter(map(str.isspace, text), dtype=bool, count=LOW_PLANES).astype(np.uint8) << 2
    cls.setflags(write=False)
    return (quick_check_table("NFC"), *composition_tables(), cls)


def _clean_text_native(text: str, count: Count = None) -> tuple[str, list[str]]:
    """:func:`clean_text` with the compiled kernel for the texts that need no substitution."""
    out = _KERNELS.clean_text(text, *_clean_tables())
    return _clean_text_py(text, count) if out is None else (out, [])


def truncate_text(text: str, max_chars: int) -> str:
    """Cut ``text`` to at most ``max_chars``, at the last line break (else space) in the final 10%."""
    if len(text) <= max_chars:
        return text
    window_start = max_chars - max(1, max_chars // 10)
    cut = text.rfind("\n", window_start, max_chars)
    if cut <= 0:
        cut = text.rfind(" ", window_start, max_chars)
    if cut <= 0:
        cut = max_chars
    return text[:cut].rstrip()


def split_text(text: str, max_chars: int) -> list[str]:
    """Split ``text`` into consecutive parts of at most ``max_chars`` each, at line breaks where possible."""
    parts = []
    while len(text) > max_chars:
        head = truncate_text(text, max_chars)
        parts.append(head)
        text = text[len(head):].lstrip()
    if text:
        parts.append(text)
    return parts


_FIELD_BAD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\u2028\u2029]+")


def clean_field(value: str, max_chars: int) -> tuple[str, list[str]]:
    """A metadata value (id, url, source, path) made safe to encode and to show.

    In: any str (lone surrogates, controls, megabytes). Out: (value, notes) where the value is valid
    UTF-8 text on one line with no control characters, stripped, at most ``max_chars`` characters
    (a longer one keeps its head and ends with ``~h`` and 16 hex digits of a hash of the whole, so
    distinct long values stay distinct); notes are ``sanitized`` and/or ``truncated``.
    """
    notes = []
    if not value.isascii() or _FIELD_BAD.search(value):
        cleaned = _FIELD_BAD.sub(" ", value).strip()
        if cleaned != value:
            notes.append("sanitized")
        value = cleaned
    if len(value) > max_chars:
        digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).hexdigest()
        value = value[: max(0, max_chars - 18)] + "~h" + digest
        notes.append("truncated")
    return value, notes


# The compiled kernel of filters/_native/normalize.pyx replaces the pure-Python reference when it is
# built (tests/filters/test_native_normalize.py checks both give the same result).
PY_KERNELS = {"clean_text": clean_text}
_clean_text_py = clean_text
_KERNELS = native("normalize")
if _KERNELS is not None:
    clean_text = _clean_text_native
