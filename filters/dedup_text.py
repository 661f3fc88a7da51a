"""Normalization and 64-bit hashes for exact document dedup and paragraph/sentence repetition.

Text in, Python ints out (unsigned 64-bit, ``0 <= h < 2**64``; use :func:`as_int64` for an
Arrow/Parquet int64 column). No Beam import.

Normalization (:func:`normalize_text`), chosen so that copies differing only in presentation
hash alike while different content does not:

1. Unicode NFKC (full-width forms, ligatures, compatibility characters fold to their plain form);
2. ``str.casefold`` (case-insensitive, also folds ß to ss);
3. format characters (``Cf``: soft hyphen, zero-width joiners, BOM, ...) are deleted;
4. punctuation (``P*``, every script, e.g. ``,.!?"`` and ``，。「」``) becomes a space when
   ``strip_punctuation`` (default on): crawls re-render quotes, dashes and ellipses differently,
   and pages that differ only in punctuation are duplicates for training purposes. Symbols
   (``S*``: ``© $ + =`` and emoji) are kept, they can carry meaning;
5. optionally every decimal digit becomes ``0`` (``digits_to_zero``; default OFF for documents,
   where numbers distinguish real pages such as results tables or dated reports, and ON for
   paragraph/sentence units, so that ``Copyright 2023`` and ``Copyright 2024`` lines count as
   the same boilerplate, as CCNet does for line dedup);
6. runs of whitespace (and the spaces left by punctuation) collapse to one space; the ends are
   stripped.

A text whose normalized form is empty has no hash (``None``): empty or punctuation-only
documents must not all collapse into one "duplicate" cluster.

Paragraph/sentence units (:func:`unit_hashes`, :func:`normalize_unit`) get the same steps with
digits mapped to 0, computed in one vectorized pass over the whole document with NFKC and
casefold applied per character (see :func:`normalize_unit` for the one, rare, difference).
Pass paragraph and sentence spans in ONE call (concatenated lists; split the returned indices)
to normalize each document once.
"""
from __future__ import annotations

import functools
import sys
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import xxhash

from filters.minhash import nfkc

Counter = Callable[..., None]


def _no_count(name: str, n: int = 1) -> None:
    return None


@dataclass(frozen=True)
class TextDedupConfig:
    """Settings for exact-dedup hashing, validated on construction.

    strip_punctuation: punctuation -> space (documents and units).
    doc_digits_to_zero / unit_digits_to_zero: map decimal digits to 0 before hashing.
    min_unit_chars: units (paragraphs, sentences) with fewer non-space characters after
      normalization are not counted (``unit_hashes`` skips them): very short lines such as
      "Home", "Menu" or "1" repeat everywhere without being boilerplate worth counting.
      12 characters is about two English words, or a short CJK clause.
    seed: xxh3 seed; change it to get an independent hash family.
    """

    strip_punctuation: bool = True
    doc_digits_to_zero: bool = False
    unit_digits_to_zero: bool = True
    min_unit_chars: int = 12
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.min_unit_chars, int) or self.min_unit_chars < 1:
            raise ValueError(f"min_unit_chars must be a positive int, got {self.min_unit_chars!r}")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 1 << 64:
            raise ValueError(f"seed must be an int in [0, 2**64), got {self.seed!r}")


DEFAULT_CONFIG = TextDedupConfig()


# classes of the normalization table
_KEEP, _PUNCT, _SPACE, _DELETE, _DIGIT = 0, 1, 2, 3, 4


@functools.lru_cache(maxsize=1)
def _char_table() -> np.ndarray:
    """Read-only uint8 class of every code point (keep, punctuation, whitespace, format
    character to delete, decimal digit), built once on first use (about 0.1 s)."""
    table = np.zeros(sys.maxunicode + 1, dtype=np.uint8)
    for cp in range(0x30000):  # planes above hold no punctuation, spaces or digits
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if ch.isspace():
            table[cp] = _SPACE
        elif cat[0] == "P":
            table[cp] = _PUNCT
        elif cat == "Cf":
            table[cp] = _DELETE
        elif cat == "Nd":
            table[cp] = _DIGIT
    table[0xE0000:0xE0080] = _DELETE  # tag characters (Cf)
    table.setflags(write=False)
    return table


