"""Word blocklists: per-language / per-category term lists matched with Aho-Corasick.

Sources:
- LDNOOBW layout: a folder with ``<lang>.txt`` files, one entry a line (``from_ldnoobw_dir``);
  the category of these entries is ``'ldnoobw'`` unless given.
- Category layout: ``<category>__<anything>.txt`` files of one language (``from_category_dir``),
  e.g. the zh_konsheng lists. Trailing digits are dropped from the category (``porn2`` -> ``porn``).
  ``political`` and ``political_reactionary`` are excluded unless asked for; ``illegal_urls`` is a
  host list and belongs to ``filters.urlfilter``, so it is always skipped here.

Matching: text and entries are NFKC-normalised and lower-cased (case-insensitive; full-width
forms match their ASCII entries). An entry edge that is a letter/digit of a spaced script must
sit on a word boundary (no letter/digit of a spaced script next to it); an edge in an unspaced
script (Han, kana, hangul, Thai, ...) or a punctuation edge matches as a substring. So ``ass``
does not fire inside ``class``, while Chinese entries fire inside running text. Overlapping hits
are reduced to leftmost-longest non-overlapping ones. Allow-listed ordinary words that contain an
entry (``allow_terms``; the shipped list holds Chinese words such as 奶奶, 牛奶, 处女作, 老祖宗)
compete in that choice and are then dropped, so the entry inside them is not a hit.

Per document (``scan``): ``hits`` (non-overlapping matches), ``hit_ratio`` = hits per word for
spaced text and hits per non-space character for CJK text (``lang`` in zh/ja/th/ko/my/km/lo, or
when ``lang`` is None and more than half the letters are in unspaced scripts), ``categories``
(sorted) and ``spans`` ``[{'start','end','category','lang'}]`` in code-point offsets of ``text``.

Very short unspaced entries (default: a single character) are dropped at load time
(``min_unspaced_len``), as they fire inside ordinary words; ``stopterms`` removes further entries.

Document score (``BlocklistResult.score``): the sum, over the distinct entries found (variants that
contain each other count once, the longest one standing for the group), of each entry's weight.
Weights come from construction: ``term_weights`` maps ``(lang, term)`` (lang None = any language)
to a weight; ``weak_terms`` is a shortcut giving ``weak_weight`` (default 0.5) to each listed
entry; every other entry weighs ``default_weight`` (1.0). With ``short_weight`` set, the very short
unspaced entries are kept at that weight instead of being dropped (an explicit weight of 0 in
``term_weights`` still drops one). When several languages of the document own a term, the lowest
weight applies. ``default_scoring()`` gives the project's weights: the derived list in
``filters/resources/badword_weak_terms.txt`` (weak entries 0.5; entries rare in general text
1.75, so one of them plus any other hit flags a document while it alone does not; see
``benchmarks/derive_weak_terms.py`` for the criteria), the derived allow list
``filters/resources/badword_allow_terms.txt`` and ``short_weight=0.25``; the document flag is
``flagged_by_score(2.0)``.
"""
from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import ahocorasick_rs
import numpy as np

from filters._native import native
from filters.counting import Count
from filters.matching import overlapping_matches
from filters.scripts import SUBSTRING_MATCH_LANGS, UNSPACED_BLOCKS, char_class, in_blocks


_UNSPACED_RE = re.compile(f"[{char_class(UNSPACED_BLOCKS)}]")
DEFAULT_WEIGHTS_PATH = Path(__file__).resolve().parent / "resources" / "badword_weak_terms.txt"
DEFAULT_ALLOW_PATH = Path(__file__).resolve().parent / "resources" / "badword_allow_terms.txt"
DEFAULT_SHORT_WEIGHT = 0.25
DEFAULT_MIN_SCORE = 2.0
POLITICAL = ("political", "political_reactionary")
ALLOW = "\0allow"  # category marker of allow-listed words (never reported)
_WS = re.compile(r"\s+")


@functools.lru_cache(maxsize=1 << 16)
def is_unspaced_char(ch: str) -> bool:
    """True for a character of a script written without spaces between words."""
    return in_blocks(ord(ch), UNSPACED_BLOCKS)


@functools.lru_cache(maxsize=1 << 16)
def _is_word_char(ch: str) -> bool:
    return ch.isalnum() and not is_unspaced_char(ch)


