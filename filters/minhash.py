"""MinHash signatures and LSH band keys for near-duplicate detection.

Text in, numpy signatures and bucket keys out. No Beam import; the dedup job wraps these.

Tokens and shingles
-------------------
Text is normalized with NFKC and ``str.casefold``. Every code point then falls in one class:

* separator: whitespace, punctuation (``P*``), symbols (``S*``), controls, surrogates, U+200B;
  they only delimit tokens, so shingles ignore punctuation and spacing edits;
* ignored: format characters (``Cf``: soft hyphen, ZWJ/ZWNJ, BOM, ...) and variation selectors,
  deleted before tokenizing so they neither split nor change a token;
* unspaced: characters of scripts written without spaces between words (Han, Hiragana,
  Katakana, Bopomofo, Thai, Lao, Khmer, Myanmar), each of which is one token;
* word: everything else (letters, digits, marks of spaced scripts); a run of them is one token.

So ``"本网站使用cookie来改善"`` first gives ``本 网 站 使 用 cookie 来 改 善``. The shingle mode is chosen
PER DOCUMENT from that content, not from a language label (labels may be wrong or the text
mixed): when unspaced-script characters are at least half of these tokens the document is in
'char' mode, every remaining character is a token (``c o o k i e`` too, so an edit inside a
Latin word or URL of a Chinese page costs what an edit of a Han character costs) and shingles
are ``ngram_char``-grams; else it is in 'word' mode and shingles are ``ngram_word``-grams of the
tokens above (a stray CJK character in an English text stays a one-character token).
A document with fewer tokens than n has one shingle made of all its tokens; a document with no
token has no shingle, an all-``0xFFFFFFFF`` signature (datasketch's empty value) and no
band keys.

Hashes and datasketch compatibility
-----------------------------------
Each shingle gets a 32-bit hash, :func:`shingle_hash32` (a polynomial hash mod 2**64 over the
code points of each token, mixed with the MurmurHash3 64-bit finalizer, combined over the
n-gram and reduced to its top 32 bits). :class:`MinHasher` computes the same hashes with numpy
over a whole batch of documents, then applies datasketch 2.x's default ``"affine32"`` scheme:
the 32-bit hash is pre-mixed with the MurmurHash3 32-bit finalizer and permuted by
``a * h + b mod 2**32`` with ``(a, b)`` drawn from ``numpy.random.RandomState(seed)``. The result
equals ``datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash32)`` updated with
:func:`shingles` of the text (and ``LeanMinHash`` of it), bit for bit.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
import xxhash
from filters._native import native
from filters.counting import Count, no_count
from filters.scripts import TOKEN_UNSPACED_BLOCKS




# Character classes (values of the lookup table).
SEP, WORD, UNSPACED, IGNORE = 0, 1, 2, 3

_M64 = (1 << 64) - 1
_TOKEN_BASE = 0x100000001B3  # odd multiplier of the per-token polynomial hash (FNV-1 64 prime)
_TOKEN_BASE_INV = pow(_TOKEN_BASE, -1, 1 << 64)
_TOKEN_LEN_MIX = 0x9E3779B97F4A7C15
_SHINGLE_BASE = 0xD6E8FEB86659FD93  # odd multiplier combining token hashes into a shingle hash
_SHINGLE_LEN_MIX = 0xC2B2AE3D27D4EB4F
_EMPTY = np.uint32(0xFFFFFFFF)

# Blocks of scripts written without spaces between words: one character = one token.
_UNSPACED_RANGES = TOKEN_UNSPACED_BLOCKS


# unicodedata general categories, in the order of the codes of ``unicode_categories``
CATEGORY_NAMES = ("Cc", "Cf", "Cn", "Co", "Cs", "Ll", "Lm", "Lo", "Lt", "Lu", "Mc", "Me", "Mn", "Nd", "Nl",
                  "No", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "Sc", "Sk", "Sm", "So", "Zl", "Zp", "Zs")
LOW_PLANES = 0x30000  # planes 0-2: every code point above is unassigned, private use, tags or selectors


@functools.lru_cache(maxsize=1)
def low_planes_text() -> str:
    """Every code point below ``LOW_PLANES`` (surrogates included) as one str, in order."""
    return np.arange(LOW_PLANES, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


@functools.lru_cache(maxsize=1)
def unicode_categories() -> np.ndarray:
    """Read-only uint8 array: index into ``CATEGORY_NAMES`` of ``unicodedata.category`` of every
    code point below ``LOW_PLANES`` (one C-level ``map`` over :func:`low_planes_text`, ~20 ms)."""
    index = {name: i for i, name in enumerate(CATEGORY_NAMES)}
    codes = np.fromiter(map(index.__getitem__, map(unicodedata.category, low_planes_text())),
                        dtype=np.uint8, count=LOW_PLANES)
    codes.setflags(write=False)
    return codes


def category_mask(pred: Callable[[str], bool]) -> np.ndarray:
    """Boolean array over ``CATEGORY_NAMES``: ``mask[unicode_categories()]`` selects the code
    points whose category name satisfies ``pred``."""
    return np.array([bool(pred(name)) for name in CATEGORY_NAMES])


@functools.lru_cache(maxsize=1)
def space_code_points() -> np.ndarray:
    """Sorted int64 array of the code points for which ``str.isspace`` is true (``re``'s ``\\s``
    uses the same predicate; all lie in the BMP)."""
    return np.array([m.start() for m in re.finditer(r"\s", low_planes_text())], dtype=np.int64)


@functools.lru_cache(maxsize=1)
def char_classes() -> np.ndarray:
    """Read-only uint8 table of the class (SEP, WORD, UNSPACED, IGNORE) of every code point.

    Built once per process on first use (a few ms, vectorized over the category codes), never
    at import time.
    """
    cat = unicode_categories()
    sep = category_mask(lambda c: c[0] in "PSZ" or c in ("Cc", "Cs"))[cat]
    fmt = cat == CATEGORY_NAMES.index("Cf")
    table = np.full(0x110000, WORD, dtype=np.uint8)
    table[:LOW_PLANES] = np.where(sep, np.uint8(SEP), np.where(fmt, np.uint8(IGNORE), np.uint8(WORD)))
    for lo, hi in _UNSPACED_RANGES:
        block = table[lo:hi + 1]
        block[block == WORD] = UNSPACED
    table[0xE0000:0xE1000] = IGNORE  # tags (Cf) and variation selectors supplement
    for cp in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x85, 0x200B):
        table[cp] = SEP
    table[0xFE00:0xFE10] = IGNORE  # variation selectors (Mn) must not split or alter tokens
    table[0x180B:0x1810] = IGNORE
    table.setflags(write=False)
    return table


@functools.lru_cache(maxsize=1)
def _nul_joined() -> str:
    """Every code point except NUL and the surrogates, each preceded by a NUL, as one str."""
    cps = np.arange(1, 0x110000, dtype=np.uint32)
    cps = cps[(cps < 0xD800) | (cps >= 0xE000)]
    joined = np.zeros(2 * len(cps), dtype=np.uint32)
    joined[1::2] = cps
    return joined.tobytes().decode("utf-32-le", "surrogatepass")


def per_char_mapping(fn: Callable[[str], str], below: int = 0x110000):
    """(code points, out, first, lens): ``fn`` applied to every code point except NUL and the
    surrogates (below ``below``) taken ALONE; the mapping of ``cps[i]`` is
    ``out[first[i]:first[i] + lens[i]]``. One call of ``fn`` on the code points joined with NUL
    separators: valid for mappings that leave NUL alone and stop at it, as NFKC (NUL is a starter
    composing with nothing, so neither reordering nor composition crosses it), ``str.lower``
    (final-sigma context stops at NUL) and ``str.casefold`` do."""
    n = below - 1 - (0x800 if below > 0xD800 else 0)
    text = _nul_joined()[:2 * n]
    out = np.frombuffer(fn(text).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)[1::2]
    if len(out) == len(text):  # every mapping has one code point
        return cps, out, np.arange(1, len(out), 2), np.ones(n, dtype=np.int64)
    sep = np.flatnonzero(out == 0)
    lens = np.diff(np.append(sep, len(out))) - 1
    return cps, out, sep + 1, lens


def _mapping_tables(cps, out, first, lens, size: int):
    """(single, length, offset, flat) tables from :func:`per_char_mapping` (see _nfkc_tables):
    ``flat`` holds, in code point order, the mappings whose length is not 1."""
    single = np.arange(size, dtype=np.uint32)
    length = np.ones(size, dtype=np.uint8)
    offset = np.zeros(size, dtype=np.int64)
    one = lens == 1
    single[cps[one]] = out[first[one]]
    other = ~one
    length[cps[other]] = lens[other]
    other_lens = np.where(other, lens, 0)
    offset[cps[other]] = (np.cumsum(other_lens) - other_lens)[other]
    pos = np.flatnonzero(other)
    if len(pos):
        idx = np.repeat(first[pos], lens[pos]) + (np.arange(int(lens[pos].sum()))
                                                  - np.repeat(np.cumsum(lens[pos]) - lens[pos], lens[pos]))
        flat = out[idx].astype(np.uint32)
    else:
        flat = np.zeros(0, dtype=np.uint32)
    return single, length, offset, flat


@functools.lru_cache(maxsize=1)
def _nfkc_tables():
    """(single, length, offset, flat): per code point, its NFKC mapping when taken alone.

    ``single[cp]`` is the one-character mapping (or cp itself), ``length[cp]`` the mapping's
    length, and multi-character mappings sit in ``flat[offset[cp]:offset[cp] + length[cp]]``.
    Only planes 0-2 have compatibility mappings. Built once on first use with ONE normalize
    call over all of them (:func:`per_char_mapping`, ~10 ms).
    """
    tables = _mapping_tables(*per_char_mapping(lambda t: unicodedata.normalize("NFKC", t), LOW_PLANES), 0x110000)
    for t in tables:
        t.setflags(write=False)
    return tables


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster on long non-normalized texts.

    CPython's NFKC is slow on CJK text with full-width punctuation (~0.1 us per character).
    Each character is first replaced by its own NFKC mapping with numpy: that keeps the NFKD of
    the text, hence its NFKC; when the result passes the NFKC quick check it IS the NFKC form,
    otherwise (combining sequences to compose) ``unicodedata.normalize`` finishes the job.
    """
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    single, length, offset, flat = _nfkc_tables()
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lens = length[cps]
    out = single[cps]
    multi = lens > 1
    if multi.any():
        rep = np.repeat(np.arange(len(cps)), lens)
        within = np.arange(len(rep)) - np.repeat(np.cumsum(lens, dtype=np.int64) - lens, lens)
        out = out[rep]
        sel = multi[rep]
        out[sel] = flat[offset[cps[rep[sel]]] + within[sel]]
    mapped = out.tobytes().decode("utf-32-le", "surrogatepass")
    if unicodedata.is_normalized("NFKC", mapped):
        return mapped
    return unicodedata.normalize("NFKC", mapped)