@functools.lru_cache(maxsize=4)
def _translate_table(strip_punctuation: bool, digits_to_zero: bool) -> dict[int, str | None]:
    """str.translate table equivalent to the numpy path (format characters deleted, punctuation
    to space, digits to 0)."""
    table = _char_table()
    out: dict[int, str | None] = {int(cp): None for cp in np.flatnonzero(table == _DELETE)}
    if strip_punctuation:
        out.update((int(cp), " ") for cp in np.flatnonzero(table == _PUNCT))
    if digits_to_zero:
        out.update((int(cp), "0") for cp in np.flatnonzero(table == _DIGIT))
    return out


_SHORT = 400  # below this many characters the pure-Python path is faster than numpy's call overhead


def normalize_text(text: str, *, strip_punctuation: bool = True, digits_to_zero: bool = False) -> str:
    """Normalized form of ``text`` for exact hashing (see module docstring for the steps)."""
    if len(text) < _SHORT:
        s = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
        return " ".join(s.translate(_translate_table(strip_punctuation, digits_to_zero)).split())
    if text.isascii():
        s = text.lower()
    else:
        s = nfkc(text).casefold()
    cps = np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(cps):
        return ""
    cls = _char_table()[cps]
    delete = cls == _DELETE
    if delete.any():
        keep = ~delete
        cps, cls = cps[keep], cls[keep]
    space = cls == _SPACE
    if strip_punctuation:
        space |= cls == _PUNCT
    # collapse runs of spaces: drop a space that follows a space (and leading spaces)
    prev_space = np.empty_like(space)
    prev_space[:1] = True
    prev_space[1:] = space[:-1]
    keep = ~(space & prev_space)
    out = np.where(space, np.uint32(32), cps)
    if digits_to_zero:
        out = np.where(cls == _DIGIT, np.uint32(48), out)
    out = out[keep]
    if len(out) and out[-1] == 32:
        out = out[:-1]
    return out.tobytes().decode("utf-32-le", "surrogatepass")


def hash64(normalized: str, seed: int = 0) -> int:
    """xxh3_64 of the UTF-8 bytes of an already normalized string (unsigned int)."""
    return xxhash.xxh3_64_intdigest(normalized.encode("utf-8", "surrogatepass"), seed)


def as_int64(h: int) -> int:
    """Reinterpret an unsigned 64-bit hash as signed int64 (two's complement), for Arrow."""
    return h - (1 << 64) if h >= 1 << 63 else h


def doc_hash(text: str, config: TextDedupConfig = DEFAULT_CONFIG) -> int | None:
    """64-bit hash of the normalized document, or None when nothing is left after normalizing."""
    norm = normalize_text(text, strip_punctuation=config.strip_punctuation,
                          digits_to_zero=config.doc_digits_to_zero)
    return hash64(norm, config.seed) if norm else None


def _span_bounds(span: Any) -> tuple[int, int]:
    if isinstance(span, dict):
        return int(span["start"]), int(span["end"])
    return int(span[0]), int(span[1])


