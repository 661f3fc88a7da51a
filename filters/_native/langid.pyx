"""Kernels of filters/langid.py (each equal to the pure-Python code named in its docstring).

``configure`` must run first (filters/langid.py calls it on import). Letters are regex
``[^\\W\\d_]``: ``Py_UNICODE_ISALNUM`` and not ``Py_UNICODE_ISDECIMAL`` (sre's ``\\w`` and ``\\d``);
white space is ``Py_UNICODE_ISSPACE`` (``str.strip``, regex ``\\s``).
"""
from libc.string cimport memset

from filters._native._unicode cimport (PyUnicode_DATA, PyUnicode_IS_ASCII, PyUnicode_KIND, PyUnicode_READ,
                                       PyUnicode_READY, PyUnicode_Substring, Py_UNICODE_ISALNUM,
                                       Py_UNICODE_ISDECIMAL, Py_UNICODE_ISSPACE)

# per BMP code point: letter (regex [^\W\d_]), white space and the script of langid._SPECIAL_SCRIPT,
# taken from CPython's predicates once by configure
cdef enum:
    LETTER = 1
    SPACE = 2
    HAN = 4
    KANA = 8
    HANGUL = 16
    THAI = 32
    SPECIAL = HAN | KANA | HANGUL | THAI

cdef unsigned char _CLS[65536]
cdef Py_UCS4 _ASTRAL_LO[8]
cdef Py_UCS4 _ASTRAL_HI[8]
cdef unsigned char _ASTRAL_BIT[8]
cdef int _N_ASTRAL = 0
cdef bint _CONFIGURED = False
cdef object _WS_SUB = None, _UND_T = None, _PY_SAMPLE = None


def configure(han, kana, hangul, thai, ws_sub, und_t, sample) -> None:
    """Set the code point ranges ((first, last) pairs) of the Han, Kana, Hangul and Thai classes of
    ``_SPECIAL_SCRIPT``, ``_WS.sub``, ``_UND_T`` and ``_sample``."""
    global _N_ASTRAL, _CONFIGURED, _WS_SUB, _UND_T, _PY_SAMPLE
    cdef Py_ssize_t c
    cdef Py_UCS4 u
    for c in range(0x10000):
        u = <Py_UCS4> c
        _CLS[c] = ((LETTER if Py_UNICODE_ISALNUM(u) and not Py_UNICODE_ISDECIMAL(u) else 0)
                   | (SPACE if Py_UNICODE_ISSPACE(u) else 0))
    _N_ASTRAL = 0
    for ranges, bit in ((han, HAN), (kana, KANA), (hangul, HANGUL), (thai, THAI)):
        for lo, hi in ranges:
            if hi >= 0x10000:
                if lo < 0x10000 or _N_ASTRAL == 8:
                    raise ValueError("astral ranges must start past U+FFFF, at most 8 of them")
                _ASTRAL_LO[_N_ASTRAL] = lo
                _ASTRAL_HI[_N_ASTRAL] = hi
                _ASTRAL_BIT[_N_ASTRAL] = bit
                _N_ASTRAL += 1
            else:
                for c in range(lo, hi + 1):
                    _CLS[c] |= bit
    _WS_SUB = ws_sub
    _UND_T = und_t
    _PY_SAMPLE = sample
    _CONFIGURED = True


cdef inline unsigned char _cls(Py_UCS4 c) noexcept nogil:
    cdef int i
    cdef unsigned char r
    if c < 0x10000:
        return _CLS[c]
    r = LETTER if Py_UNICODE_ISALNUM(c) and not Py_UNICODE_ISDECIMAL(c) else 0
    if Py_UNICODE_ISSPACE(c):
        r |= SPACE
    for i in range(_N_ASTRAL):
        if _ASTRAL_LO[i] <= c <= _ASTRAL_HI[i]:
            r |= _ASTRAL_BIT[i]
    return r


cdef struct Info:
    bint ascii
    Py_ssize_t letters, special, han, kana, hangul, thai


