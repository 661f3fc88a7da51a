"""Segmentation of document text into spans.

Spans are ``(start, end)`` pairs of Python str (code point) offsets into the document text,
``start`` inclusive and ``end`` exclusive, the one span format used for every granularity.

- ``paragraph_spans``: non-blank lines, trimmed.
- ``sentence_spans``: sentences inside paragraphs (never crossing a paragraph boundary), trimmed.
  Spaced scripts split after ``. ! ?`` (and the terminals of Arabic, Indic, Armenian, Ethiopic,
  Khmer, Myanmar, ...) followed by white space, but not after abbreviations ("Dr.", "e.g.",
  "U.S.", "z.B."), initials ("J. Smith"), ordinals in languages that write them with a dot
  ("am 3. Oktober"), before a lower-case word, inside numbers ("3.14"), URLs or e-mail addresses,
  or at ellipses (unless an upper-case word follows). Chinese and Japanese split after
  ``。！？；`` and their full-width / half-width forms with no space needed; closing quotes and
  brackets stay with the sentence they close. Thai and Lao, which write no sentence punctuation,
  split at the spaces between two Thai/Lao characters.
"""
from __future__ import annotations

import re

from filters._native import native

# a line's first to last non-space character (a match starts at the first non-space character
# after the previous match, which is the first of its line; ``\s`` is ``str.isspace``)
_TRIMMED_LINE = re.compile(r"\S(?:[^\n]*\S)?")


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs are the non-blank lines of ``text``, trimmed of surrounding whitespace.

    Web extractors (WET, HTML main text) emit one block element per line, so a line is the unit
    that boilerplate, navigation and language switches follow.
    """
    return [m.span() for m in _TRIMMED_LINE.finditer(text)]



# Closing quotes and brackets that belong to the sentence they end.
_CLOSERS = "\"'”’»›)\\]}）】」』〉》〕〗〙〛］｝〞〟＂＇"
# Terminals that end a sentence wherever they stand (CJK and full-width forms, no space needed).
_CJK_TERMINALS = "。！？；｡．‼⁇⁈⁉︒﹒﹖﹗"
# Terminals of spaced scripts, a sentence end when white space (or the paragraph end) follows.
_SPACED_TERMINALS = "!?؟।॥۔።፧፨᙮᠃᠉։܀܁܂჻၊။។៕꓿꘎꛳꛷;"  # ";": Greek question mark (U+037E, NFC folds it to ";"), used for lang "el" only

_CJK_SET = frozenset(_CJK_TERMINALS)
_ALL_TERMINALS = _CJK_TERMINALS + _SPACED_TERMINALS + ".…"
# Candidate sentence ends: clusters of terminals and closers (a cluster starts at its first
# terminal and takes every terminal and closer after it). One character class first, so the regex
# engine scans for candidates quickly. A cluster without a CJK terminal ends a sentence only
# before white space or a CJK character (see _is_cjk_char), which the pattern checks itself (a
# lookahead: a cluster failing it fails from every later start inside it too). Group 1: a lone
# dot (the group holds the white space after it); group 2: a cluster with a CJK terminal; neither:
# another cluster. _split decides the rest.
_T_SPACED = re.escape(_SPACED_TERMINALS + ".…")
_T_CJK = re.escape(_CJK_TERMINALS)
_T_ANY = re.escape(_ALL_TERMINALS)
_C_ANY = re.escape(_CLOSERS)
_SPACE_OR_CJK_NEXT = r"(?=[\s\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF\U00020000-\U0003FFFF])"
_BOUNDARY = re.compile(
    f"[{_T_ANY}](?:(?<=\\.)(?![{_T_ANY}{_C_ANY}]){_SPACE_OR_CJK_NEXT}(\\s*)"
    f"|((?<=[{_T_CJK}])[{_T_ANY}]*+[{_C_ANY}]*+|[{_T_SPACED}]*+[{_T_CJK}][{_T_ANY}]*+[{_C_ANY}]*+)"
    f"|[{_T_SPACED}]*+[{_C_ANY}]*+{_SPACE_OR_CJK_NEXT})")

# Abbreviations (lower case, without the final dot) after which a dot does not end a sentence.
_ABBREVIATIONS = frozenset("""
mr mrs ms mx dr prof sr jr st mt ft messrs mme mlle mm hr hrn fr frl dipl ing mag univ
etc vs viz cf al approx appr ca esp incl excl est dept univ assn bros co corp inc ltd llc plc gmbh
jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
no nos nr nro núm vol vols fig figs p pp pg ch chap sec sect art para abs ed eds rev repr trans
gen col capt lt sgt cmdr adm gov sen rep pres supt insp
bzw vgl usw ggf evtl inkl zzgl bspw sog ca tel str bd hrsg jh jhd mio mrd
env cf av apr ex éd
sra srta ud uds vd vds dña pág págs aprox
sig dott dott.ssa sig.ra pag
sr sra prof.ª dra
т.е т.к т.д т.п г гг ул им др см стр рис тыс млн млрд руб коп проф акад
""".split())

# Languages that write ordinal numbers with a dot ("3. Oktober").
_ORDINAL_DOT_LANGS = frozenset({"de", "da", "no", "nb", "nn", "fi", "cs", "sk", "pl", "hu", "hr", "sl", "sr",
                                "bs", "et", "lv", "lt", "is", "tr", "fo", "lb"})

_DOTTED_ACRONYM = re.compile(r"^(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}$")
_THAI_LAO_SPACE = re.compile(r"(?<=[\u0E00-\u0EFF])[ \t\u00a0]+(?=[\u0E00-\u0EFF])")
_THAI_MIN_CHARS = 12                # Thai/Lao space-separated pieces shorter than this are merged
_THAI_LAO_CHAR = re.compile(r"[\u0E00-\u0EFF]")
_THAI_LAO_UTF8 = re.compile(rb"\xe0[\xb8-\xbb]")  # U+0E00..U+0EFF in UTF-8 (0xE0 is only ever a lead byte)


def _has_thai_lao(text: str) -> bool:
    """Whether ``text`` holds a Thai or Lao character (``_THAI_LAO_CHAR``); searching the UTF-8
    bytes is about 3x faster than a str character-class scan."""
    if text.isascii():
        return False
    return _THAI_LAO_UTF8.search(text.encode("utf-8", "surrogatepass")) is not None
_OPENERS = "\"'\u201c\u2018\u00ab(["  # opening quotes and brackets stripped from the token before a dot
# the last white space or CJK character of a token (see _is_cjk_char), to cut non-ASCII tokens
_SPACE_OR_CJK = r"\s\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF\U00020000-\U0003FFFF"
# up to the last white space or CJK character (matched in the 24-character window of _token_before)
_LAST_SPACE_OR_CJK = re.compile(rf"(?:[^{_SPACE_OR_CJK}]*+[{_SPACE_OR_CJK}])++")


# the code points of _is_cjk_char (for the compiled kernel)
_CJK_RANGES = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))


def _is_cjk_char(ch: str) -> bool:
    """Han, kana, CJK punctuation and full-width forms: text where a sentence may end with no space.
    (Thai and Lao are unspaced too but their sentences are separated by spaces.)"""
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF


def _token_before(text: str, s_start: int, dot: int, other_spaces: bool) -> tuple[int, str]:
    """(start, token) of the token before the dot at ``dot``: back to white space, a CJK character or
    the sentence start ``s_start`` (at most 24 characters), without leading opening brackets/quotes.
    ``other_spaces`` False promises that ``text`` holds no tab and no no-break space."""
    lo = dot - 24
    if lo < s_start:
        lo = s_start
    if other_spaces:
        i = max(text.rfind(" ", lo, dot), text.rfind("\t", lo, dot), text.rfind("\u00a0", lo, dot)) + 1 or lo
    else:
        i = text.rfind(" ", lo, dot) + 1 or lo
    tok = text[i:dot]
    if not tok.isascii():
        m = _LAST_SPACE_OR_CJK.match(text, i, dot)
        if m is not None:
            i = m.end()
            tok = text[i:dot]
    return i, tok.lstrip(_OPENERS)


def _dot_is_boundary(text: str, s_start: int, dot: int, nxt: int, lang: str | None,
                     other_spaces: bool = True) -> bool:
    """Decide whether the dot at ``dot`` (next non-space character at ``nxt``) ends a sentence
    that began at ``s_start``. ``other_spaces`` False promises that ``text`` holds no tab and no
    no-break space (the token is then cut at the last plain space only)."""
    i, tok = _token_before(text, s_start, dot, other_spaces)
    if not tok:
        return True
    ch = text[nxt]
    if tok.isdigit():
        j = i
        while j > s_start and text[j - 1].isspace():
            j -= 1
        if j == s_start or ch.isdigit():
            return False                          # list numbering "1. Introduction", dates "10. 10. 2013"
        # digits are no abbreviation, initial or acronym
        if ch.islower():
            return False
        return not (len(tok) <= 2 and lang in _ORDINAL_DOT_LANGS and ch.isalpha())  # "am 3. Oktober"
    # "approx. five", "etc. and so on"; abbreviations; initials "J. R. R. Tolkien"; e.g. i.e. U.S. z.B. т.е.
    return not (ch.islower() or tok.lower() in _ABBREVIATIONS or (len(tok) == 1 and tok.isalpha())
                or ("." in tok and _DOTTED_ACRONYM.match(tok) is not None))


def _split(text: str, paragraphs, lang: str | None, out: list) -> None:
    """Append the sentences of every paragraph to ``out`` (one regex pass over the text).

    The common candidate, a lone ``.`` before white space, is decided inline (the pattern has
    already skipped the white space after it); other clusters take the general path. Per
    accepted boundary the sentence is trimmed and appended directly: it ends at a terminal or
    closer (never white space), so only its start needs trimming."""
    n_par = len(paragraphs)
    if not n_par:
        return
    other_spaces = "\t" in text or "\u00a0" in text
    append = out.append
    isalnum_at = _ALNUM.search
    abbreviations = _ABBREVIATIONS
    pi = 0
    ps, pe = paragraphs[0]
    start, first = ps, len(out)
    for m in _BOUNDARY.finditer(text, ps, paragraphs[-1][1]):
        ms = m.start()
        if ms >= pe:
            while ms >= pe:                       # close the paragraphs before this match
                _add(text, start, pe, out, first)
                pi += 1
                ps, pe = paragraphs[pi]
                start, first = ps, len(out)
        if ms < ps:
            continue                              # between paragraphs
        kind = m.lastindex
        if kind == 1:                             # a lone dot before white space or a CJK character
            end = ms + 1
            if end >= pe:
                continue                          # the paragraph end closes the sentence anyway
            nxt = m.end()                         # past the white space after the dot (end < pe if none)
            if nxt >= pe:
                continue                          # only white space up to the paragraph end
            i, tok = _token_before(text, start, ms, other_spaces)
            if tok:
                ch = text[nxt]
                if ch.islower():
                    continue                      # "approx. five", "etc. and so on", "3. juni"
                if tok.isdigit():
                    j = i
                    while j > start and text[j - 1].isspace():
                        j -= 1
                    if j == start or ch.isdigit():
                        continue                  # list numbering "1. Introduction", dates "10. 10. 2013"
                    if len(tok) <= 2 and lang in _ORDINAL_DOT_LANGS and ch.isalpha():
                        continue                  # "am 3. Oktober"
                elif (tok.lower() in abbreviations or (len(tok) == 1 and tok.isalpha())
                      or ("." in tok and _DOTTED_ACRONYM.match(tok) is not None)):
                    continue                      # "Dr.", initials "J. R. R. Tolkien", "e.g.", "U.S.", "т.е."
        else:
            end = m.end()
            if end >= pe:
                continue
            if kind is None:                      # no CJK terminal (white space or a CJK character follows)
                core = m.group().rstrip(_CLOSERS)
                if core[0] in ".…" and not core.strip(".…"):
                    nxt = end
                    while nxt < pe and text[nxt].isspace():
                        nxt += 1
                    if nxt >= pe:
                        continue
                    if len(core) > 1 or core == "…":  # an ellipsis: a boundary only before an upper-case word
                        if not text[nxt].isupper():
                            continue
                    elif not _dot_is_boundary(text, start, ms, nxt, lang, other_spaces):
                        continue
                elif core[0] == ";" and lang != "el":
                    continue                      # ";" (U+037E) folds to ";" in NFC: Greek only
        # accepted: the sentence is text[s:end], s = start past white space (text[end - 1] is not space)
        s = start
        while text[s].isspace():
            s += 1
        if text[s].isalnum() or isalnum_at(text, s, end) is not None:
            append((s, end))
            start = end
        elif len(out) > first:
            out[-1] = (out[-1][0], end)           # punctuation or emoji alone joins the sentence before,
            start = end                           # or the one after at the start of a paragraph
    _add(text, start, pe, out, first)
    for ps, pe in paragraphs[pi + 1:]:
        _add(text, ps, pe, out, len(out))


def _add(text: str, s: int, e: int, out: list, first: int) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e <= s:
        return
    if len(out) > first and not _has_alnum(text, s, e):
        out[-1] = (out[-1][0], e)                 # trailing punctuation or emoji joins the sentence before
    else:
        out.append((s, e))


_ALNUM = re.compile(r"[^\W_]")  # one character for which str.isalnum() is true


def _has_alnum(text: str, s: int, e: int) -> bool:
    return text[s].isalnum() or _ALNUM.search(text, s, e) is not None


def sentence_spans(text: str, lang: str | None = None,
                   paragraphs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Sentence spans of ``text``, in order, each inside one paragraph span (default:
    ``paragraph_spans(text)``; given ones must be sorted and disjoint), trimmed of white space. ``lang`` (ISO code, optional) enables the
    language-specific rules (dotted ordinals; Thai/Lao space splitting is also used whenever a
    paragraph contains Thai/Lao characters)."""
    if paragraphs is None:
        paragraphs = paragraph_spans(text)
    out: list[tuple[int, int]] = []
    thai_doc = lang in ("th", "lo") or (lang is None and _has_thai_lao(text))
    if not thai_doc:
        _split(text, paragraphs, lang, out)
        return out
    pieces: list[tuple[int, int]] = []
    _split(text, paragraphs, lang, pieces)
    for s, e in pieces:
        start = s
        parts = []
        for m in _THAI_LAO_SPACE.finditer(text, s, e):
            parts.append((start, m.start()))
            start = m.end()
        parts.append((start, e))
        merged: list[tuple[int, int]] = []
        for a, b in parts:                        # fragments (numbers, single words) join a neighbour
            if merged and (b - a < _THAI_MIN_CHARS or merged[-1][1] - merged[-1][0] < _THAI_MIN_CHARS):
                merged[-1] = (merged[-1][0], b)
            else:
                merged.append((a, b))
        out.extend(merged)
    return out


# The compiled kernels of filters/_native/segment.pyx replace these pure-Python references when
# they are built (tests/filters/test_native_segment.py checks each pair gives the same result).
PY_KERNELS = {"split": _split, "paragraph_spans": paragraph_spans}


def _configure(kernels) -> None:
    """Hand this module's character sets, abbreviations and references to the compiled module."""
    kernels.configure(_SPACED_TERMINALS + ".…", _CJK_TERMINALS, _CLOSERS, _OPENERS, _CJK_RANGES,
                      _ABBREVIATIONS, _ORDINAL_DOT_LANGS, PY_KERNELS["split"], PY_KERNELS["paragraph_spans"])


_KERNELS = native("segment")
if _KERNELS is not None:
    _configure(_KERNELS)
    _split = _KERNELS.split
    paragraph_spans = _KERNELS.paragraph_spans
