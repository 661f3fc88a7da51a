"""Kernels of filters/normalize.py (each equal to the pure-Python function named in its docstring)."""
from libc.stdint cimport uint8_t, uint32_t
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


def clean_text(text, const uint8_t[::1] qc, const uint8_t[::1] cls):
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
    if qc.shape[0] < 0x110000 or cls.shape[0] < 0x110000:
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
            if q >= 254 or (q != 0 and prev > q):
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