cdef int _info(str smp, Info* r) except -1:
    """``str.isascii``, ``langid.letter_count`` and the characters of each special script of ``smp``."""
    PyUnicode_READY(smp)
    cdef int k = PyUnicode_KIND(smp)
    cdef const void* d = PyUnicode_DATA(smp)
    cdef Py_ssize_t n = len(smp), i
    cdef Py_UCS4 c
    cdef unsigned char cc
    memset(r, 0, sizeof(Info))
    r.ascii = PyUnicode_IS_ASCII(smp)
    if r.ascii:
        for i in range(n):
            c = PyUnicode_READ(k, d, i)
            if ((<unsigned int> c) | 0x20u) - 0x61u < 26u:   # A-Z, a-z
                r.letters += 1
        return 0
    for i in range(n):
        cc = _cls(PyUnicode_READ(k, d, i))
        if cc & LETTER:
            r.letters += 1
        if cc & SPECIAL:
            r.special += 1
            if cc & HAN:
                r.han += 1
            if cc & KANA:
                r.kana += 1
            if cc & HANGUL:
                r.hangul += 1
            if cc & THAI:
                r.thai += 1
    return 0


def sample_info(str smp) -> tuple:
    """(isascii, letter_count, special-script characters, Han, Kana, Hangul, Thai characters) of ``smp``."""
    cdef Info r
    _info(smp, &r)
    return r.ascii, r.letters, r.special, r.han, r.kana, r.hangul, r.thai


cdef inline object _share(Py_ssize_t n, Py_ssize_t letters):
    """langid._share: round(min(1.0, n / letters), 4)."""
    cdef double x = <double> n / <double> letters
    return round(x if x < 1.0 else 1.0, 4)


cdef object _script_rule(Info* r, double dominance, double kana_min_share):
    """``LanguageIdentifier._script_rule`` from a sample's counts."""
    if r.letters == 0:
        return None
    cdef double dom = dominance * <double> r.letters
    cdef Py_ssize_t han = r.han, kana = r.kana, hangul = r.hangul
    if hangul >= dom and hangul >= han + kana:
        return "ko", _share(hangul, r.letters)
    if han + kana >= dom:
        if kana >= kana_min_share * <double> (han + kana):
            return "ja", _share(han + kana, r.letters)
        return "zh", _share(han, r.letters)
    if r.thai >= dom:
        return "th", _share(r.thai, r.letters)
    return None


def script_rule(str sample, Py_ssize_t letters, double dominance, double kana_min_share):
    """``LanguageIdentifier._script_rule(sample, letters)`` with the config's ``script_dominance``
    and ``kana_min_share``."""
    cdef Info r
    _info(sample, &r)
    r.letters = letters
    return _script_rule(&r, dominance, kana_min_share)


cdef object _sample(str text, Py_ssize_t n_text, s_obj, e_obj, Py_ssize_t limit, Py_ssize_t cut_from):
    """The detector sample of text[s:e] as _paragraph_samples makes it: cut to ``limit`` characters
    at a space when one is past ``cut_from``, white space runs made one space when it holds a
    newline or carriage return, stripped."""
    cdef Py_ssize_t s, e, j, a, b
    cdef int k
    cdef const void* d
    cdef Py_UCS4 c
    if type(s_obj) is int and type(e_obj) is int:
        s = s_obj
        e = e_obj
        if 0 <= s <= e <= n_text:
            PyUnicode_READY(text)
            k = PyUnicode_KIND(text)
            d = PyUnicode_DATA(text)
            a = s
            b = e
            if e - s > limit:
                b = s + limit                          # text.rfind(" ", s + cut_from, s + limit + 1)
                j = s + limit
                while j >= s + cut_from:
                    if PyUnicode_READ(k, d, j) == 0x20:
                        if j > s:
                            b = j
                        break
                    j -= 1
            for j in range(a, b):
                c = PyUnicode_READ(k, d, j)
                if c == 0x0A or c == 0x0D:
                    return _WS_SUB(" ", PyUnicode_Substring(text, a, b)).strip()
            while a < b and Py_UNICODE_ISSPACE(PyUnicode_READ(k, d, a)):
                a += 1
            while b > a and Py_UNICODE_ISSPACE(PyUnicode_READ(k, d, b - 1)):
                b -= 1
            return PyUnicode_Substring(text, a, b)
    # spans outside the text (or not ints): the reference's own steps (the rest of them langid._sample's)
    if e_obj - s_obj > limit and 0 <= s_obj and e_obj <= n_text:
        sp = text.rfind(" ", s_obj + cut_from, s_obj + limit + 1)
        smp = text[s_obj:sp] if sp > s_obj else text[s_obj:s_obj + limit]
    else:
        smp = text[s_obj:e_obj]
    return _PY_SAMPLE(smp, limit)


