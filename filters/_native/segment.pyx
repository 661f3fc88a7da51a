"""Kernels of filters/segment.py (each equal to the pure-Python function named in its docstring).

``configure`` must run first (filters/segment.py calls it on import): it hands over the character
sets, abbreviations and the pure-Python ``_split`` used for inputs outside the fast path.
The candidate scan reproduces ``segment._BOUNDARY.finditer`` position by position (three
alternatives, possessive runs, lookaheads that fail at ``endpos``); the character predicates are
CPython's own (``str.isspace`` is ``Py_UNICODE_ISSPACE``, regex ``\\s`` too, ``\\w`` is
``Py_UNICODE_ISALNUM`` or ``_``, regex ``\\d`` is ``Py_UNICODE_ISDECIMAL``).
"""
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.string cimport memset

from filters._native._unicode cimport (PyUnicode_DATA, PyUnicode_IS_ASCII, PyUnicode_KIND, PyUnicode_READ,
                                       PyUnicode_READY, Py_UNICODE_ISALNUM, Py_UNICODE_ISALPHA,
                                       Py_UNICODE_ISDECIMAL, Py_UNICODE_ISDIGIT, Py_UNICODE_ISLOWER,
                                       Py_UNICODE_ISSPACE, Py_UNICODE_ISUPPER)

# character classes (bits of _CLS for the BMP; astral code points are only ever CJK)
cdef enum:
    SP = 1    # terminal of spaced scripts, "." and "…" (segment._T_SPACED)
    CJ = 2    # CJK terminal (segment._T_CJK)
    CL = 4    # closer (segment._CLOSERS)
    CK = 8    # CJK character (segment._is_cjk_char)
    OP = 16   # opener stripped from a token (segment._OPENERS)
    TANY = 3

# the code units of the three str kinds (PyUnicode_1BYTE_KIND, 2BYTE, 4BYTE): every scan is compiled once
# for each, reading the characters directly
ctypedef unsigned char u1
ctypedef unsigned short u2
ctypedef Py_UCS4 u4
ctypedef fused chr_t:
    u1
    u2
    u4

cdef unsigned char _CLS[65536]
cdef Py_UCS4 _ASTRAL_LO = 0x110000, _ASTRAL_HI = 0   # the one astral CJK range
cdef bint _CONFIGURED = False
cdef object _ABBREVIATIONS = None, _ORDINAL_LANGS = None, _PY_SPLIT = None, _PY_PARAGRAPHS = None
cdef Py_ssize_t _ABBR_MAX = 0
# ASCII abbreviations by length (up to 32), first character and last character (a bit of its low 6 bits):
# an ASCII token whose bit is unset is no abbreviation (its lower() keeps the length and is ASCII)
cdef unsigned long long _ABBR_FILTER[33][128]


def configure(spaced: str, cjk: str, closers: str, openers: str, cjk_ranges, abbreviations,
              ordinal_langs, py_split, py_paragraph_spans) -> None:
    """Set the character sets (spaced terminals with "." and "…", CJK terminals, closers,
    openers, CJK code point ranges), the abbreviations, the ordinal-dot languages and the
    pure-Python ``_split`` / ``paragraph_spans`` (used for inputs outside the fast path)."""
    global _ASTRAL_LO, _ASTRAL_HI, _CONFIGURED, _ABBREVIATIONS, _ORDINAL_LANGS, _PY_SPLIT, _ABBR_MAX
    global _PY_PARAGRAPHS
    cdef Py_ssize_t c
    memset(_CLS, 0, sizeof(_CLS))
    for chars, bit in ((spaced, SP), (cjk, CJ), (closers, CL), (openers, OP)):
        for ch in chars:
            if ord(ch) >= 0x10000:
                raise ValueError("astral terminals, closers or openers are not supported")
            _CLS[ord(ch)] |= bit
    n_astral = 0
    for lo, hi in cjk_ranges:
        if lo >= 0x10000:
            n_astral += 1
            _ASTRAL_LO, _ASTRAL_HI = lo, hi
        elif hi >= 0x10000:
            raise ValueError("a CJK range may not cross U+FFFF")
        else:
            for c in range(lo, hi + 1):
                _CLS[c] |= CK
    if n_astral > 1:
        raise ValueError("at most one astral CJK range")
    _ABBREVIATIONS = frozenset(abbreviations)
    # str.lower() never shortens a string (every code point lowers to one or more), so a token
    # longer than the longest abbreviation is none
    _ABBR_MAX = max(map(len, _ABBREVIATIONS), default=0)
    memset(_ABBR_FILTER, 0, sizeof(_ABBR_FILTER))
    for a in _ABBREVIATIONS:
        if 0 < len(a) <= 32 and a.isascii():
            _ABBR_FILTER[len(a)][ord(a[0])] |= 1ULL << (ord(a[-1]) & 63)
    _ORDINAL_LANGS = frozenset(ordinal_langs)
    _PY_SPLIT = py_split
    _PY_PARAGRAPHS = py_paragraph_spans
    _CONFIGURED = True