def normalize_term(term: str) -> str:
    """Entry normal form: NFKC, lower case, inner whitespace collapsed to one space, stripped."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", term).lower()).strip()


@functools.lru_cache(maxsize=1 << 16)
def _char_form(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower()


def match_form(text: str) -> tuple[str, list[int] | None]:
    """The form blocklist terms are matched in (NFKC + lower case) and, when lengths differ, the map
    from its indices to the original text's (None: the same indices). When NFKC of the whole text
    changes its length, each character is mapped on its own, so every output character has one source.
    The characters NFKC changes alone (found with ``_odd_char_re``) are replaced in place; the whole text
    is normalised only when the result is not NFKC yet (combining marks out of order, characters that
    compose with their neighbours)."""
    norm, longer = _match_form(text)
    return norm, (None if longer is None else _index_map(text, longer))


def _match_form(text: str) -> tuple[str, dict[int, int] | None]:
    """``match_form`` with the index map left to ``_index_map``: ``{code point: length of its form}``
    of the characters whose form is not one character long (None: the same indices)."""
    if text.isascii():
        return text.lower(), None
    # most pages are already NFKC, which the quick check confirms at a fraction of normalize's cost
    if unicodedata.is_normalized("NFKC", text):
        norm = text.lower()
        if len(norm) == len(text):
            return norm, None
        return _per_char_form(text, set(_odd_char_re().findall(text)))
    odd = set(_odd_char_re().findall(text))
    # each character NFKC changes replaced by its NFKC form: compatibility equivalence holds under
    # concatenation, so this text has the same NFKC as the whole; when it is NFKC already, it is that
    near = _nfkc_replaced(text, odd)
    if unicodedata.is_normalized("NFKC", near):
        norm = near.lower()
    else:
        norm = unicodedata.normalize("NFKC", text).lower()
    if len(norm) == len(text):
        return norm, None
    return _per_char_form(text, odd, near)


def _per_char_form(text: str, odd: set[str], near: str | None = None) -> tuple[str, dict[int, int] | None]:
    """Each character mapped to its own form, with ``_match_form``'s length map (``odd``: the distinct
    characters of ``text`` that are not inert, see ``_odd_char_re``; ``near``: ``_nfkc_replaced(text, odd)``
    when known). lower() maps each character alone unless a capital sigma is there: then one
    ``str.translate`` over every character instead."""
    if "\u03a3" not in text and not any("\u03a3" in _nfkc(ch) for ch in odd):
        out = (near if near is not None else _nfkc_replaced(text, odd)).lower()
        return out, ({ord(ch): len(f) for ch in odd if len(f := _char_form(ch)) != 1} or None)
    table = {}
    for ch in set(text):
        form = _char_form(ch)
        if form != ch:
            table[ord(ch)] = form
    out = text.translate(table)
    longer = {o: len(f) for o, f in table.items() if len(f) != 1}
    return out, (longer or None)


def _nfkc_replaced(text: str, odd: set[str]) -> str:
    """``text`` with each character of ``odd`` that NFKC changes replaced by its NFKC form: a few
    ``str.replace`` when no form holds a changed character, else one ``str.translate``."""
    changed = [ch for ch in odd if _nfkc(ch) != ch]
    if len(changed) <= 16 and all(map(_nfkc_stable, changed)):
        for ch in changed:
            text = text.replace(ch, _nfkc(ch))
        return text
    return text.translate({ord(ch): _nfkc(ch) for ch in changed})


def _index_map(text: str, longer: dict[int, int]) -> list[int]:
    """Map from indices of a per-character form of ``text`` to indices of ``text`` (one entry past the end),
    given the lengths of the forms that are not one character long."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    keys = np.array(sorted(longer), dtype=np.uint32)
    lens = np.ones(len(cps), dtype=np.int64)
    hit = np.isin(cps, keys)
    lens[hit] = np.array([longer[k] for k in keys.tolist()], dtype=np.int64)[np.searchsorted(keys, cps[hit])]
    index = np.repeat(np.arange(len(text), dtype=np.int64), lens).tolist()
    index.append(len(text))
    return index


@functools.lru_cache(maxsize=1 << 16)
def _nfkc(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch)


@functools.lru_cache(maxsize=1 << 16)
def _nfkc_stable(ch: str) -> bool:
    """True when NFKC changes no character of ``ch``'s NFKC form."""
    return all(_nfkc(c) == c for c in _nfkc(ch))