def paragraph_samples(texts, paragraph_spans, para_spans, Py_ssize_t limit, Py_ssize_t min_letters,
                      bint script_rules, double dominance, double kana_min_share):
    """``LanguageIdentifier._paragraph_samples`` with its config passed in (``min_letters``:
    ``max(1, min_paragraph_letters)``; ``dominance``, ``kana_min_share``: the script rule's
    ``script_dominance`` and ``kana_min_share``); returns the fields of its ``_Batch``:
    (pp_all, doc_spans, flat_d, flat_j, flat_s, flat_u, uniq, n_paras, n_script)."""
    if not _CONFIGURED:
        raise RuntimeError("filters._native.langid.configure() has not run")
    cdef Py_ssize_t cut_from = limit // 2, n_docs = len(texts), d, j, n_text, n_sp
    cdef Py_ssize_t n_paras = 0, n_script = 0
    cdef Info info
    cdef list pp_all = [], doc_spans = [], flat_d = [], flat_j = [], flat_s = [], flat_u = [], spans, pp
    cdef dict uniq = {}
    und_t = _UND_T
    for d in range(n_docs):
        text = texts[d] or ""
        n_text = len(text)
        if paragraph_spans is None:
            spans = para_spans(text)
        else:
            spans = [(int(s), int(e)) for s, e in paragraph_spans[d]]
        doc_spans.append(spans)
        n_sp = len(spans)
        pp = [None] * n_sp
        pp_all.append(pp)
        n_paras += n_sp
        for j in range(n_sp):
            s, e = spans[j]
            smp = _sample(text, n_text, s, e, limit, cut_from)
            _info(smp, &info)
            if info.letters < min_letters:
                if info.letters == 0:                        # digits, punctuation, symbols: nothing to detect or inherit
                    pp[j] = und_t
                continue
            if not info.ascii and script_rules and info.special:  # script rules (no Chinese script here)
                r = _script_rule(&info, dominance, kana_min_share)
                if r is not None:
                    pp[j] = (r[0], r[1], "script")
                    n_script += 1
                    continue
            u = uniq.get(smp)                           # fastText runs once per distinct sample
            if u is None:
                u = uniq[smp] = len(uniq)
            flat_d.append(d)
            flat_j.append(j)
            flat_s.append(smp)
            flat_u.append(u)
    return pp_all, doc_spans, flat_d, flat_j, flat_s, flat_u, uniq, n_paras, n_script



# chinese_script: bit 1 simplified-only, bit 2 traditional-only (BMP table; astral characters in a dict)
cdef unsigned char _HANS_HANT[65536]
cdef bint _HANS_HANT_SET = False
cdef dict _HANS_HANT_ASTRAL = {}
cdef Py_UCS4 _HANS_HANT_MIN = 0


def set_hans_hant(only_s: str, only_t: str) -> None:
    """Set the characters found only in simplified / only in traditional Chinese."""
    global _HANS_HANT_SET, _HANS_HANT_MIN
    memset(_HANS_HANT, 0, sizeof(_HANS_HANT))
    _HANS_HANT_MIN = min(map(ord, only_s + only_t), default=0x110000)
    _HANS_HANT_ASTRAL.clear()
    for chars, bit in ((only_s, 1), (only_t, 2)):
        for ch in chars:
            if ord(ch) < 0x10000:
                _HANS_HANT[ord(ch)] |= bit
            else:
                _HANS_HANT_ASTRAL[ch] = _HANS_HANT_ASTRAL.get(ch, 0) | bit
    _HANS_HANT_SET = True


def hans_hant_ready() -> bool:
    """Whether ``set_hans_hant`` has run."""
    return _HANS_HANT_SET


def hans_hant_counts(str text not None) -> tuple:
    """(simplified-only, traditional-only) characters of ``text``: ``len(re.findall(...))`` of the
    two patterns of ``langid._hans_hant_patterns``."""
    if not _HANS_HANT_SET:
        raise RuntimeError("filters._native.langid.set_hans_hant() has not run")
    PyUnicode_READY(text)
    cdef int k = PyUnicode_KIND(text)
    cdef const void* d = PyUnicode_DATA(text)
    cdef Py_ssize_t n = len(text), i, s = 0, t = 0
    cdef Py_UCS4 c
    cdef unsigned char bits
    if k == 1 and _HANS_HANT_MIN > 0xFF:
        return 0, 0                                     # none of the characters below U+0100
    for i in range(n):
        c = PyUnicode_READ(k, d, i)
        if c < 0x10000:
            bits = _HANS_HANT[c]
        elif _HANS_HANT_ASTRAL:
            bits = _HANS_HANT_ASTRAL.get(chr(c), 0)
        else:
            bits = 0
        if bits & 1:
            s += 1
        if bits & 2:
            t += 1
    return s, t
