"""Normalization and 64-bit hashes for exact document dedup and paragraph/sentence repetition.

Text in, Python ints out (unsigned 64-bit, ``0 <= h < 2**64``; use :func:`as_int64` for an
Arrow/Parquet int64 column). No Beam import.

Normalization (:func:`comparison_form`), chosen so that copies differing only in presentation
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

For many documents, :func:`text_hashes` computes the same document and unit hashes for a whole
batch in a few numpy passes, and :func:`dedup_features` adds the MinHash signatures and the
paragraph/sentence spans, NFKC+casefolding each text once for both the signature and the
document hash (what the dedup job extracts per row group).
"""
from __future__ import annotations

import functools
import itertools
import sys
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np
import xxhash

from filters.minhash import (CATEGORY_NAMES, LOW_PLANES, MinHasher, _mapping_tables, category_mask, nfkc,
                             normalize, per_char_mapping, space_code_points, unicode_categories)
from filters._native import native
from filters.segment import paragraph_spans, sentence_spans
from filters.counting import Count, no_count




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
    character to delete, decimal digit), built once on first use (a few ms, vectorized over
    ``minhash.unicode_categories``)."""
    cat = unicode_categories()  # planes above 2 hold no punctuation, spaces or digits
    low = np.where(category_mask(lambda c: c[0] == "P")[cat], np.uint8(_PUNCT), np.uint8(_KEEP))
    low[cat == CATEGORY_NAMES.index("Cf")] = _DELETE
    low[cat == CATEGORY_NAMES.index("Nd")] = _DIGIT
    low[space_code_points()] = _SPACE
    table = np.zeros(sys.maxunicode + 1, dtype=np.uint8)
    table[:LOW_PLANES] = low
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


def comparison_form(text: str, *, strip_punctuation: bool = True, digits_to_zero: bool = False) -> str:
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
    norm = comparison_form(text, strip_punctuation=config.strip_punctuation,
                          digits_to_zero=config.doc_digits_to_zero)
    return hash64(norm, config.seed) if norm else None


def _span_bounds(span: Any) -> tuple[int, int]:
    if isinstance(span, dict):
        return int(span["start"]), int(span["end"])
    return int(span[0]), int(span[1])


def _span_edges(spans: Iterable[Any], n_chars: int) -> np.ndarray:
    """Flat int64 array (start0, end0, start1, end1, ...) of ``spans`` (tuples or dicts with
    start / end), checked to lie in ``0 <= start <= end <= n_chars``."""
    spans = spans if isinstance(spans, (list, tuple)) else list(spans)
    edges = None
    if spans and isinstance(spans[0], tuple) and len(spans[0]) == 2:
        try:  # fast path: a list of (start, end) pairs
            edges = np.array(spans, dtype=np.int64)
        except (TypeError, ValueError):
            edges = None
        if edges is not None and edges.shape != (len(spans), 2):
            edges = None
    if edges is None:
        edges = np.array([_span_bounds(s) for s in spans], dtype=np.int64).reshape(-1, 2)
    bad = (edges[:, 0] < 0) | (edges[:, 0] > edges[:, 1]) | (edges[:, 1] > n_chars)
    if bad.any():
        span = spans[int(np.flatnonzero(bad)[0])]
        raise ValueError(f"span {span!r} out of range for text of length {n_chars}")
    return edges.reshape(-1)


@functools.lru_cache(maxsize=4)
def _unit_tables(strip_punctuation: bool, digits_to_zero: bool):
    """(single, length, offset, flat): per code point, its unit normalization taken alone
    (NFKC, casefold, then format characters deleted, whitespace and punctuation to U+0020,
    digits to 0), as in ``minhash._nfkc_tables``. Built once per flag pair with one NFKC and one
    casefold call over all code points (``minhash.per_char_mapping``)."""
    cls = _char_table()
    cps, out, first, lens = per_char_mapping(lambda t: unicodedata.normalize("NFKC", t).casefold(), LOW_PLANES)
    # map every character of the mappings by its class; NUL separators are class keep
    c = cls[out]
    mapped = out.copy()
    mapped[c == _SPACE] = 32
    if strip_punctuation:
        mapped[c == _PUNCT] = 32
    if digits_to_zero:
        mapped[c == _DIGIT] = 48
    dropped = c == _DELETE
    if dropped.any():  # delete format characters: shorten the mappings that held them
        keep = ~dropped
        before = np.concatenate(([0], np.cumsum(keep)))
        lens = before[first + lens] - before[first]
        first = before[first]
        mapped = mapped[keep]
    single, length, offset, flat = _mapping_tables(cps, mapped, first, lens, sys.maxunicode + 1)
    length[0xE0000:0xE0080] = 0  # tag characters (Cf)
    tables = (single, length, offset, np.array(flat, dtype=np.uint32))
    for t in tables:
        t.setflags(write=False)
    return tables


_MULTI = np.uint32(0xFFFFFFFF)  # marks, in ``_unit_single``, a code point whose mapping is not one character
_UTF8_LEN = np.array([1] + [2] * 15 + [3] * 496 + [4] * (0x2200 - 512), dtype=np.int64)  # by code point >> 7


@functools.lru_cache(maxsize=4)
def _unit_single(strip_punctuation: bool, digits_to_zero: bool) -> np.ndarray:
    """``single`` of ``_unit_tables`` with ``_MULTI`` where the mapping has another length than
    one: one gather maps a text, and its max tells whether the general path is needed."""
    single, length, _, _ = _unit_tables(strip_punctuation, digits_to_zero)
    out = np.where(length == 1, single, _MULTI)
    out.setflags(write=False)
    return out


def _collapsed_units(text: str, strip_punctuation: bool, digits_to_zero: bool):
    """(collapsed, start): the whole document normalized for units in ONE vectorized pass
    (per-character unit mapping, then runs of spaces collapsed to one) as a uint32 code point
    array, and ``start[k]``, the position in ``collapsed`` of the mapping of code point k
    (``start[len(text)] == len(collapsed)``)."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _collapsed_units_cps(cps, strip_punctuation, digits_to_zero)