# characters NFKC's quick check answers "maybe" for (they may compose with the character before: the second
# character of a primary composite's canonical decomposition, Hangul medial vowels and final consonants);
# tests/filters/test_native_blocklist.py checks this list against unicodedata
_COMPOSING = ((0x0300, 0x0304), (0x0306, 0x030C), (0x030F, 0x030F), (0x0311, 0x0311), (0x0313, 0x0314),
              (0x031B, 0x031B), (0x0323, 0x0328), (0x032D, 0x032E), (0x0330, 0x0331), (0x0338, 0x0338),
              (0x0342, 0x0342), (0x0345, 0x0345), (0x0653, 0x0655), (0x093C, 0x093C), (0x09BE, 0x09BE),
              (0x09D7, 0x09D7), (0x0B3E, 0x0B3E), (0x0B56, 0x0B57), (0x0BBE, 0x0BBE), (0x0BD7, 0x0BD7),
              (0x0C56, 0x0C56), (0x0CC2, 0x0CC2), (0x0CD5, 0x0CD6), (0x0D3E, 0x0D3E), (0x0D57, 0x0D57),
              (0x0DCA, 0x0DCA), (0x0DCF, 0x0DCF), (0x0DDF, 0x0DDF), (0x102E, 0x102E), (0x1161, 0x1175),
              (0x11A8, 0x11C2), (0x1B35, 0x1B35), (0x3099, 0x309A), (0x110BA, 0x110BA), (0x11127, 0x11127),
              (0x1133E, 0x1133E), (0x11357, 0x11357), (0x114B0, 0x114B0), (0x114BA, 0x114BA),
              (0x114BD, 0x114BD), (0x115AF, 0x115AF), (0x11930, 0x11930))


def _form_entry(cp: int) -> tuple[list[tuple[int, bool, int]], bool, bool] | None:
    """What the compiled scan (``filters/_native/blocklist.pyx``) needs of text character ``cp``: ``(items,
    check, changed)`` with one item per character of its form (NFKC, then lower case): (its code point,
    ``_is_word_char`` of it, canonical combining class of the NFKC character it comes from); ``check``: a
    text holding it is in match form only if ``unicodedata.is_normalized`` says so (a character that may
    compose with the one before it, see ``_COMPOSING``, or a form of several characters with a combining
    mark); ``changed``: NFKC changes it. None when a text holding it must take ``_match_form``'s general path
    (a lone surrogate; a capital sigma, whose lower case depends on its neighbours)."""
    if 0xD800 <= cp < 0xE000:
        return None
    ch = chr(cp)
    form = _nfkc(ch)
    items = []
    check = False
    for c in form:
        if c == "\u03a3":
            return None
        check = check or in_blocks(ord(c), _COMPOSING)
        ccc = unicodedata.combining(c)
        items.extend((ord(low), _is_word_char(low), ccc) for low in c.lower())
    check = check or (len(items) > 1 and any(ccc for _, _, ccc in items))
    return items, check, form != ch


def _inert(ch: str) -> bool:
    """Unchanged by NFKC and one character in lower case: its form is ``ch.lower()``, one character."""
    return unicodedata.normalize("NFKC", ch) == ch and len(ch.lower()) == 1


@functools.lru_cache(maxsize=1)
def _odd_char_re() -> re.Pattern:
    """A character outside the inert characters (``_inert``) of the Basic Multilingual Plane. A block
    whose string is NFKC (so no character of it changes alone) and keeps its length in lower case is
    inert as a whole; the others are checked character by character. Built once per process."""
    cps = np.arange(0x10000, dtype="<u4")
    cps[0xD800:0xE000] = 0
    every = cps.tobytes().decode("utf-32-le")  # index = code point (surrogates: U+0000, skipped below)
    runs: list[list[int]] = []

    def add(lo, hi):
        if runs and runs[-1][1] == lo - 1:
            runs[-1][1] = hi
        else:
            runs.append([lo, hi])
    for base in range(0, 0x10000, 256):
        if 0xD800 <= base < 0xE000:
            continue
        block = every[base:base + 256]
        if unicodedata.is_normalized("NFKC", block) and len(block.lower()) == len(block):
            add(base, base + 255)
            continue
        for cp in range(base, base + 256):
            if _inert(chr(cp)):
                add(cp, cp)
    cls = "".join(f"\\u{lo:04x}" if lo == hi else f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in runs)
    return re.compile(f"[^{cls}]")