def normalize(text: str) -> str:
    """NFKC then casefold: the text that tokens are cut from.

    Same result as ``unicodedata.normalize("NFKC", text).casefold()``, with fast paths: ASCII
    text is already NFKC (and its casefold is its lower), NFKC goes through :func:`nfkc`.
    """
    if text.isascii():
        return text.lower()
    return nfkc(text).casefold()


_SURE_NO, _NOT_QUICK = 254, 255  # in ``quick_check_table`` (below 254: combining class)


@functools.lru_cache(maxsize=2)
def quick_check_table(form: str) -> np.ndarray:
    """Read-only uint8 table over every code point for a conservative NFC / NFKC quick check.

    ``table[cp]``: the canonical combining class of cp when its quick check is surely "yes";
    ``_NOT_QUICK`` (255) when cp may compose with a preceding character (the second character
    of a two-character canonical decomposition, conjoining jamo V and T: a superset of quick
    check "maybe"); else ``_SURE_NO`` (254) when its ``form`` alone differs from it (quick
    check "no"). A text whose code points are all below 254 with nonzero classes in order
    passes CPython's own quick check, so ``unicodedata.is_normalized(form, text)`` is True.
    """
    qc = composition_tables()[0].copy()
    if form == "NFKC":  # planes 3-16 have no decompositions
        single, length, _, _ = _nfkc_tables()
        qc[(length != 1) | (single != np.arange(0x110000, dtype=np.uint32))] = _SURE_NO
    elif form == "NFC":  # only a code point with a canonical decomposition can change
        qc[[cp for cp, d in _decompositions()
            if d[0] != "<" and unicodedata.normalize("NFC", chr(cp)) != chr(cp)]] = _SURE_NO
    else:
        raise ValueError(f"form must be NFC or NFKC, got {form!r}")
    qc[_canonical_seconds()] = _NOT_QUICK
    qc[0x1161:0x1176] = _NOT_QUICK
    qc[0x11A8:0x11C3] = _NOT_QUICK
    qc.setflags(write=False)
    return qc