def _collapsed_units_cps(cps: np.ndarray, strip_punctuation: bool, digits_to_zero: bool):
    """:func:`_collapsed_units` of the text whose code points are ``cps``."""
    out = _unit_single(strip_punctuation, digits_to_zero).take(cps)
    if not len(out) or out.max() != _MULTI:
        out_start = None
    else:
        single, length, offset, flat = _unit_tables(strip_punctuation, digits_to_zero)
        lens = length.take(cps)
        out = single.take(cps)
        out_start = np.concatenate(([0], np.cumsum(lens, dtype=np.int64)))
        rep = np.repeat(np.arange(len(cps)), lens)
        within = np.arange(len(rep)) - out_start[:-1][rep]
        out = out[rep]
        sel = (lens > 1)[rep]
        out[sel] = flat[offset[cps[rep[sel]]] + within[sel]]
    space = out == 32
    drop = np.empty_like(space)  # a space that follows a space (or starts the text)
    drop[:1] = space[:1]
    np.logical_and(space[1:], space[:-1], out=drop[1:])
    if not drop.any():  # nothing to collapse
        start = np.arange(len(out) + 1) if out_start is None else out_start
        return out, start
    kept_before = np.zeros(len(out) + 1, dtype=np.int64)
    np.cumsum(~drop, out=kept_before[1:])
    start = kept_before if out_start is None else kept_before[out_start]
    return out[~drop], start


