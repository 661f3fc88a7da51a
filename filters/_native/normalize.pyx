"""Kernels of filters/normalize.py (each equal to the pure-Python function named in its docstring)."""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    Py_UCS4 PyUnicode_READ(int kind, void *data, Py_ssize_t index) nogil
    int PyUnicode_READY(object o) except -1
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)

ctypedef fused char_t:
    uint8_t
    uint16_t
    uint32_t


# bits of the ``cls`` table
cdef enum:
    NEEDS_WORK = 1   # a character _NEEDS_WORK matches
    TRAILING = 2     # in _TRAILING (dropped at the end of a line)
    SPACE = 4        # str.isspace (str.strip drops it)


include "_nfc.pxi"


cdef Py_ssize_t _clean(const char_t *s, Py_ssize_t n, char_t *buf, Py_ssize_t *lo, const uint8_t[::1] qc,
                       const uint8_t[::1] ccc, const uint8_t[::1] flags, const uint64_t[::1] pairs,
                       const uint8_t[::1] cls) noexcept nogil:
    """The cleaned text into ``buf[lo[0]:returned]``; -1: the kernel cannot clean this text, -2:
    the text is already clean (nothing written)."""
    cdef Py_ssize_t i, st, e, w = 0, nl_run = 0, nl = 0
    cdef uint32_t cp, before = 0
    cdef uint8_t q, c, prev = 0
    cdef bint ascii = True, rstrip_lines = False, changes = False
    for i in range(n):
        cp = s[i]
        c = cls[cp]
        if c & NEEDS_WORK:
            return -1
        q = qc[cp]
        if q == 254:
            return -1
        if q == 255:
            if _composes(i, cp, s, ccc, flags, pairs):
                return -1
            q = ccc[cp]
        if q != 0 and prev > q:
            return -1
        prev = q
        if cp >= 0x80:
            ascii = False
        if cp == 10:
            nl += 1
            if nl == 3 or (i and cls[before] & TRAILING):
                changes = True  # a third line feed in a row, or a line with trailing characters
            if before == 32 or before == 9:
                rstrip_lines = True
        else:
            nl = 0
        before = cp
    if n == 0:
        return -2
    if not changes and not (cls[s[0]] & SPACE) and not (cls[s[n - 1]] & SPACE):
        return -2
    rstrip_lines = rstrip_lines or not ascii
    st = 0
    while st <= n:
        e = st
        while e < n and s[e] != 10:
            e += 1
        i = e
        if rstrip_lines:
            while i > st and cls[s[i - 1]] & TRAILING:
                i -= 1
        if i > st:
            nl_run = 0
            while st < i:
                buf[w] = s[st]
                w += 1
                st += 1
        if e < n:  # the line feed, unless it makes a third in a row
            if nl_run < 2:
                buf[w] = 10
                w += 1
            nl_run += 1
        st = e + 1
    i = 0
    while i < w and cls[buf[i]] & SPACE:
        i += 1
    while w > i and cls[buf[w - 1]] & SPACE:
        w -= 1
    lo[0] = i
    return w


def clean_text(text, const uint8_t[::1] qc, const uint8_t[::1] ccc, const uint8_t[::1] flags,
               const uint64_t[::1] pairs, const uint8_t[::1] cls):
    """``normalize.clean_text(text)[0]`` for a text that needs none of its substitutions: no
    character ``_NEEDS_WORK`` matches and NFC by the quick check ``qc``
    (``minhash.quick_check_table("NFC")``, "maybe" code points accepted with
    ``minhash.composition_tables``: ``ccc``, ``flags``, ``pairs``); else None. Then lines lose
    their trailing ``_TRAILING`` characters (when the reference does it), runs of 3+ line feeds
    become two and the text is stripped (``str.strip``); a text already clean is returned as is."""
    cdef Py_ssize_t n, w
    cdef Py_ssize_t lo = 0
    cdef int kind
    cdef void *data
    cdef void *buf
    if not isinstance(text, str):
        raise TypeError("text must be str")
    if qc.shape[0] < 0x110000 or cls.shape[0] < 0x110000 or ccc.shape[0] < 0x110000 or flags.shape[0] < 0x110000:
        raise ValueError("tables too short")
    PyUnicode_READY(text)
    kind = PyUnicode_KIND(text)
    data = PyUnicode_DATA(text)
    n = PyUnicode_GET_LENGTH(text)
    buf = malloc((n + 1) * kind)
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
            if kind == 1:
                w = _clean(<const uint8_t *>data, n, <uint8_t *>buf, &lo, qc, ccc, flags, pairs, cls)
            elif kind == 2:
                w = _clean(<const uint16_t *>data, n, <uint16_t *>buf, &lo, qc, ccc, flags, pairs, cls)
            else:
                w = _clean(<const uint32_t *>data, n, <uint32_t *>buf, &lo, qc, ccc, flags, pairs, cls)
        if w == -1:
            return None
        if w == -2:
            return text
        return PyUnicode_FromKindAndData(kind, <char *>buf + lo * kind, w - lo)
    finally:
        free(buf)