cdef inline unsigned char _cls(Py_UCS4 c) noexcept nogil:
    if c < 0x10000:
        return _CLS[c]
    if _ASTRAL_LO <= c <= _ASTRAL_HI:
        return CK
    return 0


cdef int _next_match(const chr_t* d, Py_ssize_t p, Py_ssize_t endpos,
                     Py_ssize_t* ms, Py_ssize_t* me) noexcept nogil:
    """The next match of segment._BOUNDARY in [p, endpos): 0 none, else its m.lastindex (1, 2)
    or 3 for None, with its start and end in ms, me."""
    cdef Py_UCS4 c, n
    cdef unsigned char cc, nc
    cdef Py_ssize_t q, r
    while p < endpos:
        c = d[p]
        cc = _cls(c)
        if cc & TANY:
            q = p + 1
            ms[0] = p
            # 1: a lone dot, then white space or a CJK character (neither terminal nor closer)
            if c == 0x2E and q < endpos:
                n = d[q]
                nc = _cls(n)
                if not (nc & (TANY | CL)) and ((nc & CK) or Py_UNICODE_ISSPACE(n)):
                    r = q
                    while r < endpos and Py_UNICODE_ISSPACE(d[r]):
                        r += 1
                    me[0] = r
                    return 1
            if not (cc & CJ):
                r = q                                   # [T_SPACED]*+ then a CJK terminal?
                while r < endpos and (_cls(d[r]) & SP):
                    r += 1
                if not (r < endpos and (_cls(d[r]) & CJ)):
                    # 3: [T_SPACED]*+ [C_ANY]*+ then white space or a CJK character
                    while r < endpos and (_cls(d[r]) & CL):
                        r += 1
                    if r < endpos:
                        n = d[r]
                        if (_cls(n) & CK) or Py_UNICODE_ISSPACE(n):
                            me[0] = r
                            return 3
                    p += 1
                    continue
            # 2: the rest of the terminal run, then closers
            r = q
            while r < endpos and (_cls(d[r]) & TANY):
                r += 1
            while r < endpos and (_cls(d[r]) & CL):
                r += 1
            me[0] = r
            return 2
        p += 1
    return 0


def boundary_matches(text: str, Py_ssize_t pos, Py_ssize_t endpos) -> list:
    """[(m.start(), m.end(), m.lastindex)] of ``segment._BOUNDARY.finditer(text, pos, endpos)``
    for 0 <= pos <= endpos <= len(text) (the candidate scan of ``split``, for tests)."""
    if not _CONFIGURED:
        raise RuntimeError("filters._native.segment.configure() has not run")
    if not (0 <= pos <= endpos <= len(text)):
        raise ValueError("need 0 <= pos <= endpos <= len(text)")
    PyUnicode_READY(text)
    cdef int k = PyUnicode_KIND(text)
    cdef const void* d = PyUnicode_DATA(text)
    cdef list out = []
    if k == 1:
        _matches(<const u1*> d, pos, endpos, out)
    elif k == 2:
        _matches(<const u2*> d, pos, endpos, out)
    else:
        _matches(<const u4*> d, pos, endpos, out)
    return out