def _unit_bounds(collapsed: np.ndarray, start: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of each span (``edges`` = flat start, end pairs in text offsets) in
    ``collapsed``, with the (at most one) space at each end stripped; empty spans get lo == hi."""
    pos = start[edges]
    lo, hi = pos[0::2], pos[1::2]
    n = len(collapsed)
    if n:
        lo = lo + ((lo < hi) & (collapsed[np.minimum(lo, n - 1)] == 32))
        hi = hi - ((lo < hi) & (collapsed[np.maximum(hi - 1, 0)] == 32))
    return lo, hi


def _normalized_units(text: str, bounds: Sequence[tuple[int, int]], strip_punctuation: bool,
                      digits_to_zero: bool) -> list[str]:
    """Normalized text of each span, from ONE vectorized pass over the document."""
    collapsed, start = _collapsed_units(text, strip_punctuation, digits_to_zero)
    lo, hi = _unit_bounds(collapsed, start, np.array(bounds, dtype=np.int64).reshape(-1))
    s = collapsed.tobytes().decode("utf-32-le", "surrogatepass")
    return [s[a:b] for a, b in zip(lo.tolist(), hi.tolist())]


def normalize_unit(text: str, config: TextDedupConfig = DEFAULT_CONFIG) -> str:
    """Normalized form of one paragraph/sentence, as :func:`unit_hashes` hashes it.

    The steps of :func:`comparison_form` with ``config.unit_digits_to_zero``, except that NFKC and
    casefold are applied character by character (so that a whole document is normalized in one
    vectorized pass and each span is cut from it): the result differs from ``comparison_form``
    only where a compatibility character is followed by a combining mark that full NFKC would
    compose with it. Hashes stay consistent across documents, which is what counting needs.
    """
    return _normalized_units(text, [(0, len(text))], config.strip_punctuation, config.unit_digits_to_zero)[0]


def unit_hashes_indexed(text: str, spans: Iterable[Any], config: TextDedupConfig = DEFAULT_CONFIG,
                        count: Count = no_count) -> list[tuple[int, int]]:
    """``(span index, hash)`` for each unit long enough to count, in span order.

    spans: ``(start, end)`` tuples or dicts with ``start``/``end`` (code point offsets, end
    exclusive). Each unit is normalized as :func:`normalize_unit` and skipped when it has fewer
    than ``config.min_unit_chars`` non-space characters. Counters: units_total, units_short
    (skipped), units_hashed.
    """
    edges = _span_edges(spans, len(text))
    n_spans = len(edges) // 2
    out: list[tuple[int, int]] = []
    n_short = 0
    if n_spans:
        collapsed, start = _collapsed_units(text, config.strip_punctuation, config.unit_digits_to_zero)
        lo, hi = _unit_bounds(collapsed, start, edges)
        # non-space characters per unit, from prefix counts of spaces
        spaces = np.zeros(len(collapsed) + 1, dtype=np.int64)
        np.cumsum(collapsed == 32, out=spaces[1:])
        long_enough = (hi - lo) - (spaces[hi] - spaces[lo]) >= config.min_unit_chars
        idx = np.flatnonzero(long_enough)
        n_short = n_spans - len(idx)
        if len(idx):
            # UTF-8 bytes of the collapsed text (as hash64 encodes each unit), cut by byte offsets
            nbytes = np.zeros(len(collapsed) + 1, dtype=np.int64)
            np.cumsum(_UTF8_LEN.take(collapsed >> 7), out=nbytes[1:])
            raw = collapsed.tobytes().decode("utf-32-le", "surrogatepass").encode("utf-8", "surrogatepass")
            view = memoryview(raw)
            seed = config.seed
            digest = xxhash.xxh3_64_intdigest
            out = [(i, digest(view[a:b], seed))
                   for i, a, b in zip(idx.tolist(), nbytes[lo[idx]].tolist(), nbytes[hi[idx]].tolist())]
    count("units_total", n_spans)
    if n_short:
        count("units_short", n_short)
    count("units_hashed", len(out))
    return out


def unit_hashes(text: str, spans: Sequence[Any], config: TextDedupConfig = DEFAULT_CONFIG,
                count: Count = no_count) -> list[int]:
    """64-bit hashes of the paragraphs/sentences at ``spans`` that are long enough to count
    (``config.min_unit_chars``); short units are skipped, so the list may be shorter than
    ``spans`` (use :func:`unit_hashes_indexed` to keep the span index)."""
    return [h for _, h in unit_hashes_indexed(text, spans, config, count)]


# --- batched: document and unit hashes of many documents in a few vectorized passes ---------

_BATCH_CHARS = 1 << 18  # characters per vectorized pass (transient memory ~30 bytes per character)


def _chunks(lengths: Sequence[int], max_chars: int) -> Iterable[tuple[int, int]]:
    """(lo, hi) index ranges of consecutive texts holding at most ``max_chars`` characters
    (at least one text each)."""
    lo, n = 0, len(lengths)
    while lo < n:
        hi, chars = lo, 0
        while hi < n and (hi == lo or chars + lengths[hi] <= max_chars):
            chars += lengths[hi] + 1
            hi += 1
        yield lo, hi
        lo = hi


def _joined(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(code points of the texts joined by "\\n", start offset of each text, int64)."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    cps = np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return cps, starts


@functools.lru_cache(maxsize=4)
def _doc_single(strip_punctuation: bool, digits_to_zero: bool) -> np.ndarray:
    """uint32 table: per code point of an already NFKC+casefolded text, what
    :func:`comparison_form` makes of it before collapsing spaces (space/punctuation -> U+0020,
    digit -> '0', format character -> ``_MULTI`` meaning deleted, else itself)."""
    cls = _char_table()
    out = np.arange(len(cls), dtype=np.uint32)
    space = cls == _SPACE
    if strip_punctuation:
        space |= cls == _PUNCT
    out[space] = 32
    if digits_to_zero:
        out[cls == _DIGIT] = 48
    out[cls == _DELETE] = _MULTI
    out.setflags(write=False)
    return out


def _doc_hashes_chunk(norms: Sequence[str], strip_punctuation: bool, digits_to_zero: bool,
                      seed: int) -> list[int | None]:
    """:func:`doc_hash` of each text given its ``minhash.normalize`` form, in one pass."""
    cps, starts = _joined(norms)
    out = _doc_single(strip_punctuation, digits_to_zero).take(cps)
    ends = starts + np.fromiter(map(len, norms), dtype=np.int64, count=len(norms))
    if len(out) and out.max() == _MULTI:  # delete format characters first, as comparison_form does
        keep = out != _MULTI
        before = np.zeros(len(out) + 1, dtype=np.int64)
        np.cumsum(keep, out=before[1:])
        starts, ends, out = before[starts], before[ends], out[keep]
    space = out == 32
    drop = space[1:] & space[:-1]  # drop[k]: out[k + 1] is a space after a space
    dropped = np.flatnonzero(drop) + 1
    if len(dropped):
        starts = starts - np.searchsorted(dropped, starts)
        ends = ends - np.searchsorted(dropped, ends)
        keep = np.ones(len(out), dtype=bool)
        keep[dropped] = False
        out = out[keep]
    s = out.tobytes().decode("utf-32-le", "surrogatepass")
    digest = xxhash.xxh3_64_intdigest
    hashes: list[int | None] = []
    for a, b in zip(starts.tolist(), ends.tolist()):
        norm = s[a:b].strip(" ")
        hashes.append(digest(norm.encode("utf-8", "surrogatepass"), seed) if norm else None)
    return hashes


_UTF8_LEN8 = _UTF8_LEN.astype(np.uint8)


def _collapsed_positions(cps: np.ndarray, strip_punctuation: bool, digits_to_zero: bool,
                         edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(collapsed, pos): as :func:`_collapsed_units_cps`, but the text offsets ``edges`` are
    mapped to ``pos = start[edges]`` without building ``start`` for every code point (deleted
    characters and dropped spaces are located with ``flatnonzero`` and counted with
    ``searchsorted``)."""
    out = _unit_single(strip_punctuation, digits_to_zero).take(cps)
    pos = edges
    if len(out) and out.max() == _MULTI:  # mappings of another length than one: "…" -> "...", ZWNJ -> ""
        _, length, offset, flat = _unit_tables(strip_punctuation, digits_to_zero)
        multi = np.flatnonzero(out == _MULTI)
        mcp = cps.take(multi)
        lens = length.take(mcp).astype(np.int64)
        counts = np.ones(len(out), dtype=np.intp)
        counts[multi] = lens
        out = np.repeat(out, counts)
        shift = np.zeros(len(multi) + 1, dtype=np.int64)  # shift[i]: length change before multi[i]
        np.cumsum(lens - 1, out=shift[1:])
        pos = edges + shift[np.searchsorted(multi, edges)]
        filled = lens > 0
        if filled.any():  # write each expansion over the placeholders np.repeat made
            lens, first = lens[filled], (multi + shift[:-1])[filled]
            src = offset.take(mcp[filled])
            within = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
            out[np.repeat(first, lens) + within] = flat[np.repeat(src, lens) + within]
    if not len(out):
        return out, pos
    space = out == 32
    drop = np.empty_like(space)  # a space that follows a space (or starts the text)
    drop[:1] = space[:1]
    np.logical_and(space[1:], space[:-1], out=drop[1:])
    dropped = np.flatnonzero(drop)
    if len(dropped):
        pos = pos - np.searchsorted(dropped, pos)
        drop ^= True
        out = out[drop]
    return out, pos


def _span_array(pairs: list, total: int) -> np.ndarray:
    """(total, 2) int64 array of spans given as (start, end) pairs or dicts."""
    if pairs and set(map(len, pairs)) == {2} and not isinstance(pairs[0], dict):
        try:  # fast path: (start, end) pairs
            return np.fromiter(itertools.chain.from_iterable(pairs), dtype=np.int64, count=2 * total).reshape(-1, 2)
        except (TypeError, ValueError):
            pass
    return np.array([_span_bounds(p) for p in pairs], dtype=np.int64).reshape(-1, 2)


class _ChunkUnits(NamedTuple):
    """Units and site lines of a chunk of texts as flat arrays (``_units_chunk_arrays``)."""
    edges: np.ndarray        # (spans, 2) int64 unit spans in text offsets, text by text
    doc: np.ndarray          # (spans,) int64 text index of each span
    idx: np.ndarray          # indices into ``edges`` of the units long enough to count
    hashes: list[int]        # their hashes
    line_doc: np.ndarray | None      # site lines (None without site_seeds): text index,
    line_edges: np.ndarray | None    # (lines, 2) int64 bounds in text offsets,
    line_hashes: list[int] | None    # hash


def _units_chunk_arrays(texts: Sequence[str], spans: Sequence[Sequence[Any]], config: TextDedupConfig,
                        seeds: Sequence[int] | None = None, site_seeds: Sequence[int | None] | None = None,
                        site_min_chars: int = 1) -> _ChunkUnits:
    """The unit hashes of ``spans`` (per text) and, with ``site_seeds`` (per text the seed of its site
    lines, ``_site_seed`` of its host; None: none), the site-line hashes (as ``site_line_hashes``
    with ``site_min_chars``) in one normalizing pass; ``seeds``: a unit hash seed per text instead
    of ``config.seed``."""
    n_spans = [len(s) for s in spans]
    total = sum(n_spans)
    pairs = [p for sp in spans for p in sp]
    edges = _span_array(pairs, total)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), n_spans)
    empty = np.zeros(0, dtype=np.int64)
    if not total and site_seeds is None:
        return _ChunkUnits(edges, doc, empty, [], None, None, None)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    bad = (edges[:, 0] < 0) | (edges[:, 0] > edges[:, 1]) | (edges[:, 1] > lengths[doc])
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"span {pairs[k]!r} out of range for text of length {int(lengths[doc[k]])}")
    cps, starts = _joined(texts)
    groups = [(edges + starts[doc][:, None], doc, config.min_unit_chars, seeds)]
    if site_seeds is not None:
        line_edges, line_doc = _line_edges(cps, starts, np.array([x is not None for x in site_seeds], dtype=bool))
        groups.append((line_edges, line_doc, site_min_chars, [x or 0 for x in site_seeds]))
    hashed = _hash_unit_groups(cps, groups, config)
    idx, hashes = hashed[0]
    if site_seeds is None:
        return _ChunkUnits(edges, doc, idx, hashes, None, None, None)
    kept, line_hashes = hashed[1]
    line_doc = line_doc[kept]
    return _ChunkUnits(edges, doc, idx, hashes, line_doc, line_edges[kept] - starts[line_doc][:, None], line_hashes)


