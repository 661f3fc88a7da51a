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
are reduced to leftmost-longest non-overlapping ones.

Per document (``scan``): ``hits`` (non-overlapping matches), ``hit_ratio`` = hits per word for
spaced text and hits per non-space character for CJK text (``lang`` in zh/ja/th/ko/my/km/lo, or
when ``lang`` is None and more than half the letters are in unspaced scripts), ``categories``
(sorted) and ``spans`` ``[{'start','end','category','lang'}]`` in code-point offsets of ``text``.

Very short unspaced entries (default: a single character) are dropped at load time
(``min_unspaced_len``), as they fire inside ordinary words; ``stopterms`` removes further entries.
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import ahocorasick

Counter = Callable[..., None]

_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF), (0x0F00, 0x0FFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF),
    (0x3100, 0x312F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)
_UNSPACED_RE = re.compile(
    "[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)
CJK_LANGS = frozenset({"zh", "ja", "th", "ko", "my", "km", "lo", "bo"})
POLITICAL = ("political", "political_reactionary")
_WS = re.compile(r"\s+")


def is_unspaced_char(ch: str) -> bool:
    """True for a character of a script written without spaces between words."""
    o = ord(ch)
    for lo, hi in _UNSPACED_RANGES:
        if lo <= o <= hi:
            return True
    return False


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() and not is_unspaced_char(ch)


def normalize_term(term: str) -> str:
    """Entry normal form: NFKC, lower case, inner whitespace collapsed to one space, stripped."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", term).lower()).strip()


def normalize_text(text: str) -> tuple[str, list[int] | None]:
    """Text normal form (NFKC + lower case) and, when lengths differ, the map normal->original index."""
    if text.isascii():
        return text.lower(), None
    norm = unicodedata.normalize("NFKC", text).lower()
    if len(norm) == len(text):
        return norm, None
    chars, index = [], []
    for i, ch in enumerate(text):
        n = unicodedata.normalize("NFKC", ch).lower()
        chars.append(n)
        index.extend([i] * len(n))
    index.append(len(text))
    return "".join(chars), index


@dataclass
class BlocklistResult:
    """What ``WordBlocklist.scan`` found in one document."""

    hits: int = 0
    hit_ratio: float = 0.0
    categories: list[str] = field(default_factory=list)
    spans: list[dict] = field(default_factory=list)
    distinct: int = 0

    def flagged(self, min_distinct: int = 2) -> bool:
        """Document-level flag: at least ``min_distinct`` different entries were found."""
        return self.distinct >= min_distinct

    def to_dict(self) -> dict:
        return {"hits": self.hits, "hit_ratio": self.hit_ratio, "categories": self.categories,
                "distinct": self.distinct, "spans": self.spans}


def _read_entries(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        return [line.strip() for line in fh if line.strip() and not line.lstrip().startswith("#")]


class WordBlocklist:
    """An immutable set of (term, lang, category) entries compiled into one Aho-Corasick automaton."""

    def __init__(self, entries: Iterable[tuple[str, str | None, str]] = (), min_unspaced_len: int = 2,
                 stopterms: Iterable[str] = ()):
        """``entries``: ``(term, lang or None, category)``. Terms are normalised (``normalize_term``)."""
        stop = {normalize_term(t) for t in stopterms}
        self.min_unspaced_len = min_unspaced_len
        self._entries: dict[str, set[tuple[str | None, str]]] = {}
        self.dropped: list[str] = []
        for term, lang, cat in entries:
            t = normalize_term(term)
            if not t or t in stop:
                continue
            if all(is_unspaced_char(c) for c in t if not c.isspace()) and len(t) < min_unspaced_len:
                self.dropped.append(t)
                continue
            self._entries.setdefault(t, set()).add((lang, cat))
        self._auto = ahocorasick.Automaton()
        for t, owners in self._entries.items():
            left = _is_word_char(t[0])
            right = _is_word_char(t[-1])
            self._auto.add_word(t, (len(t), left, right, tuple(sorted(owners, key=lambda o: (o[0] or "", o[1])))))
        if self._entries:
            self._auto.make_automaton()
        self.langs = sorted({lang for owners in self._entries.values() for lang, _ in owners if lang})
        self.categories = sorted({cat for owners in self._entries.values() for _, cat in owners})

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[tuple[str, str | None, str]]:
        """All ``(term, lang, category)`` entries, sorted."""
        return sorted(((t, lang, cat) for t, owners in self._entries.items() for lang, cat in owners),
                      key=lambda e: (e[0], e[1] or "", e[2]))

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
                          exclude: Iterable[str] = POLITICAL, lang: str | None = "zh", **kw) -> "WordBlocklist":
        """One category per ``<category>__*.txt`` in ``path``; ``categories`` None = all but ``exclude``."""
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
        return cls(entries, **kw)

    def merge(self, other: "WordBlocklist") -> "WordBlocklist":
        """A new blocklist with the entries of both."""
        return WordBlocklist(self.entries() + other.entries(),
                             min_unspaced_len=min(self.min_unspaced_len, other.min_unspaced_len))

    # ---- scanning ---------------------------------------------------------------------------
    def scan(self, text: str, lang: str | Iterable[str] | None = None,
             count: Counter | None = None) -> BlocklistResult:
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
        norm, index = normalize_text(text)
        n = len(norm)
        raw = []
        for end, (length, left, right, owners) in self._auto.iter(norm):
            start = end - length + 1
            if left and start > 0 and _is_word_char(norm[start - 1]):
                continue
            if right and end + 1 < n and _is_word_char(norm[end + 1]):
                continue
            if langs is not None:
                owners = tuple(o for o in owners if o[0] is None or o[0] in langs)
                if not owners:
                    continue
            raw.append((start, end + 1, owners))
        if not raw:
            return BlocklistResult(hit_ratio=0.0)
        raw.sort(key=lambda r: (r[0], -(r[1] - r[0])))
        spans = []
        last_end = -1
        cats = set()
        terms = set()
        for s, e, owners in raw:
            if s < last_end:
                continue
            last_end = e
            s0, e0 = s, e
            if index is not None:
                s, e = index[s], index[e]
            o_lang, o_cat = owners[0]
            cats.update(c for _, c in owners)
            spans.append({"start": s, "end": e, "category": o_cat, "lang": o_lang})
            terms.add(norm[s0:e0])
        hits = len(spans)
        result = BlocklistResult(hits=hits, hit_ratio=hits / max(1, _units(text, lang)),
                                 categories=sorted(cats), spans=spans, distinct=_distinct_roots(terms))
        if count is not None:
            count("blocklist_hits", hits)
            count("blocklist_docs_flagged", 1)
        return result


def _distinct_roots(terms: set[str]) -> int:
    """Number of found terms that are not a substring of another found term (variants count once)."""
    return sum(1 for t in terms if not any(t != u and t in u for u in terms))


def _units(text: str, lang: str | None) -> int:
    """Denominator of hit_ratio: non-space characters for CJK text, whitespace words otherwise."""
    if lang in CJK_LANGS or (lang is None and _mostly_unspaced(text)):
        return sum(1 for c in text if not c.isspace())
    return len(text.split())


def _mostly_unspaced(text: str) -> bool:
    sample = text[:2000]
    unspaced = len(_UNSPACED_RE.findall(sample))
    letters = sum(1 for c in sample if c.isalpha())
    return unspaced * 2 > letters