@functools.lru_cache(maxsize=4)
def _unit_tables(strip_punctuation: bool, digits_to_zero: bool):
    """(single, length, offset, flat): per code point, its unit normalization taken alone
    (NFKC, casefold, then format characters deleted, whitespace and punctuation to U+0020,
    digits to 0), as in ``minhash._nfkc_tables``. Built once per flag pair (about 0.5 s)."""
    cls = _char_table()
    size = sys.maxunicode + 1
    single = np.arange(size, dtype=np.uint32)
    length = np.ones(size, dtype=np.uint8)
    offset = np.zeros(size, dtype=np.int64)
    flat: list[int] = []
    for cp in range(0x30000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        c = cls[cp]
        if c == _KEEP and ch.isascii() and not ch.isupper():
            continue
        mapped = []
        for m in unicodedata.normalize("NFKC", ch).casefold():
            mc = cls[ord(m)]
            if mc == _DELETE:
                continue
            if mc == _SPACE or (mc == _PUNCT and strip_punctuation):
                mapped.append(32)
            elif mc == _DIGIT and digits_to_zero:
                mapped.append(48)
            else:
                mapped.append(ord(m))
        if len(mapped) == 1:
            single[cp] = mapped[0]
        else:
            length[cp] = len(mapped)
            offset[cp] = len(flat)
            flat.extend(mapped)
    length[0xE0000:0xE0080] = 0  # tag characters (Cf)
    tables = (single, length, offset, np.array(flat, dtype=np.uint32))
    for t in tables:
        t.setflags(write=False)
    return tables


def _normalized_units(text: str, bounds: Sequence[tuple[int, int]], strip_punctuation: bool,
                      digits_to_zero: bool) -> list[str]:
    """Normalized text of each span, from ONE vectorized pass over the document."""
    single, length, offset, flat = _unit_tables(strip_punctuation, digits_to_zero)
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lens = length[cps]
    out = single[cps]
    if (lens == 1).all():
        out_start = np.arange(len(cps) + 1)
    else:
        out_start = np.concatenate(([0], np.cumsum(lens, dtype=np.int64)))
        rep = np.repeat(np.arange(len(cps)), lens)
        within = np.arange(len(rep)) - out_start[:-1][rep]
        out = out[rep]
        sel = (lens > 1)[rep]
        out[sel] = flat[offset[cps[rep[sel]]] + within[sel]]
    space = out == 32
    prev_space = np.empty_like(space)
    prev_space[:1] = True
    prev_space[1:] = space[:-1]
    keep = ~(space & prev_space)  # one space per run; leading/trailing ones are stripped below
    kept_before = np.concatenate(([0], np.cumsum(keep)))
    collapsed = out[keep].tobytes().decode("utf-32-le", "surrogatepass")
    edges = np.array(bounds, dtype=np.int64).reshape(-1)
    pos = kept_before[out_start[edges]].tolist()
    return [collapsed[pos[2 * i]:pos[2 * i + 1]].strip(" ") for i in range(len(bounds))]


def normalize_unit(text: str, config: TextDedupConfig = DEFAULT_CONFIG) -> str:
    """Normalized form of one paragraph/sentence, as :func:`unit_hashes` hashes it.

    The steps of :func:`normalize_text` with ``config.unit_digits_to_zero``, except that NFKC and
    casefold are applied character by character (so that a whole document is normalized in one
    vectorized pass and each span is cut from it): the result differs from ``normalize_text``
    only where a compatibility character is followed by a combining mark that full NFKC would
    compose with it. Hashes stay consistent across documents, which is what counting needs.
    """
    return _normalized_units(text, [(0, len(text))], config.strip_punctuation, config.unit_digits_to_zero)[0]


def unit_hashes_indexed(text: str, spans: Iterable[Any], config: TextDedupConfig = DEFAULT_CONFIG,
                        count: Counter = _no_count) -> list[tuple[int, int]]:
    """``(span index, hash)`` for each unit long enough to count, in span order.

    spans: ``(start, end)`` tuples or dicts with ``start``/``end`` (code point offsets, end
    exclusive). Each unit is normalized as :func:`normalize_unit` and skipped when it has fewer
    than ``config.min_unit_chars`` non-space characters. Counters: units_total, units_short
    (skipped), units_hashed.
    """
    bounds = []
    for span in spans:
        start, end = _span_bounds(span)
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"span {span!r} out of range for text of length {len(text)}")
        bounds.append((start, end))
    out: list[tuple[int, int]] = []
    n_short = 0
    if bounds:
        units = _normalized_units(text, bounds, config.strip_punctuation, config.unit_digits_to_zero)
        for i, norm in enumerate(units):
            if len(norm) - norm.count(" ") < config.min_unit_chars:
                n_short += 1
                continue
            out.append((i, hash64(norm, config.seed)))
    count("units_total", len(bounds))
    if n_short:
        count("units_short", n_short)
    count("units_hashed", len(out))
    return out


def unit_hashes(text: str, spans: Sequence[Any], config: TextDedupConfig = DEFAULT_CONFIG,
                count: Counter = _no_count) -> list[int]:
    """64-bit hashes of the paragraphs/sentences at ``spans`` that are long enough to count
    (``config.min_unit_chars``); short units are skipped, so the list may be shorter than
    ``spans`` (use :func:`unit_hashes_indexed` to keep the span index)."""
    return [h for _, h in unit_hashes_indexed(text, spans, config, count)]