def _units_chunk(texts: Sequence[str], spans: Sequence[Sequence[Any]], config: TextDedupConfig,
                 seeds: Sequence[int] | None = None, site_seeds: Sequence[int | None] | None = None,
                 site_min_chars: int = 1):
    """``_units_chunk_arrays`` per text: (its ``unit_hashes_indexed`` list, spans total, short spans,
    its site lines ``[(hash, start, end)]``, or None without ``site_seeds``)."""
    c = _units_chunk_arrays(texts, spans, config, seeds, site_seeds, site_min_chars)
    result: list[list[tuple[int, int]]] = [[] for _ in texts]
    if len(c.idx):
        unit_doc = c.doc[c.idx]
        first_span = np.zeros(len(texts), dtype=np.int64)
        np.cumsum([len(sp) for sp in spans[:-1]], out=first_span[1:])
        _split_by_doc(list(zip((c.idx - first_span[unit_doc]).tolist(), c.hashes)), unit_doc, result)
    lines = None
    if c.line_doc is not None:
        lines = [[] for _ in texts]
        if len(c.line_doc):
            _split_by_doc(list(zip(c.line_hashes, c.line_edges[:, 0].tolist(), c.line_edges[:, 1].tolist())),
                          c.line_doc, lines)
    return result, len(c.doc), len(c.doc) - len(c.idx), lines