@functools.lru_cache(maxsize=1)
def _decompositions() -> list[tuple[int, str]]:
    """(code point, ``unicodedata.decomposition``) of every code point below ``LOW_PLANES`` that has one."""
    return [(cp, d) for cp, d in enumerate(map(unicodedata.decomposition, low_planes_text())) if d]


def _canonical_seconds() -> np.ndarray:
    """The second code point of every two-character canonical decomposition."""
    return np.array([int(d.split()[1], 16) for _, d in _decompositions() if d[0] != "<" and len(d.split()) == 2],
                    dtype=np.int64)


_DECOMPOSES, _NEVER_QUICK = 1, 2  # bits of ``composition_tables``'s flags


@functools.lru_cache(maxsize=1)
def composition_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ccc, flags, pairs): what the quick-check kernels need to accept a "maybe" code point c
    (``_NOT_QUICK`` in :func:`quick_check_table`) that cannot compose with what precedes it.

    ``ccc``: uint8 canonical combining class of every code point. ``flags``: bit
    ``_DECOMPOSES`` for a code point with a decomposition (any, and the Hangul syllables),
    ``_NEVER_QUICK`` for conjoining jamo V and T. ``pairs``: sorted uint64 ``first << 21 | second``
    of the primary composites (two-character canonical decompositions that NFC composes back).
    c is accepted when neither c nor any code point back to and including the last starter L
    before it has a flag, and (L, c) is not a pair: then no composition involves c.
    """
    text = low_planes_text()
    ccc = np.zeros(0x110000, dtype=np.uint8)
    ccc[:LOW_PLANES] = np.fromiter(map(unicodedata.combining, text), dtype=np.uint8, count=LOW_PLANES)
    flags = np.zeros(0x110000, dtype=np.uint8)
    pairs = []
    for cp, d in _decompositions():
        flags[cp] |= _DECOMPOSES
        parts = d.split()
        if len(parts) == 2 and d[0] != "<" and unicodedata.normalize("NFC", chr(cp)) == chr(cp):
            pairs.append((int(parts[0], 16) << 21) | int(parts[1], 16))  # cp composes back: not excluded
    flags[0xAC00:0xD7A4] |= _DECOMPOSES
    flags[0x1161:0x1176] |= _NEVER_QUICK
    flags[0x11A8:0x11C3] |= _NEVER_QUICK
    tables = (ccc, flags, np.unique(np.array(pairs, dtype=np.uint64)))
    for t in tables:
        t.setflags(write=False)
    return tables


@functools.lru_cache(maxsize=1)
def _fold_tables():
    """(qc, single, length, offset, flat): the tables of the ``normalize`` kernel besides
    :func:`_nfkc_tables`, built on first use: ``quick_check_table("NFKC")``, then ``str.casefold``
    of each code point alone (:func:`_mapping_tables` layout, ``0xFFFFFFFF`` in ``single``
    where the folding is not one character, up to the last code point casefold changes).
    """
    qc = quick_check_table("NFKC")
    cps, out, first, lens = per_char_mapping(str.casefold, LOW_PLANES)  # no cased letter above plane 2
    changed = (lens != 1) | (out[first] != cps)
    size = int(cps[changed].max()) + 1
    below = cps < size
    single, length, offset, flat = _mapping_tables(cps[below], out, first[below], lens[below], size)
    single = np.where(length == 1, single, np.uint32(0xFFFFFFFF)).astype(np.uint32)
    tables = (qc, single, length, offset, flat)
    for t in tables:
        t.setflags(write=False)
    return tables


def tokenize(text: str) -> list[str]:
    """Reference tokenizer (pure Python): the tokens of ``normalize(text)``, see module doc."""
    table = char_classes()
    out: list[str] = []
    word: list[str] = []
    for ch in normalize(text):
        c = table[ord(ch)]
        if c == IGNORE:
            continue
        if c == WORD:
            word.append(ch)
            continue
        if word:
            out.append("".join(word))
            word = []
        if c == UNSPACED:
            out.append(ch)
    if word:
        out.append("".join(word))
    return out


def _is_unspaced_token(tok: str) -> bool:
    return len(tok) == 1 and char_classes()[ord(tok)] == UNSPACED


@dataclass(frozen=True)
class MinHashConfig:
    """MinHash / LSH settings, validated on construction.

    num_perm: permutations (signature length). threshold and weights=(fp_weight, fn_weight) are
    passed to datasketch's ``_optimal_param`` to derive ``bands`` x ``rows`` when both are None;
    give both to override. The defaults (threshold 0.7, weights (0.1, 0.9), 128 perms) give
    20 bands x 6 rows: P(candidate) = 1 - (1 - J**6)**20 is 0.998 at J=0.8 and 0.27 at J=0.5,
    and candidates are then checked with ``verify_threshold`` (estimated Jaccard; None = no
    check), placed halfway between J=0.5 (must not merge) and J=0.8 (must merge).
    ngram_word / ngram_char: n-gram sizes for documents in spaced / unspaced scripts.
    seed: permutation seed, as datasketch's ``seed`` (0 <= seed < 2**32).
    """

    num_perm: int = 128
    threshold: float = 0.7
    weights: tuple[float, float] = (0.1, 0.9)
    bands: int | None = None
    rows: int | None = None
    ngram_word: int = 5
    ngram_char: int = 5
    seed: int = 1
    verify_threshold: float | None = 0.65

    def __post_init__(self) -> None:
        if not isinstance(self.num_perm, int) or not 1 <= self.num_perm <= 4096:
            raise ValueError(f"num_perm must be an int in [1, 4096], got {self.num_perm!r}")
        if not 0.0 < float(self.threshold) < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold!r}")
        w = tuple(float(x) for x in self.weights)
        if len(w) != 2 or min(w) < 0 or abs(sum(w) - 1.0) > 1e-6:
            raise ValueError(f"weights must be two non-negative floats summing to 1, got {self.weights!r}")
        object.__setattr__(self, "weights", w)
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither (derived from threshold)")
        if self.bands is None:
            b, r = _optimal_param(float(self.threshold), self.num_perm, w[0], w[1])
            object.__setattr__(self, "bands", b)
            object.__setattr__(self, "rows", r)
        if not (isinstance(self.bands, int) and isinstance(self.rows, int) and self.bands >= 1 and self.rows >= 1):
            raise ValueError(f"bands and rows must be positive ints, got {self.bands!r}, {self.rows!r}")
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands*rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        if self.bands >= 1 << 16:
            raise ValueError("at most 65535 bands")
        for name in ("ngram_word", "ngram_char"):
            v = getattr(self, name)
            if not isinstance(v, int) or not 1 <= v <= 32:
                raise ValueError(f"{name} must be an int in [1, 32], got {v!r}")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 1 << 32:
            raise ValueError(f"seed must be an int in [0, 2**32), got {self.seed!r}")
        if self.verify_threshold is not None and not 0.0 <= float(self.verify_threshold) <= 1.0:
            raise ValueError(f"verify_threshold must be in [0, 1] or None, got {self.verify_threshold!r}")

    def candidate_probability(self, jaccard: float) -> float:
        """Probability that two documents with this Jaccard share at least one band."""
        return 1.0 - (1.0 - jaccard ** self.rows) ** self.bands


_OPTIMAL_PARAM_MARGIN = 1e-7  # weighted-error gap under which the choice is left to datasketch itself


@functools.lru_cache(maxsize=64)
def _optimal_param(threshold: float, num_perm: int, fp_weight: float, fn_weight: float) -> tuple[int, int]:
    """datasketch's ``lsh._optimal_param``: the (bands, rows) with bands * rows <= num_perm
    minimizing fp_weight * P(false positive) + fn_weight * P(false negative), first in its
    (bands, rows) order on ties.

    Computed with numpy (composite 16-point Gauss-Legendre over 16 panels per side: the
    integrands are polynomials of degree <= num_perm, integrated to ~1e-15) instead of
    importing datasketch and scipy (~0.5 s per process). When the two best pairs are closer
    than ``_OPTIMAL_PARAM_MARGIN`` (datasketch's own quadrature tolerance is 1.5e-8), or for
    num_perm > 512, datasketch decides, so the result is always datasketch's.
    """
    if num_perm <= 512:
        errors, b, r = _weighted_errors(threshold, num_perm, fp_weight, fn_weight)
        best = int(np.argmin(errors))
        rest = np.delete(errors, best)
        if not len(rest) or float(rest.min()) - float(errors[best]) > _OPTIMAL_PARAM_MARGIN:
            return int(b[best]), int(r[best])
    from datasketch.lsh import _optimal_param as ds_optimal_param  # imports scipy: keep it lazy

    b, r = ds_optimal_param(threshold, num_perm, fp_weight, fn_weight)
    return int(b), int(r)


def _weighted_errors(threshold: float, num_perm: int, fp_weight: float, fn_weight: float,
                     panels: int = 16) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weighted error, bands, rows) of every pair, in datasketch's enumeration order."""
    b = np.concatenate([np.full(num_perm // bb, bb) for bb in range(1, num_perm + 1)]).astype(np.float64)
    r = np.concatenate([np.arange(1, num_perm // bb + 1) for bb in range(1, num_perm + 1)]).astype(np.float64)
    x, w = np.polynomial.legendre.leggauss(16)

    def nodes(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        edges = np.linspace(lo, hi, panels + 1)
        half = np.diff(edges) / 2
        return (((edges[:-1] + half)[:, None] + half[:, None] * x).ravel(), (half[:, None] * w).ravel())

    s, ws = nodes(0.0, threshold)
    fp = (1.0 - (1.0 - s ** r[:, None]) ** b[:, None]) @ ws
    s, ws = nodes(threshold, 1.0)
    fn = ((1.0 - s ** r[:, None]) ** b[:, None]) @ ws
    return fp * fp_weight + fn * fn_weight, b, r


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _M64
    return h ^ (h >> 33)


def token_hash64(token: str) -> int:
    """64-bit hash of one token: fmix64(sum(ord(c_i) * B**i) + len * K) mod 2**64."""
    h, p = 0, 1
    for ch in token:
        h = (h + ord(ch) * p) & _M64
        p = (p * _TOKEN_BASE) & _M64
    return _fmix64_int((h + len(token) * _TOKEN_LEN_MIX) & _M64)


def shingle_hash32(shingle: Sequence[str]) -> int:
    """32-bit hash of a shingle (a sequence of tokens): usable as datasketch ``hashfunc``."""
    acc, p = 0, 1
    for tok in shingle:
        acc = (acc + token_hash64(tok) * p) & _M64
        p = (p * _SHINGLE_BASE) & _M64
    return _fmix64_int((acc + len(shingle) * _SHINGLE_LEN_MIX) & _M64) >> 32


def script_mode(tokens: Sequence[str]) -> str:
    """'char' when unspaced-script characters are at least half of the (mixed) tokens of
    :func:`tokenize`, else 'word'."""
    n_uns = sum(1 for t in tokens if _is_unspaced_token(t))
    return "char" if n_uns and 2 * n_uns >= len(tokens) else "word"


def shingle_tokens(text: str) -> tuple[str, list[str]]:
    """(mode, tokens) that shingles are made of: in 'char' mode every character of every token
    is a token (so Latin words, URLs and digits inside Chinese text are split into characters),
    in 'word' mode the tokens of :func:`tokenize`."""
    toks = tokenize(text)
    mode = script_mode(toks)
    if mode == "char":
        toks = [ch for tok in toks for ch in tok]
    return mode, toks


def shingles(text: str, config: MinHashConfig | None = None) -> list[tuple[str, ...]]:
    """Reference shingles (pure Python): token n-grams in order, n chosen by ``script_mode``."""
    config = config or MinHashConfig()
    mode, toks = shingle_tokens(text)
    if not toks:
        return []
    n = config.ngram_char if mode == "char" else config.ngram_word
    if len(toks) <= n:
        return [tuple(toks)]
    return [tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)]


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch 2.x "affine32" permutation parameters (a odd, b), uint32 arrays."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _powers(base: int, n: int) -> np.ndarray:
    out = np.full(n, base, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out, dtype=np.uint64)  # wraps mod 2**64


class MinHasher:
    """Computes MinHash signatures for batches of documents with numpy.

    ``MinHasher(config).signatures(texts)`` -> uint32 array (len(texts), num_perm); row i equals
    datasketch's hashvalues for ``shingles(texts[i])`` hashed with ``shingle_hash32``.
    Holds only read-only arrays after construction; safe to share across threads.

    Work is vectorized over the documents of one call: pass batches (16-256 documents; one
    document per call costs about twice as much per document). Transient memory is about 50
    bytes per character of a batch; documents longer than ``max_doc_chars`` are shingled on
    their first ``max_doc_chars`` characters only (counter ``minhash_truncated_docs``), which
    bounds memory on pathological multi-megabyte records (None: no limit).
    """

    def __init__(self, config: MinHashConfig | None = None, *, max_chars_per_batch: int = 1 << 18,
                 max_shingles_per_block: int = 1 << 13, max_doc_chars: int | None = 2_000_000) -> None:
        if max_doc_chars is not None and max_doc_chars < 1:
            raise ValueError("max_doc_chars must be positive or None")
        self.config = config or MinHashConfig()
        self.max_doc_chars = max_doc_chars
        self.a, self.b = permutations(self.config.num_perm, self.config.seed)
        self._table = char_classes()
        self._max_chars = max_chars_per_batch
        self._block = max_shingles_per_block
        n_max = max(self.config.ngram_word, self.config.ngram_char)
        self._shingle_pow = _powers(_SHINGLE_BASE, n_max)
        n_pow = 2 * max_chars_per_batch + 2  # NFKC may lengthen a batch a little
        self._pow = _powers(_TOKEN_BASE, n_pow)
        self._inv_pow = _powers(_TOKEN_BASE_INV, n_pow)

    def _position_powers(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """B**k and B**-k mod 2**64 for k < n (a batch longer than the tables: one long doc)."""
        if n > len(self._pow):
            return _powers(_TOKEN_BASE, n), _powers(_TOKEN_BASE_INV, n)
        return self._pow, self._inv_pow

    def signature(self, text: str) -> np.ndarray:
        """Signature of one document: uint32 array (num_perm,)."""
        return self.signatures([text])[0]

    def signatures(self, texts: Sequence[str], count: Count = no_count,
                   normalized: Sequence[str] | None = None) -> np.ndarray:
        """Signatures of many documents: uint32 array (len(texts), num_perm).

        normalized: optional ``[normalize(t) for t in texts]`` already computed by the caller
        (e.g. shared with ``dedup_text.text_hashes``); the texts are then not normalized again.
        Counters: minhash_docs, minhash_empty_docs (no token), minhash_char_mode_docs,
        minhash_shingles, minhash_truncated_docs.
        """
        out = np.full((len(texts), self.config.num_perm), _EMPTY, dtype=np.uint32)
        if normalized is not None:
            if len(normalized) != len(texts):
                raise ValueError(f"{len(normalized)} normalized texts for {len(texts)} texts")
        cap = self.max_doc_chars
        if cap is not None and any(len(t) > cap for t in texts):
            count("minhash_truncated_docs", sum(1 for t in texts if len(t) > cap))
            if normalized is not None:  # normalize the truncated text, as without ``normalized``
                normalized = [normalize(t[:cap]) if len(t) > cap else n for t, n in zip(texts, normalized)]
            texts = [t[:cap] for t in texts]
        if normalized is not None:
            texts = normalized
        lo = 0
        while lo < len(texts):
            hi, chars = lo, 0
            while hi < len(texts) and (hi == lo or chars + len(texts[hi]) <= self._max_chars):
                chars += len(texts[hi]) + 1
                hi += 1
            self._signatures_into(texts[lo:hi], out[lo:hi], count, normalized is None)
            lo = hi
        return out

    def shingle_hashes(self, text: str) -> np.ndarray:
        """The uint32 shingle hashes of one document, in shingle order (equal to
        ``[shingle_hash32(s) for s in shingles(text)]``)."""
        sh, _, _, _ = self._shingle_hashes_batch([text])
        return sh

    def _shingle_hashes_batch(self, texts: Sequence[str], normalize_texts: bool = True):
        """Return (shingle hashes uint32, doc index per shingle, char-mode flags, token counts)
        of ``texts`` (already normalized when ``normalize_texts`` is False)."""
        n_docs = len(texts)
        norm = [normalize(t) for t in texts] if normalize_texts else texts
        lengths = np.fromiter((len(s) for s in norm), dtype=np.int64, count=n_docs)
        doc_start = np.zeros(n_docs, dtype=np.int64)
        if n_docs > 1:
            doc_start[1:] = np.cumsum(lengths[:-1] + 1)
        # every document is followed by a separator (NUL), so doc_start is strictly increasing
        # and below len(cps): segment sums with reduceat are then per document
        cps = np.frombuffer(("\x00".join(norm) + "\x00").encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        cls = self._table.take(cps)
        ignore = cls == IGNORE
        if ignore.any():
            dropped = np.flatnonzero(ignore)
            doc_start = doc_start - np.searchsorted(dropped, doc_start)
            keep = ~ignore
            cps, cls = cps[keep], cls[keep]
        is_word = cls == WORD
        is_uns = cls == UNSPACED
        prev_word = np.zeros_like(is_word)
        prev_word[1:] = is_word[:-1]
        next_word = np.zeros_like(is_word)
        next_word[:-1] = is_word[1:]
        word_start = is_word & ~prev_word
        word_end = is_word & ~next_word
        # script mode per document, from the mixed tokenization (words + unspaced characters)
        n_words = np.add.reduceat(word_start, doc_start, dtype=np.int64)
        n_uns = np.add.reduceat(is_uns, doc_start, dtype=np.int64)
        char_mode = (n_uns > 0) & (n_uns >= n_words)
        if char_mode.any():  # character n-grams: every letter of these documents is a token
            doc_len = np.diff(np.append(doc_start, len(cps)))
            every_char = np.repeat(char_mode, doc_len) & is_word
            word_start |= every_char
            word_end |= every_char
        start_mask = is_uns | word_start
        starts = np.flatnonzero(start_mask)
        ends = np.flatnonzero(is_uns | word_end) + 1
        n_tok = len(starts)
        n_tokens = np.add.reduceat(start_mask, doc_start, dtype=np.int64)
        if n_tok == 0:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64), char_mode, n_tokens
        # Token polynomial hash from prefix sums over absolute positions:
        # sum_{s<=j<e} c_j B**(j-s) = (P[e] - P[s]) * B**-s with P[k] = sum_{j<k} c_j B**j (mod 2**64).
        pw, inv = self._position_powers(len(cps) + 1)
        prefix = np.zeros(len(cps) + 1, dtype=np.uint64)
        np.multiply(cps, pw[:len(cps)], out=prefix[1:])
        np.cumsum(prefix[1:], out=prefix[1:])
        poly = (prefix[ends] - prefix[starts]) * inv[starts]
        tok_len = (ends - starts).astype(np.uint64)
        tok_hash = _fmix64(poly + tok_len * np.uint64(_TOKEN_LEN_MIX))

        tok_doc = np.repeat(np.arange(n_docs), n_tokens)
        tok_first = np.cumsum(n_tokens) - n_tokens
        doc_n = np.where(char_mode, self.config.ngram_char, self.config.ngram_word)
        sizes = np.unique(doc_n[n_tokens > 0])
        if len(sizes) == 1:
            acc, sel = self._combine_one_size(tok_hash, tok_doc, tok_first, n_tokens, int(sizes[0]))
        else:
            acc, sel = self._combine_any_size(tok_hash, tok_doc, tok_first, n_tokens, doc_n)
        sh = (_fmix64(acc) >> np.uint64(32)).astype(np.uint32)
        return sh, tok_doc[sel], char_mode, n_tokens

    def _combine_one_size(self, tok_hash, tok_doc, tok_first, n_tokens, n):
        """(sum_k h[i+k] B**k + len * K, start token of each shingle) when every document uses
        n-grams of the same n: sliding windows over contiguous slices; documents with fewer than
        n tokens get one shorter shingle."""
        n_tok = len(tok_hash)
        pows = self._shingle_pow
        width = n_tok - n + 1
        mask = np.zeros(n_tok, dtype=bool)
        if width > 0:
            mask[:width] = tok_doc[:width] == tok_doc[n - 1:]
            acc_w = tok_hash[:width] * pows[0]
            for k in range(1, n):
                acc_w += tok_hash[k:k + width] * pows[k]
        short = np.flatnonzero((n_tokens > 0) & (n_tokens < n))
        if len(short) == 0:
            sel = np.flatnonzero(mask)
            acc = acc_w[sel]
            acc += np.uint64((n * _SHINGLE_LEN_MIX) & _M64)
            return acc, sel
        short_pos = tok_first[short]
        mask[short_pos] = True
        sel = np.flatnonzero(mask)
        is_short = np.zeros(n_tok, dtype=bool)
        is_short[short_pos] = True
        is_short = is_short[sel]
        acc = np.zeros(len(sel), dtype=np.uint64)
        if width > 0:
            acc[~is_short] = acc_w[sel[~is_short]]
        short_len = n_tokens[short]
        acc_s = np.zeros(len(short), dtype=np.uint64)
        for k in range(n - 1):
            m = short_len > k
            acc_s[m] += tok_hash[short_pos[m] + k] * pows[k]
        acc[is_short] = acc_s
        shingle_len = np.full(len(sel), n, dtype=np.uint64)
        shingle_len[is_short] = short_len
        return acc + shingle_len * np.uint64(_SHINGLE_LEN_MIX), sel

    def _combine_any_size(self, tok_hash, tok_doc, tok_first, n_tokens, doc_n):
        """General case (documents of one batch use different n): gathers with masks."""
        n_tok = len(tok_hash)
        idx = np.arange(n_tok)
        nd = doc_n[tok_doc]
        rem = (tok_first + n_tokens)[tok_doc] - idx
        valid = (rem >= nd) | (idx == tok_first[tok_doc])
        sel = np.flatnonzero(valid)
        shingle_len = np.minimum(nd[sel], rem[sel]).astype(np.uint64)
        acc = np.zeros(len(sel), dtype=np.uint64)
        last = n_tok - 1
        for k in range(int(nd.max())):
            contrib = tok_hash[np.minimum(sel + k, last)] * self._shingle_pow[k]
            acc += np.where(shingle_len > k, contrib, np.uint64(0))
        return acc + shingle_len * np.uint64(_SHINGLE_LEN_MIX), sel

    def _signatures_into(self, texts: Sequence[str], out: np.ndarray, count: Count,
                         normalize_texts: bool = True) -> None:
        n_empty, n_char, n_shingles = _signature_rows(self, texts, out, normalize_texts)
        count("minhash_docs", len(texts))
        if n_empty:
            count("minhash_empty_docs", n_empty)
        if n_char:
            count("minhash_char_mode_docs", n_char)
        if n_shingles:
            count("minhash_shingles", n_shingles)

    def _rows_numpy(self, texts: Sequence[str], out: np.ndarray, normalize_texts: bool) -> tuple[int, int, int]:
        """Signatures of ``texts`` minimized into ``out`` (filled with the empty value) with numpy;
        returns (documents without tokens, char-mode documents, shingles)."""
        sh, sh_doc, char_mode, n_tokens = self._shingle_hashes_batch(texts, normalize_texts)
        counts = int((n_tokens == 0).sum()), int(char_mode.sum()), int(len(sh))
        if not len(sh):
            return counts
        hv = _fmix32(sh)
        a, b = self.a[:, None], self.b[:, None]
        # (num_perm, shingles) layout: reduceat then runs over contiguous rows (much faster).
        # One buffer for all blocks: a fresh multi-MB array per block costs page faults.
        buf = np.empty((len(a), min(self._block, len(hv))), dtype=np.uint32)
        for lo in range(0, len(hv), self._block):
            hi = min(lo + self._block, len(hv))
            phv = buf[:, :hi - lo]
            np.multiply(a, hv[None, lo:hi], out=phv)
            phv += b  # uint32 wraparound is the mod 2**32 of the affine permutation
            docs = sh_doc[lo:hi]
            seg = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
            mins = np.minimum.reduceat(phv, seg, axis=1)
            d = docs[seg]
            out[d] = np.minimum(out[d], mins.T)
        return counts


def _signature_rows(hasher: MinHasher, texts: Sequence[str], out: np.ndarray,
                    normalize_texts: bool = True) -> tuple[int, int, int]:
    """Signatures of ``texts`` into ``out`` (rows filled with the empty value): (documents
    without tokens, char-mode documents, shingles). Pure-Python reference of the kernel."""
    return hasher._rows_numpy(texts, out, normalize_texts)


def _signature_rows_native(hasher: MinHasher, texts: Sequence[str], out: np.ndarray,
                           normalize_texts: bool = True) -> tuple[int, int, int]:
    """:func:`_signature_rows` with the compiled kernel (one pass per document, no batch arrays)."""
    norm = [normalize(t) for t in texts] if normalize_texts else list(texts)
    c = hasher.config
    return _KERNELS.signatures_into(norm, hasher._table, hasher.a, hasher.b, out, c.ngram_word, c.ngram_char,
                                    hasher._shingle_pow)


# The compiled kernel of filters/_native/minhash.pyx replaces the pure-Python reference when it is
# built (tests/filters/test_native_minhash.py checks both give the same signatures and counts).
@functools.lru_cache(maxsize=1)
def _normalizer():
    qc, *fold = _fold_tables()
    return _KERNELS.Normalizer(qc, *composition_tables(), *_nfkc_tables(), *fold)


def _normalize_native(text: str) -> str:
    """:func:`normalize` with the compiled kernel (NFKC quick check, per-character NFKC and casefold)."""
    if text.isascii():
        return text.lower()
    norm = _normalizer()
    out = norm(text)
    return norm.fold(nfkc(text)) if out is None else out


PY_KERNELS = {"signature_rows": _signature_rows, "normalize": normalize}
_KERNELS = native("minhash")
if _KERNELS is not None:
    _signature_rows = _signature_rows_native
    normalize = _normalize_native


def is_empty_signature(signature: np.ndarray) -> bool:
    """True for the signature of a document without tokens (every value 0xFFFFFFFF)."""
    return bool(np.all(np.asarray(signature) == _EMPTY))


def band_keys(signature: np.ndarray, config: MinHashConfig) -> list[bytes]:
    """LSH bucket keys, one per band: 2-byte big-endian band index + 8-byte xxh3_64 digest of
    the band's ``rows`` values (little-endian uint32). Empty signatures get no keys, so empty
    documents are never bucketed together."""
    sig = np.asarray(signature, dtype="<u4")
    if len(sig) != config.num_perm:
        raise ValueError(f"signature has {len(sig)} values, config.num_perm is {config.num_perm}")
    if is_empty_signature(sig):
        return []
    r = config.rows
    raw = sig[: config.bands * r].tobytes()
    step = 4 * r
    return [i.to_bytes(2, "big") + xxhash.xxh3_64_digest(raw[i * step:(i + 1) * step])
            for i in range(config.bands)]


EMPTY_VALUE = _EMPTY  # every value of the signature of a text without shingles
_BAND_MULTIPLIERS = np.random.default_rng(0x7E5E).integers(1, 1 << 63, size=(4096,), dtype=np.uint64) | np.uint64(1)


def band_key_matrix(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, num_perm) uint32 signatures -> (n, bands) uint64 LSH bucket keys. Band ``b``'s key mixes
    its ``rows`` values with per-(band, row) odd multipliers and a 64-bit finalizer, so equal bands
    give equal keys and different bands (or band positions) collide with probability ~2^-64."""
    n = sigs.shape[0]
    if bands * rows > len(_BAND_MULTIPLIERS):
        raise ValueError("bands x rows above 4096")
    vals = sigs[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    mult = _BAND_MULTIPLIERS[: bands * rows].reshape(1, bands, rows)
    with np.errstate(over="ignore"):
        mixed = _fmix64(vals * mult + np.arange(1, bands * rows + 1, dtype=np.uint64).reshape(1, bands, rows))
        return _fmix64((mixed * mult).sum(axis=2, dtype=np.uint64) + np.arange(bands, dtype=np.uint64))


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity: the fraction of equal signature values (as datasketch)."""
    a, b = np.asarray(sig_a), np.asarray(sig_b)
    if a.shape != b.shape:
        raise ValueError(f"signature shapes differ: {a.shape} vs {b.shape}")
    return float(np.count_nonzero(a == b)) / float(len(a))


def exact_jaccard(text_a: str, text_b: str, config: MinHashConfig | None = None) -> float:
    """Exact Jaccard similarity of the two documents' shingle sets (reference, for evaluation)."""
    sa, sb = set(shingles(text_a, config)), set(shingles(text_b, config))
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def signatures(texts: Iterable[str], config: MinHashConfig | None = None) -> np.ndarray:
    """Convenience: ``MinHasher(config).signatures(list(texts))``."""
    return MinHasher(config).signatures(list(texts))