cdef int _matches(const chr_t* d, Py_ssize_t pos, Py_ssize_t endpos, list out) except -1:
    cdef Py_ssize_t ms = 0, me = 0
    cdef int kind
    while True:
        kind = _next_match(d, pos, endpos, &ms, &me)
        if kind == 0:
            return 0
        out.append((ms, me, None if kind == 3 else kind))
        pos = me


cdef inline bint _has_alnum(const chr_t* d, Py_ssize_t s, Py_ssize_t e) noexcept nogil:
    while s < e:
        if Py_UNICODE_ISALNUM(d[s]):
            return True
        s += 1
    return False


cdef inline bint _is_word_letter(Py_UCS4 c) noexcept nogil:
    """regex ``[^\\W\\d_]``."""
    return Py_UNICODE_ISALNUM(c) and not Py_UNICODE_ISDECIMAL(c)


cdef bint _dotted_acronym(const chr_t* d, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """segment._DOTTED_ACRONYM.match(text[a:b]) is not None: runs of 1-2 letters joined by
    single dots, at least one dot (``$`` also matches before a final newline)."""
    cdef Py_ssize_t run = 0, dots = 0
    cdef Py_UCS4 c
    if b > a and d[b - 1] == 0x0A:
        b -= 1
    while a < b:
        c = d[a]
        if c == 0x2E:
            if run == 0:
                return False
            dots += 1
            run = 0
        elif _is_word_letter(c):
            run += 1
            if run > 2:
                return False
        else:
            return False
        a += 1
    return dots > 0 and run > 0


cdef inline unsigned int _ascii_lower(unsigned int c) noexcept nogil:
    return c + 32 if 0x41 <= c <= 0x5A else c


cdef bint _surely_no_abbreviation(const chr_t* d, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """Whether the token text[a:b] (not empty) is ASCII and its filter bit says it is no abbreviation."""
    cdef Py_ssize_t j, n = b - a
    if n > 32:
        return False
    for j in range(a, b):
        if d[j] >= 128:
            return False
    return not (_ABBR_FILTER[n][_ascii_lower(d[a])] & (1ULL << (_ascii_lower(d[b - 1]) & 63)))


cdef int _dot_boundary(str text, const chr_t* d, bint ascii, Py_ssize_t start, Py_ssize_t dot,
                       Py_ssize_t nxt, bint ordinal) except -1:
    """segment._dot_is_boundary (equal to _split's inline test of a lone dot): 1 when the dot at
    ``dot`` (next non-space character at ``nxt``) ends the sentence begun at ``start``, else 0."""
    cdef Py_ssize_t lo = dot - 24, i, j, i2
    cdef Py_UCS4 c, ch
    cdef bint digits
    if lo < start:
        lo = start
    # _token_before: back to the last plain space, tab or no-break space
    i = lo
    j = dot - 1
    while j >= lo:
        c = d[j]
        if c == 0x20 or c == 0x09 or c == 0xA0:
            i = j + 1
            break
        j -= 1
    if not ascii:
        j = i
        while j < dot and d[j] < 128:
            j += 1
        if j < dot:                                     # a non-ASCII token: cut at white space or CJK too
            j = dot - 1
            while j >= i:
                c = d[j]
                if Py_UNICODE_ISSPACE(c) or (_cls(c) & CK):
                    i = j + 1
                    break
                j -= 1
    i2 = i
    while i2 < dot and (_cls(d[i2]) & OP):
        i2 += 1
    if i2 == dot:
        return 1
    ch = d[nxt]
    if Py_UNICODE_ISLOWER(ch):
        return 0                                        # "approx. five", "etc. and so on", "3. juni"
    digits = True
    j = i2
    while j < dot:
        if not Py_UNICODE_ISDIGIT(d[j]):
            digits = False
            break
        j += 1
    if digits:
        j = i
        while j > start and Py_UNICODE_ISSPACE(d[j - 1]):
            j -= 1
        if j == start or Py_UNICODE_ISDIGIT(ch):
            return 0                                    # list numbering, dates "10. 10. 2013"
        if dot - i2 <= 2 and ordinal and Py_UNICODE_ISALPHA(ch):
            return 0                                    # "am 3. Oktober"
        return 1
    if dot - i2 <= _ABBR_MAX and not _surely_no_abbreviation(d, i2, dot) and text[i2:dot].lower() in _ABBREVIATIONS:
        return 0
    if dot - i2 == 1 and Py_UNICODE_ISALPHA(d[i2]):
        return 0                                        # initials
    if _dotted_acronym(d, i2, dot):
        return 0                                        # "e.g.", "U.S.", "т.е."
    return 1


cdef int _add(const chr_t* d, Py_ssize_t s, Py_ssize_t e, list out, Py_ssize_t first) except -1:
    """segment._add: the trimmed text[s:e] appended, or joined to the sentence before when it has
    no letter or digit."""
    while s < e and Py_UNICODE_ISSPACE(d[s]):
        s += 1
    while e > s and Py_UNICODE_ISSPACE(d[e - 1]):
        e -= 1
    if e <= s:
        return 0
    if len(out) > first and not _has_alnum(d, s, e):
        out[len(out) - 1] = (out[len(out) - 1][0], e)
    else:
        out.append((s, e))
    return 0


def split(text, paragraphs, lang, list out) -> None:
    """``segment._split``: append the sentence spans of every paragraph of ``text`` to ``out``.
    Paragraphs that are not sorted, disjoint (int, int) spans inside the text go to the
    pure-Python ``_split``."""
    if not _CONFIGURED:
        raise RuntimeError("filters._native.segment.configure() has not run")
    cdef Py_ssize_t n_par = len(paragraphs)
    if not n_par:
        return
    if type(text) is not str:
        return _PY_SPLIT(text, paragraphs, lang, out)
    try:
        ordinal = lang in _ORDINAL_LANGS
        not_el = lang != "el"
    except TypeError:
        return _PY_SPLIT(text, paragraphs, lang, out)
    cdef Py_ssize_t n = len(text), prev = 0, s, e, idx = 0
    cdef Py_ssize_t* P = <Py_ssize_t*> PyMem_Malloc(2 * n_par * sizeof(Py_ssize_t))
    if P == NULL:
        raise MemoryError()
    try:
        try:
            for span in paragraphs:
                a, b = span
                if type(a) is not int or type(b) is not int:
                    raise ValueError
                s, e = a, b
                if not (prev <= s <= e <= n):
                    raise ValueError
                P[idx] = s
                P[idx + 1] = e
                idx += 2
                prev = e
        except (ValueError, TypeError, OverflowError):
            return _PY_SPLIT(text, paragraphs, lang, out)
        if idx != 2 * n_par:
            return _PY_SPLIT(text, paragraphs, lang, out)
        _split(text, P, n_par, ordinal, not_el, out)
    finally:
        PyMem_Free(P)


cdef int _split(str text, Py_ssize_t* P, Py_ssize_t n_par, bint ordinal, bint not_el, list out) except -1:
    PyUnicode_READY(text)
    cdef int k = PyUnicode_KIND(text)
    cdef const void* d = PyUnicode_DATA(text)
    cdef bint ascii = PyUnicode_IS_ASCII(text)
    if k == 1:
        return _split_t(text, <const u1*> d, ascii, P, n_par, ordinal, not_el, out)
    if k == 2:
        return _split_t(text, <const u2*> d, ascii, P, n_par, ordinal, not_el, out)
    return _split_t(text, <const u4*> d, ascii, P, n_par, ordinal, not_el, out)


cdef int _split_t(str text, const chr_t* d, bint ascii, Py_ssize_t* P, Py_ssize_t n_par, bint ordinal,
                  bint not_el, list out) except -1:
    cdef int kind
    cdef Py_ssize_t pi = 0, ps = P[0], pe = P[1], start = P[0], first = len(out)
    cdef Py_ssize_t pos = P[0], endpos = P[2 * n_par - 1], ms = 0, me = 0, end, nxt, r, s
    cdef Py_UCS4 c
    while True:
        kind = _next_match(d, pos, endpos, &ms, &me)
        if kind == 0:
            break
        pos = me
        while ms >= pe:                                 # close the paragraphs before this match
            _add(d, start, pe, out, first)
            pi += 1
            ps = P[2 * pi]
            pe = P[2 * pi + 1]
            start = ps
            first = len(out)
        if ms < ps:
            continue                                    # between paragraphs
        if kind == 1:                                   # a lone dot before white space or a CJK character
            end = ms + 1
            if end >= pe or me >= pe:
                continue
            if not _dot_boundary(text, d, ascii, start, ms, me, ordinal):
                continue
        else:
            end = me
            if end >= pe:
                continue
            if kind == 3:                               # no CJK terminal
                r = me                                  # the cluster without its closers
                while _cls(d[r - 1]) & CL:
                    r -= 1
                c = d[ms]
                s = ms
                while s < r:
                    c = d[s]
                    if c != 0x2E and c != 0x2026:
                        break
                    s += 1
                if s == r:                              # dots and ellipses only
                    nxt = end
                    while nxt < pe and Py_UNICODE_ISSPACE(d[nxt]):
                        nxt += 1
                    if nxt >= pe:
                        continue
                    if r - ms > 1 or d[ms] == 0x2026:
                        if not Py_UNICODE_ISUPPER(d[nxt]):
                            continue                    # an ellipsis: a boundary only before an upper-case word
                    elif not _dot_boundary(text, d, ascii, start, ms, nxt, ordinal):
                        continue
                elif d[ms] == 0x3B and not_el:
                    continue                            # ";" ends a sentence in Greek only
        s = start
        while s < end and Py_UNICODE_ISSPACE(d[s]):
            s += 1
        if _has_alnum(d, s, end):
            out.append((s, end))
            start = end
        elif len(out) > first:
            out[len(out) - 1] = (out[len(out) - 1][0], end)                # punctuation or emoji alone joins the sentence before
            start = end
    _add(d, start, pe, out, first)
    pi += 1
    while pi < n_par:
        _add(d, P[2 * pi], P[2 * pi + 1], out, len(out))
        pi += 1
    return 0


def paragraph_spans(text) -> list:
    """``segment.paragraph_spans``: the (start, end) spans of the non-blank lines of ``text``,
    trimmed of white space (lines end at "\\n" only)."""
    if type(text) is not str:
        return _PY_PARAGRAPHS(text)
    PyUnicode_READY(text)
    cdef int k = PyUnicode_KIND(text)
    cdef const void* d = PyUnicode_DATA(text)
    cdef list out = []
    if k == 1:
        _paragraphs(<const u1*> d, len(text), out)
    elif k == 2:
        _paragraphs(<const u2*> d, len(text), out)
    else:
        _paragraphs(<const u4*> d, len(text), out)
    return out


cdef int _paragraphs(const chr_t* d, Py_ssize_t n, list out) except -1:
    cdef Py_ssize_t i = 0, s, e
    while True:
        while i < n and Py_UNICODE_ISSPACE(d[i]):
            i += 1
        if i >= n:
            return 0
        s = i
        while i < n and d[i] != 0x0A:
            i += 1
        e = i
        while Py_UNICODE_ISSPACE(d[e - 1]):
            e -= 1
        out.append((s, e))