def _split_by_doc(items: list, doc: np.ndarray, out: list[list]) -> None:
    """Put ``items`` (sorted by ``doc``, their text index) into ``out``: ``out[k]`` gets text k's run."""
    ends = np.cumsum(np.bincount(doc, minlength=len(out))).tolist()
    a = 0
    for k, b in enumerate(ends):
        if b > a:
            out[k] = items[a:b]
        a = b


def _line_edges(cps: np.ndarray, starts: np.ndarray, with_lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(edges, doc): the :func:`line_spans` of every text ``k`` with ``with_lines[k]`` of the texts
    joined by "\\n" (``cps``, text ``k`` at ``starts[k]``), as (m, 2) offsets into ``cps`` and the
    text index of each line, in text then line order."""
    nl = np.flatnonzero(cps == 10)
    lo = np.concatenate(([0], nl + 1))
    hi = np.concatenate((nl, [len(cps)]))
    # a line is kept when it holds a character that is not str.isspace (the _SPACE class)
    solid = np.zeros(len(cps) + 1, dtype=np.int64)
    np.cumsum(_char_table().take(cps) != _SPACE, out=solid[1:])
    doc = np.searchsorted(starts, lo, side="right") - 1
    keep = (solid[hi] > solid[lo]) & with_lines[doc]
    return np.stack((lo[keep], hi[keep]), axis=1), doc[keep]


def _utf8_with_offsets(collapsed: np.ndarray, s: str) -> tuple[bytes, np.ndarray]:
    """(UTF-8 bytes of ``s``, whose code points are ``collapsed``, surrogates passed; int64 byte
    offset of each code point, the total last)."""
    nbytes = np.zeros(len(collapsed) + 1, dtype=np.int64)
    np.cumsum(_UTF8_LEN8.take(collapsed >> 7), out=nbytes[1:])
    return s.encode("utf-8", "surrogatepass"), nbytes


def _collapsed_utf8(cps: np.ndarray, strip_punctuation: bool, digits_to_zero: bool,
                    edges: np.ndarray) -> tuple[bytes, np.ndarray, np.ndarray]:
    """(UTF-8 bytes of the collapsed text of :func:`_collapsed_positions`, its ``pos``, and the
    byte offset of each ``pos``)."""
    collapsed, pos = _collapsed_positions(cps, strip_punctuation, digits_to_zero, edges)
    raw, nbytes = _utf8_with_offsets(collapsed, collapsed.tobytes().decode("utf-32-le", "surrogatepass"))
    return raw, pos, nbytes[pos]


def _hash_unit_groups(cps: np.ndarray, groups, config: TextDedupConfig) -> list[tuple[np.ndarray, list[int]]]:
    """Unit hashes of several span groups of the same joined texts (``cps``), normalized for units
    once: ``groups`` holds ``(edges, doc, min_chars, seeds)`` with (m, 2) span offsets into
    ``cps``, the text index of each span, the least non-space characters a unit needs and a seed
    per text (None: ``config.seed``). Per group: (indices of its spans long enough, their hashes)."""
    sizes = [len(g[0]) for g in groups]
    if not sum(sizes):
        return [(np.zeros(0, dtype=np.int64), []) for _ in groups]
    # the joined texts normalized for units (the "\n" separators become spaces that no span
    # holds) as UTF-8, and each span's bounds in code points and in bytes (a space is one byte)
    raw, pos, bpos = _collapsed_utf8(cps, config.strip_punctuation, config.unit_digits_to_zero,
                                     np.concatenate([g[0] for g in groups]).reshape(-1))
    lo, hi, blo, bhi = pos[0::2], pos[1::2], bpos[0::2], bpos[1::2]
    b = np.frombuffer(raw, dtype=np.uint8)
    if len(b):  # strip the (at most one) space at each end
        strip = (lo < hi) & (b[np.minimum(blo, len(b) - 1)] == 32)
        lo, blo = lo + strip, blo + strip
        strip = (lo < hi) & (b[np.maximum(bhi - 1, 0)] == 32)
        hi, bhi = hi - strip, bhi - strip
    view = memoryview(raw)
    out, first = [], 0
    digest = xxhash.xxh3_64_intdigest
    for (_, doc, m, seeds), size in zip(groups, sizes):
        g_lo, g_hi = lo[first:first + size], hi[first:first + size]
        g_blo, g_bhi = blo[first:first + size], bhi[first:first + size]
        first += size
        # non-space characters: a unit of L characters holds at most (L - 1) // 2 spaces (no two in
        # a row, none at the ends), so only 2m-1 > L >= m needs counting (m = min_chars)
        length = g_hi - g_lo
        unsure = np.flatnonzero((length >= m) & (length < 2 * m - 1))
        long_enough = length >= 2 * m - 1
        if len(unsure):
            long_enough[unsure] = [n - raw.count(b" ", a, z) >= m for n, a, z in
                                   zip(length[unsure].tolist(), g_blo[unsure].tolist(), g_bhi[unsure].tolist())]
        idx = np.flatnonzero(long_enough)
        hashes: list[int] = []
        if len(idx):
            a_b = zip(g_blo[idx].tolist(), g_bhi[idx].tolist())
            if seeds is None:
                seed = config.seed
                hashes = [digest(view[a:b], seed) for a, b in a_b]
            else:
                hashes = [digest(view[a:b], seeds[k]) for (a, b), k in zip(a_b, doc[idx].tolist())]
        out.append((idx, hashes))
    return out


def text_hashes(texts: Sequence[str], spans: Sequence[Sequence[Any]] | None = None,
                config: TextDedupConfig = DEFAULT_CONFIG, *, normalized: Sequence[str] | None = None,
                count: Count = no_count, max_chars: int = _BATCH_CHARS
                ) -> list[tuple[int | None, list[tuple[int, int]]]]:
    """Per text, ``(doc_hash(text, config), unit_hashes_indexed(text, spans[i], config))``,
    bit-identical to those two functions, computed for many documents at once (a few numpy
    passes per ``max_chars`` characters instead of per document).

    spans: per text, its unit spans (tuples or dicts, as :func:`unit_hashes_indexed`); None: no
    units. normalized: optional ``[minhash.normalize(t) for t in texts]`` (NFKC + casefold),
    when the caller already has it for :meth:`MinHasher.signatures`; the document hash is
    computed from it. Counters (summed): units_total, units_short, units_hashed.
    """
    return _text_hashes(texts, spans, config, normalized, count, max_chars)[0]


def _text_hashes(texts, spans, config, normalized, count, max_chars, hosts=None):
    """:func:`text_hashes` and, with ``hosts`` (and spans), per text its ``site_line_hashes``
    (None without), from the same normalizing pass as the units."""
    if spans is not None and len(spans) != len(texts):
        raise ValueError(f"{len(spans)} span lists for {len(texts)} texts")
    if normalized is None:
        normalized = [normalize(t) for t in texts]
    elif len(normalized) != len(texts):
        raise ValueError(f"{len(normalized)} normalized texts for {len(texts)} texts")
    doc_hashes: list[int | None] = []
    for lo, hi in _chunks([len(t) for t in normalized], max_chars):
        doc_hashes.extend(_doc_hashes_chunk(normalized[lo:hi], config.strip_punctuation,
                                            config.doc_digits_to_zero, config.seed))
    if spans is None:
        return [(h, []) for h in doc_hashes], None
    if hosts is not None and len(hosts) != len(texts):
        raise ValueError(f"{len(hosts)} hosts for {len(texts)} texts")
    site_seeds = None if hosts is None else [_site_seed(h) if h else None for h in hosts]
    units: list[list[tuple[int, int]]] = []
    lines: list[list[tuple[int, int, int]]] | None = None if hosts is None else []
    n_total = n_short = 0
    for lo, hi in _chunks([len(t) for t in texts], max_chars):
        res, total, short, site = _units_chunk(texts[lo:hi], spans[lo:hi], config,
                                               site_seeds=None if site_seeds is None else site_seeds[lo:hi])
        units.extend(res)
        if lines is not None:
            lines.extend(site)
        n_total += total
        n_short += short
    count("units_total", n_total)
    if n_short:
        count("units_short", n_short)
    count("units_hashed", n_total - n_short)
    return list(zip(doc_hashes, units)), lines


class DocFeatures(NamedTuple):
    """Exact-dedup features of one document (see :func:`dedup_features`).

    doc_hash: :func:`doc_hash` of the text (None: nothing left after normalizing).
    spans: the repetition units, paragraphs first (``n_paragraphs`` of them), then the sentences
      that are not a whole paragraph (a sentence that is its whole paragraph is counted once, as
      the paragraph); empty when repetition is off.
    units: ``(index into spans, unit hash)`` of the units long enough to count
      (:func:`unit_hashes_indexed` of ``spans``).
    site_lines: ``site_line_hashes(text, host)`` when ``dedup_features`` was given hosts (else []).
    """

    doc_hash: int | None
    spans: list[tuple[int, int]]
    n_paragraphs: int
    units: list[tuple[int, int]]
    site_lines: list[tuple[int, int, int]] = []


class FlatFeatures(NamedTuple):
    """:func:`dedup_features` of a batch as flat arrays, text by text (``flat=True``; no per-document
    lists): what ``DocFeatures`` hold, with ``spans`` of all texts concatenated.

    doc_hashes: per text, its ``DocFeatures.doc_hash``. n_paragraphs: (n,) int64.
    spans, span_doc: (S, 2) int64 every text's ``DocFeatures.spans`` and (S,) the text of each.
    unit_span, unit_hash: (U,) int64 index into ``spans`` and (U,) uint64 hash of each unit long
      enough to count (``DocFeatures.units``, the span index made global).
    line_doc, line_edges, line_hash: the site lines (``DocFeatures.site_lines``): (L,) text,
      (L, 2) int64 start and end, (L,) uint64 hash; empty without hosts.
    """

    doc_hashes: list[int | None]
    n_paragraphs: np.ndarray
    spans: np.ndarray
    span_doc: np.ndarray
    unit_span: np.ndarray
    unit_hash: np.ndarray
    line_doc: np.ndarray
    line_edges: np.ndarray
    line_hash: np.ndarray


def _flat_units(texts, spans, config, max_chars, hosts, doc_hashes, n_paras) -> FlatFeatures:
    """``_units_chunk_arrays`` over the chunks of ``texts``, concatenated into ``FlatFeatures``."""
    site_seeds = None if hosts is None else [_site_seed(h) if h else None for h in hosts]
    cols: list[list] = [[] for _ in range(8)]
    n_spans = 0
    for lo, hi in _chunks([len(t) for t in texts], max_chars):
        c = _units_chunk_arrays(texts[lo:hi], spans[lo:hi], config,
                                site_seeds=None if site_seeds is None else site_seeds[lo:hi])
        parts = [c.edges, c.doc + lo, c.idx + n_spans, np.array(c.hashes, dtype=np.uint64)]
        if c.line_doc is not None:
            parts += [c.line_doc + lo, c.line_edges, np.array(c.line_hashes, dtype=np.uint64)]
        for col, part in zip(cols, parts):
            col.append(part)
        n_spans += len(c.edges)

    def cat(k, dtype, shape=(0,)):
        return np.concatenate(cols[k]) if cols[k] else np.zeros(shape, dtype=dtype)

    return FlatFeatures(doc_hashes, np.array(n_paras, dtype=np.int64), cat(0, np.int64, (0, 2)), cat(1, np.int64),
                        cat(2, np.int64), cat(3, np.uint64), cat(4, np.int64), cat(5, np.int64, (0, 2)),
                        cat(6, np.uint64))


def dedup_features(texts: Sequence[str], hasher: MinHasher, config: TextDedupConfig = DEFAULT_CONFIG, *,
                   langs: Sequence[str | None] | None = None,
                   sentences: Sequence[Sequence[tuple[int, int]]] | None = None,
                   repetition: bool = True, count: Count = no_count,
                   hosts: Sequence[str | None] | None = None,
                   flat: bool = False) -> tuple[np.ndarray, list[DocFeatures] | FlatFeatures]:
    """Everything the dedup job extracts from a batch of documents, sharing the work:
    ``(signatures, [DocFeatures per text])``.

    Equal to, per text: ``hasher.signatures(texts)[i]``, ``doc_hash(text, config)``,
    ``paragraph_spans(text)``, ``sentence_spans(text, langs[i], paragraphs)`` (or
    ``sentences[i]`` when given, e.g. an annotate output's column) and
    ``unit_hashes_indexed(text, spans, config)``; but each text is NFKC+casefolded once (for the
    signature and the document hash) and the hashes are computed over the whole batch in a few
    numpy passes. ``count`` receives the MinHasher counters. With ``hosts`` (and ``repetition``),
    each feature also holds ``site_line_hashes(text, hosts[i], config)``, hashed in the units' pass.
    ``flat``: the features as one ``FlatFeatures`` (flat arrays) instead of a list (needs ``repetition``).
    """
    if langs is not None and len(langs) != len(texts):
        raise ValueError(f"{len(langs)} langs for {len(texts)} texts")
    if sentences is not None and len(sentences) != len(texts):
        raise ValueError(f"{len(sentences)} sentence lists for {len(texts)} texts")
    normalized = [normalize(t) for t in texts]
    sigs = hasher.signatures(texts, count=count, normalized=normalized)
    spans: list[list[tuple[int, int]]] | None = None
    n_paras: list[int] = [0] * len(texts)
    if repetition:
        spans = []
        for k, text in enumerate(texts):
            paras = paragraph_spans(text)
            if sentences is not None:
                sents = sentences[k]
            else:
                sents = sentence_spans(text, langs[k] if langs is not None else None, paras)
            if len(sents) == len(paras) and sents == paras:
                units = paras  # every paragraph is one sentence
            else:
                whole = set(paras)
                units = paras + [s for s in sents if s not in whole]
            spans.append(units)
            n_paras[k] = len(paras)
    if flat:
        if spans is None:
            raise ValueError("flat=True needs repetition")
        doc_hashes = _text_hashes(texts, None, config, normalized, no_count, _BATCH_CHARS)[0]
        return sigs, _flat_units(texts, spans, config, _BATCH_CHARS, hosts, [h for h, _ in doc_hashes], n_paras)
    hashes, lines = _text_hashes(texts, spans, config, normalized, no_count, _BATCH_CHARS, hosts)
    if spans is None:
        return sigs, [DocFeatures(h, [], 0, []) for h, _ in hashes]
    if lines is None:
        return sigs, [DocFeatures(h, sp, n, u) for (h, u), sp, n in zip(hashes, spans, n_paras)]
    return sigs, [DocFeatures(h, sp, n, u, ls) for (h, u), sp, n, ls in zip(hashes, spans, n_paras, lines)]


def line_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every line of ``text`` that holds a non-space character (newline excluded)."""
    out, start = [], 0
    for line in text.split("\n"):
        end = start + len(line)
        if line.strip():
            out.append((start, end))
        start = end + 1
    return out


def site_line_hashes_batch(texts: Sequence[str], hosts: Sequence[str | None],
                           config: TextDedupConfig = DEFAULT_CONFIG, min_chars: int = 1,
                           max_chars: int = _BATCH_CHARS) -> list[list[tuple[int, int, int]]]:
    """``site_line_hashes(texts[i], hosts[i], config, min_chars)`` for every text, bit-identical,
    computed over the batch in a few numpy passes per ``max_chars`` characters."""
    if len(hosts) != len(texts):
        raise ValueError(f"{len(hosts)} hosts for {len(texts)} texts")
    seeds = [_site_seed(h) if h else None for h in hosts]
    no_spans = [[]] * len(texts)
    out: list[list[tuple[int, int, int]]] = []
    for lo, hi in _chunks([len(t) for t in texts], max_chars):
        out.extend(_units_chunk(texts[lo:hi], no_spans[lo:hi], config, site_seeds=seeds[lo:hi],
                                site_min_chars=min_chars)[3])
    return out


def _site_seed(host: str) -> int:
    return xxhash.xxh3_64_intdigest(f"site\x1f{host}".encode("utf-8", "surrogatepass"))


def site_line_hashes(text: str, host: str | None, config: TextDedupConfig = DEFAULT_CONFIG,
                     min_chars: int = 1) -> list[tuple[int, int, int]]:
    """``(hash, start, end)`` per line of ``text`` for site-boilerplate counting: the line is
    normalized as a unit (:func:`normalize_unit`, digits to 0) and hashed with a seed made from
    ``host``, so two lines match only when they are equal and come from pages of the same host.
    Lines with fewer than ``min_chars`` non-space characters after normalizing are skipped; no host
    (None or ""): []."""
    if not host:
        return []
    spans = line_spans(text)
    if not spans:
        return []
    salted = TextDedupConfig(strip_punctuation=config.strip_punctuation, doc_digits_to_zero=config.doc_digits_to_zero,
                             unit_digits_to_zero=config.unit_digits_to_zero, min_unit_chars=min_chars,
                             seed=_site_seed(host))
    return [(h, *spans[i]) for i, h in unit_hashes_indexed(text, spans, salted)]


# --- compiled kernels (filters/_native/dedup_text.pyx) ---------------------------------------

def _doc_hashes_chunk_native(norms: Sequence[str], strip_punctuation: bool, digits_to_zero: bool,
                             seed: int) -> list[int | None]:
    """:func:`_doc_hashes_chunk` with the comparison forms made by the kernel."""
    raw, offsets = _KERNELS.doc_forms(norms if isinstance(norms, list) else list(norms),
                                      _doc_single(strip_punctuation, digits_to_zero))
    view, digest = memoryview(raw), xxhash.xxh3_64_intdigest
    offsets = offsets.tolist()
    return [digest(view[a:b], seed) if b > a else None for a, b in zip(offsets[:-1], offsets[1:])]


def _collapsed_utf8_native(cps: np.ndarray, strip_punctuation: bool, digits_to_zero: bool,
                           edges: np.ndarray) -> tuple[bytes, np.ndarray, np.ndarray]:
    """:func:`_collapsed_utf8` with the kernel (one pass over the text and the sorted edges)."""
    _, length, offset, flat = _unit_tables(strip_punctuation, digits_to_zero)
    edges = np.asarray(edges, dtype=np.int64)
    order = np.argsort(edges, kind="stable")
    pos, bpos = np.empty(len(edges), dtype=np.int64), np.empty(len(edges), dtype=np.int64)
    raw = _KERNELS.collapse_utf8(np.ascontiguousarray(cps, dtype=np.uint32),
                                 _unit_single(strip_punctuation, digits_to_zero), length, offset, flat,
                                 edges[order], pos, bpos)
    unsorted_pos, unsorted_bpos = np.empty_like(pos), np.empty_like(bpos)
    unsorted_pos[order], unsorted_bpos[order] = pos, bpos
    return raw, unsorted_pos, unsorted_bpos


# The compiled kernels replace the pure-Python references when built (tests/filters/test_native_dedup_text.py
# checks each pair gives the same result).
PY_KERNELS = {"doc_hashes_chunk": _doc_hashes_chunk, "collapsed_utf8": _collapsed_utf8}
_KERNELS = native("dedup_text")
if _KERNELS is not None:
    _doc_hashes_chunk = _doc_hashes_chunk_native
    _collapsed_utf8 = _collapsed_utf8_native