@dataclass
class BlocklistResult:
    """What ``WordBlocklist.scan`` found in one document."""

    hits: int = 0
    hit_ratio: float = 0.0
    categories: list[str] = field(default_factory=list)
    spans: list[dict] = field(default_factory=list)
    distinct: int = 0
    score: float = 0.0
    max_weight: float = 0.0          # the heaviest entry found (< 1.0: only weak entries)

    def flagged(self, min_distinct: int = 2) -> bool:
        """Old document flag: at least ``min_distinct`` different entries (kept short entries not counted)."""
        return self.distinct >= min_distinct

    def flagged_by_score(self, min_score: float = DEFAULT_MIN_SCORE) -> bool:
        """Document flag on the weighted score: ``score >= min_score``."""
        return self.score >= min_score - 1e-9

    def to_dict(self) -> dict:
        return {"hits": self.hits, "hit_ratio": self.hit_ratio, "categories": self.categories,
                "distinct": self.distinct, "score": self.score, "max_weight": self.max_weight,
                "spans": self.spans}


def badword_flagged(score: float, max_weight: float | None, n_chars: int, min_score: float = DEFAULT_MIN_SCORE,
                    weak_only_min_score: float = 2.5, density_chars: int = 50_000) -> bool:
    """Document decision on a weighted score, read against the document's context and length.

    * ``score >= min_score`` flags a document of up to ``density_chars`` characters;
    * a longer one needs the same density: ``min_score * n_chars / density_chars`` (0: off), so a
      few hits in a long essay (a blog quoting "revenge porn") do not reject it;
    * a score made only of weak entries (``max_weight < 1``: words with clinical or ordinary uses,
      e.g. vagina, sexually, genitals) needs ``weak_only_min_score``: health and education pages
      use several of them without being obscene. ``max_weight`` None (older annotations): no rule.
    """
    need = min_score
    if max_weight is not None and 0.0 < max_weight < 1.0:
        need = max(need, weak_only_min_score)
    if density_chars and n_chars > density_chars:
        need *= n_chars / density_chars
    return score >= need - 1e-9


def load_term_weights(path: str | os.PathLike | None = None) -> dict[tuple[str | None, str], float]:
    """``{(lang, term): weight}`` from a weights file (default: ``DEFAULT_WEIGHTS_PATH``).

    File format: ``#`` comment lines, then ``lang<TAB>term<TAB>weight[<TAB>note]`` a line; ``*`` as
    lang means any language. Terms are normalised with ``normalize_term``.
    """
    return {(lang, normalize_term(parts[0])): float(parts[1])
            for lang, parts in _tsv_rows(path or DEFAULT_WEIGHTS_PATH)}


def load_allow_terms(path: str | os.PathLike | None = None) -> list[tuple[str | None, str]]:
    """``[(lang, word)]`` from an allow-list file (default: ``DEFAULT_ALLOW_PATH``).

    File format: ``#`` comment lines, then ``lang<TAB>word[<TAB>note]`` a line (``*``: any language).
    """
    return [(lang, normalize_term(parts[0])) for lang, parts in _tsv_rows(path or DEFAULT_ALLOW_PATH)]


