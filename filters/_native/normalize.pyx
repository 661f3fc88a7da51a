"""Kernels of filters/normalize.py (each equal to the pure-Python function named in its docstring)."""
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    Py_UCS4 PyUnicode_READ(int kind, void *data, Py_ssize_t index) nogil
    int PyUnicode_READY(object o) except -1
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND

# bits of the ``cls`` table
cdef enum:
    NEEDS_WORK = 1   # a character _NEEDS_WORK matches
    TRAILING = 2     # in _TRAILING (dropped at the end of a line)
    SPACE = 4        # str.isspace (str.strip drops it)


cdef bint _composes(Py_ssize_t i, uint32_t c, int kind, void *data, const uint8_t[::1] ccc, const uint8_t[::1] flags,
                    const uint64_t[::1] pairs) noexcept nogil:
    """Whether the "maybe" code point c at i may compose with what precedes it (see
    ``minhash.composition_tables``): c or a code point back to the last starter L has a flag, or
    (L, c) is a canonical pair."""
    cdef Py_ssize_t j = i - 1, lo = 0, hi = pairs.shape[0], mid
    cdef uint32_t p = 0
    cdef uint64_t key
    if flags[c]:
        return True
    while j >= 0:
        p = PyUnicode_READ(kind, data, j)
        if flags[p]:
            return True
        if ccc[p] == 0:
            break
        j -= 1
    if j < 0:
        return False
    key = (<uint64_t>p << 21) | c
    while lo < hi:
        mid = (lo + hi) // 2
        if pairs[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo < pairs.shape[0] and pairs[lo] == key


def clean_text(text, const uint8_t[::1] qc, const uint8_t[::1] ccc, const uint8_t[::1] flags,
               const uint64_t[::1] pairs, const uint8_t[::1] cls):
    """``normalize.clean_text(text)[0]`` for a text that needs none of its substitutions: no
    character ``_NEEDS_WORK`` matches and NFC by the quick check ``qc``
    (``minhash.quick_check_table("NFC")``); else None. Then lines lose their trailing
    ``_TRAILING`` characters (when the reference does it), runs of 3+ line feeds become two and
    the text is stripped (``str.strip``)."""
    cdef Py_ssize_t n, i, s, e, w = 0, lo, nl_run = 0
    cdef int kind
    cdef void *data
    cdef uint32_t cp, before = 0
    cdef uint8_t q, prev = 0
    cdef bint ascii = True, rstrip_lines = False
    cdef uint32_t *buf
    if not isinstance(text, str):
        raise TypeError("text must be str")
    if qc.shape[0] < 0x110000 or cls.shape[0] < 0x110000 or ccc.shape[0] < 0x110000 or flags.shape[0] < 0x110000:
        raise ValueError("tables too short")
    PyUnicode_READY(text)
    kind = PyUnicode_KIND(text)
    data = PyUnicode_DATA(text)
    n = PyUnicode_GET_LENGTH(text)
    with nogil:
        for i in range(n):
            cp = PyUnicode_READ(kind, data, i)
            if cls[cp] & NEEDS_WORK:
                break
            q = qc[cp]
            if q == 254:
                break
            if q == 255:
                if _composes(i, cp, kind, data, ccc, flags, pairs):
                    break
                q = ccc[cp]
            if q != 0 and prev > q:
                break
            prev = q
            if cp >= 0x80:
                ascii = False
            elif cp == 10 and (before == 32 or before == 9):
                rstrip_lines = True
            before = cp
        else:
            i = n
    if i < n:
        return None
    rstrip_lines = rstrip_lines or not ascii
    buf = <uint32_t *>malloc((n + 1) * sizeof(uint32_t))
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
            s = 0
            while s <= n:
                e = s
                while e < n and PyUnicode_READ(kind, data, e) != 10:
                    e += 1
                i = e
                if rstrip_lines:
                    while i > s and cls[PyUnicode_READ(kind, data, i - 1)] & TRAILING:
                        i -= 1
                if i > s:
                    nl_run = 0
                    while s < i:
                        buf[w] = PyUnicode_READ(kind, data, s)
                        w += 1
                        s += 1
                if e < n:  # the line feed, unless it makes a third in a row
                    if nl_run < 2:
                        buf[w] = 10
                        w += 1
                    nl_run += 1
                s = e + 1
            lo = 0
            while lo < w and cls[buf[lo]] & SPACE:
                lo += 1
            while w > lo and cls[buf[w - 1]] & SPACE:
                w -= 1
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf + lo, w - lo)
    finally:
        free(buf)