def _tsv_rows(path: str | os.PathLike) -> Iterable[tuple[str | None, list[str]]]:
    """``(lang, other columns)`` per non-comment line of a ``lang<TAB>...`` file (``*``: lang None)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and not line.startswith("#"):
                lang, *rest = line.rstrip("\n").split("\t")
                yield (None if lang == "*" else lang), rest


def default_scoring(path: str | os.PathLike | None = None, allow_path: str | os.PathLike | None = None) -> dict:
    """Constructor keywords for the project's document score: ``term_weights`` from the derived
    weights file, ``allow_terms`` from the derived allow list and ``short_weight=DEFAULT_SHORT_WEIGHT``.
    Use as ``WordBlocklist.from_ldnoobw_dir(d, **default_scoring())`` then ``result.flagged_by_score()``."""
    return {"term_weights": load_term_weights(path), "short_weight": DEFAULT_SHORT_WEIGHT,
            "allow_terms": load_allow_terms(allow_path)}


def _read_entries(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        return [line.strip() for line in fh if line.strip() and not line.lstrip().startswith("#")]


class WordBlocklist:
    """An immutable set of (term, lang, category) entries compiled into one Aho-Corasick automaton."""

    def __init__(self, entries: Iterable[tuple[str, str | None, str]] = (), min_unspaced_len: int = 2,
                 stopterms: Iterable[str] = (), term_weights: dict | None = None,
                 weak_terms: Iterable[str | tuple[str | None, str]] = (), weak_weight: float = 0.5,
                 default_weight: float = 1.0, short_weight: float | None = None,
                 allow_terms: Iterable[tuple[str | None, str]] = (),
                 category_weights: dict[str, float] | None = None):
        """``entries``: ``(term, lang or None, category)``. Terms are normalised (``normalize_term``).

        ``allow_terms``: ``(lang or None, word)`` pairs of ordinary words that contain an entry
        (``处女座`` holds ``处女``, ``奶奶`` holds ``奶``): they take part in the leftmost-longest choice
        of matches, so an entry inside one of them is not a hit; the words themselves are never
        reported. A word that is also an entry stays an entry. ``category_weights``: ``{category:
        weight}`` replacing ``default_weight`` for the entries of that category (e.g. 0.5 for topic
        lists such as zh_konsheng's violence_terror, whose words name topics rather than insult).

        ``term_weights``: ``{(lang or None, term): weight}``; ``weak_terms``: terms or ``(lang, term)``
        pairs weighing ``weak_weight``; others weigh ``default_weight``. ``short_weight``: keep unspaced
        entries shorter than ``min_unspaced_len`` at this weight (None: drop them).
        """
        stop = {normalize_term(t) for t in stopterms}
        self.min_unspaced_len = min_unspaced_len
        self.default_weight = default_weight
        self.short_weight = short_weight
        self.category_weights = dict(category_weights or {})
        self._weights: dict[tuple[str | None, str], float] = {}
        for w in weak_terms:
            lang, term = (None, w) if isinstance(w, str) else w
            self._weights[(lang, normalize_term(term))] = weak_weight
        for (lang, term), w in (term_weights or {}).items():
            self._weights[(lang, normalize_term(term))] = float(w)
        self._entries: dict[str, set[tuple[str | None, str]]] = {}
        self._short: set[str] = set()
        self.dropped: list[str] = []
        for term, lang, cat in entries:
            t = normalize_term(term)
            if not t or t in stop:
                continue
            if all(is_unspaced_char(c) for c in t if not c.isspace()) and len(t) < min_unspaced_len:
                if short_weight is None or self._weight(lang, t, short_weight) <= 0:
                    self.dropped.append(t)
                    continue
                self._short.add(t)
            self._entries.setdefault(t, set()).add((lang, cat))
        self._allow: dict[str, set[str | None]] = {}
        for lang, term in allow_terms:
            t = normalize_term(term)
            if t and t not in self._entries:
                self._allow.setdefault(t, set()).add(lang)
        self._patterns, self._values = [], []
        for t, langs_ in self._allow.items():
            owners = tuple((lang, ALLOW) for lang in sorted(langs_, key=lambda x: x or ""))
            self._patterns.append(t)
            self._values.append((_is_word_char(t[0]), _is_word_char(t[-1]), owners, (0.0,) * len(owners)))
        for t, owners in self._entries.items():
            owners = tuple(sorted(owners, key=lambda o: (o[0] or "", o[1])))
            weights = tuple(self._weight(o[0], t, self._base(t, o[1])) for o in owners)
            self._patterns.append(t)
            self._values.append((_is_word_char(t[0]), _is_word_char(t[-1]), owners, weights))
        self._matchers: dict[frozenset | None, tuple] = {}  # per-process caches, see _matcher
        self._automata: dict[tuple, object] = {}
        self._by_lang: dict | None = None
        self._alphabet = None
        self.langs = sorted({lang for owners in self._entries.values() for lang, _ in owners if lang})
        self.categories = sorted({cat for owners in self._entries.values() for _, cat in owners})

    def _base(self, term: str, category: str) -> float:
        if term in self._short:
            return self.short_weight
        return self.category_weights.get(category, self.default_weight)

    def _weight(self, lang: str | None, term: str, base: float) -> float:
        w = self._weights.get((lang, term))
        if w is None:
            w = self._weights.get((None, term), base)
        return w

    def weight(self, term: str, lang: str | None = None) -> float:
        """Weight of entry ``term`` for a document of language ``lang`` (None: the lowest of its owners)."""
        t = normalize_term(term)
        owners = self._entries.get(t)
        if not owners:
            return 0.0
        ws = [self._weight(o, t, self._base(t, c)) for o, c in owners if lang is None or o is None or o == lang]
        return min(ws) if ws else 0.0

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[tuple[str, str | None, str]]:
        """All ``(term, lang, category)`` entries, sorted."""
        return sorted(((t, lang, cat) for t, owners in self._entries.items() for lang, cat in owners),
                      key=lambda e: (e[0], e[1] or "", e[2]))

    def allow_terms(self) -> list[tuple[str | None, str]]:
        """The allow-listed ``(lang, word)`` pairs in use (entries excluded), sorted."""
        return sorted(((lang, t) for t, langs in self._allow.items() for lang in langs),
                      key=lambda a: (a[0] or "", a[1]))

    # ---- constructors -----------------------------------------------------------------------
    @classmethod
    def from_ldnoobw_dir(cls, path: str | os.PathLike, langs: Iterable[str] | None = None,
                         category: str = "ldnoobw", **kw) -> "WordBlocklist":
        """One list per ``<lang>.txt`` in ``path`` (lang = file stem; ``fr-CA-...`` -> ``fr``)."""
        want = set(langs) if langs is not None else None
        entries = []
        for f in sorted(Path(path).glob("*.txt")):
            lang = f.stem.split("-")[0]
            if want is not None and lang not in want and f.stem not in want:
                continue
            entries.extend((t, lang, category) for t in _read_entries(f))
        return cls(entries, **kw)

    @classmethod
    def from_category_dir(cls, path: str | os.PathLike, categories: Iterable[str] | None = None,
                          exclude: Iterable[str] = POLITICAL, lang: str | None = "zh",
                          weight: float | None = None, **kw) -> "WordBlocklist":
        """One category per ``<category>__*.txt`` in ``path``; ``categories`` None = all but ``exclude``.
        ``weight``: the score weight of every entry read here (None: ``default_weight``)."""
        want = set(categories) if categories is not None else None
        excl = set(exclude or ())
        entries = []
        for f in sorted(Path(path).glob("*__*.txt")):
            raw = f.name.split("__", 1)[0]
            cat = re.sub(r"\d+$", "", raw)
            if cat == "illegal_urls":
                continue
            if want is not None:
                if cat not in want and raw not in want:
                    continue
            elif cat in excl or raw in excl:
                continue
            entries.extend((t, lang, cat) for t in _read_entries(f))
        if weight is not None:
            kw["category_weights"] = {**{cat: weight for _, _, cat in entries}, **kw.get("category_weights", {})}
        return cls(entries, **kw)

    def merge(self, other: "WordBlocklist") -> "WordBlocklist":
        """A new blocklist with the entries of both."""
        weights = dict(other._weights)
        weights.update(self._weights)
        short = self.short_weight if self.short_weight is not None else other.short_weight
        return WordBlocklist(self.entries() + other.entries(),
                             min_unspaced_len=min(self.min_unspaced_len, other.min_unspaced_len),
                             term_weights=weights, default_weight=self.default_weight, short_weight=short,
                             allow_terms=self.allow_terms() + other.allow_terms(),
                             category_weights={**other.category_weights, **self.category_weights})

    # ---- scanning ---------------------------------------------------------------------------
    def scan(self, text: str, lang: str | Iterable[str] | None = None,
             count: Count | None = None) -> BlocklistResult:
        """Find entries in ``text``.

        ``lang``: a language code or several (e.g. the languages of a mixed document); only the
        entries of those languages (and entries without a language) apply. None: every entry.
        """
        if not text or not self._entries:
            return BlocklistResult()
        langs = None
        if lang is not None:
            langs = {lang} if isinstance(lang, str) else set(lang)
            lang = lang if isinstance(lang, str) else next(iter(sorted(langs)), None)
        auto, values, patterns = self._matcher(None if langs is None else frozenset(langs))
        if auto is None:
            return BlocklistResult(hit_ratio=0.0)
        raw = []
        found = _compiled_scan(auto, text) if _NATIVE is not None else None
        if found is not None:  # the compiled scan: match form, matches and word boundaries in one pass
            hits, index = found
            longer = None
            for k, start, end in hits:
                v = values[k]
                if v is not None:
                    raw.append((start, end, v[2], v[3], patterns[k]))
        else:
            norm, longer = _match_form(text)
            index = None
            n = len(norm)
            for k, start, end in (auto.find(norm) if _NATIVE is not None else overlapping_matches(auto, norm)):
                v = values[k]
                if v is None:
                    continue
                left, right, owners, weight = v
                if left and start > 0 and _is_word_char(norm[start - 1]):
                    continue
                if right and end < n and _is_word_char(norm[end]):
                    continue
                raw.append((start, end, owners, weight, norm[start:end]))
        if not raw:
            return BlocklistResult(hit_ratio=0.0)
        # (allow-listed words take part in the leftmost-longest choice, then are not reported)
        raw.sort(key=lambda r: (r[0], -(r[1] - r[0])))
        spans = []
        last_end = -1
        cats = set()
        terms: dict[str, float] = {}
        for s, e, owners, weight, term in raw:
            if s < last_end:
                continue
            last_end = e
            if owners[0][1] == ALLOW:
                continue
            if longer is not None and index is None:
                index = _index_map(text, longer)
            if index is not None:
                s, e = index[s], index[e]
            o_lang, o_cat = owners[0]
            cats.update(c for _, c in owners)
            spans.append({"start": s, "end": e, "category": o_cat, "lang": o_lang})
            terms[term] = weight
        hits = len(spans)
        roots = _roots(terms)
        result = BlocklistResult(hits=hits, hit_ratio=hits / max(1, _units(text, lang)),
                                 categories=sorted(cats), spans=spans,
                                 distinct=sum(1 for t in roots if t not in self._short),
                                 score=round(sum(terms[t] for t in roots), 6),
                                 max_weight=max((terms[t] for t in roots), default=0.0))
        if count is not None and hits:
            count("blocklist_hits", hits)
            count("blocklist_docs_with_hits")
        return result

    def _automaton(self, ks) -> object:
        """The automaton of patterns ``ks`` (indices into ``_patterns``; match ``k`` = ``ks[k]``): the compiled
        ``Matcher`` when built (over this blocklist's ``Alphabet``), else ``_automaton``'s."""
        patterns = [self._patterns[k] for k in ks]
        if _NATIVE is None:
            return _automaton(patterns)
        if self._alphabet is None:
            self._alphabet = _NATIVE.Alphabet("".join(self._patterns), _form_entry)
        return _NATIVE.Matcher(self._alphabet, patterns, [self._values[k][0] for k in ks],
                               [self._values[k][1] for k in ks])

    def _matcher(self, langs: frozenset | None) -> tuple:
        """(automaton or None, values, patterns) for documents of ``langs`` (None: every entry). ``values[k]`` of a
        pattern found is (left edge is a word character, right edge is one, the owners of those languages,
        their lowest weight), or None when no owner is of those languages (or of none). A document of one
        language gets an automaton of only the patterns with such an owner (same occurrences of those,
        none of the others); other sets share the full automaton and fill their values as patterns turn
        up. Built on first use and kept per process (bounded: the language sets of several languages are
        dropped when there are 1024)."""
        m = self._matchers.get(langs)
        if m is not None:
            return m
        if langs is not None and len(langs) == 1:
            if self._by_lang is None:
                by_lang: dict[str | None, list[int]] = {}
                for k, (_, _, owners, _) in enumerate(self._values):
                    for lang in {o[0] for o in owners}:
                        by_lang.setdefault(lang, []).append(k)
                self._by_lang = by_lang
            (lang,) = langs
            ks = sorted(set(self._by_lang.get(None, ())) | set(self._by_lang.get(lang, ())))
            patterns = [self._patterns[k] for k in ks]
            auto = self._automata.get(tuple(ks))
            if auto is None and ks:
                auto = self._automata[tuple(ks)] = self._automaton(ks)
            m = (auto, [_for_langs(self._values[k], langs) for k in ks], patterns)
        else:
            full = self._matchers.get(None)
            if full is None:
                auto = self._automaton(range(len(self._patterns))) if self._patterns else None
                full = self._matchers[None] = (auto, [_for_langs(v, None) for v in self._values], self._patterns)
            m = full if langs is None else (full[0], _LangValues(self._values, langs), full[2])
        if len(self._matchers) >= 1024:  # bounded: documents' language sets repeat
            # (the matchers of one language and their automata, one per language, are kept)
            kept = {k: v for k, v in self._matchers.items() if k is None or len(k) == 1}
            if len(kept) >= 512 or len(self._automata) >= 512:
                kept = {None: kept[None]} if None in kept else {}
                self._automata.clear()
            self._matchers = kept
        self._matchers[langs] = m
        return m


def _compiled_scan(auto, text: str) -> tuple[list, list[int] | None] | None:
    """``auto.scan(text)`` (a compiled ``Matcher``) as ``(hits, index)``, with the NFKC check it leaves to
    the caller done as ``_match_form`` does it; None when ``text`` takes the general path."""
    found = auto.scan(text)
    if found is None:
        return None
    hits, index, pieces, changed = found
    if pieces:  # the near form (_nfkc_replaced) is NFKC when each piece's near form is
        if changed:
            if not all(unicodedata.is_normalized("NFKC", "".join(map(_nfkc, text[lo:hi]))) for lo, hi in pieces):
                return None
        elif not all(unicodedata.is_normalized("NFKC", text[lo:hi]) for lo, hi in pieces):
            return None
    return hits, index


class _LangValues(dict):
    """``WordBlocklist._matcher``'s values of one language set, each computed when first asked for."""

    def __init__(self, values: list, langs: frozenset):
        super().__init__()
        self.values, self.langs = values, langs

    def __missing__(self, k: int):
        v = self[k] = _for_langs(self.values[k], self.langs)
        return v


def _for_langs(value: tuple, langs: frozenset | None) -> tuple | None:
    """A pattern's (left, right, owners, weights) cut to the owners of ``langs`` (or of no language) and
    their lowest weight; None when none is left. ``langs`` None: every owner."""
    left, right, owners, weights = value
    keep = [i for i, o in enumerate(owners) if langs is None or o[0] is None or o[0] in langs]
    if not keep:
        return None
    return left, right, tuple(owners[i] for i in keep), min(weights[i] for i in keep)


def _automaton(patterns: list[str]):
    """Every occurrence of every pattern (overlapping), as (pattern index, start, end) in characters. (A DFA
    scans about 40% faster alone but takes 22 MB for the full lists against 1 MB, and inside the
    annotator, where other work evicts its tables from the caches, measured no faster.)"""
    return ahocorasick_rs.AhoCorasick(patterns, matchkind=ahocorasick_rs.MatchKind.Standard)


def _roots(terms) -> list[str]:
    """Found terms that are not a substring of another found term (variants count once)."""
    return [t for t in terms if not any(t != u and t in u for u in terms)]


def _units(text: str, lang: str | None) -> int:
    """Denominator of hit_ratio: non-space characters for CJK text, whitespace words otherwise."""
    if lang in SUBSTRING_MATCH_LANGS or (lang is None and _mostly_unspaced(text)):
        return _nonspace_count(text)
    return _word_count(text)


def _word_count(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(text.split())


def _nonspace_count(text: str) -> int:
    """Number of characters that are not whitespace."""
    return len("".join(text.split()))        # str.split() splits at exactly the str.isspace() characters


def _mostly_unspaced(text: str) -> bool:
    sample = text[:2000]
    unspaced = len(_UNSPACED_RE.findall(sample))
    letters = sum(1 for c in sample if c.isalpha())
    return unspaced * 2 > letters


# The compiled scan of filters/_native/blocklist.pyx (match form, Aho-Corasick and word boundaries in one
# pass over the text) replaces match_form and overlapping_matches when it is built; a text it cannot take
# (see _form_entry) goes through them with the compiled automaton's ``find``. The word counts are replaced
# by compiled functions
# (tests/filters/test_native_blocklist.py checks both give the same results).
PY_KERNELS = {"match_form": _match_form, "overlapping_matches": overlapping_matches,
              "word_count": _word_count, "nonspace_count": _nonspace_count}
_NATIVE = native("blocklist")
if _NATIVE is not None:
    _word_count = _NATIVE.word_count
    _nonspace_count = _NATIVE.nonspace_count
