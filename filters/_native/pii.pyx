"""Kernels of filters/pii.py (each equal to the pure-Python function named in its docstring)."""
from cpython.unicode cimport (PyUnicode_KIND, PyUnicode_DATA, PyUnicode_READ, PyUnicode_GET_LENGTH,
                              Py_UNICODE_ISDECIMAL, Py_UNICODE_ISSPACE)
from libc.stdint cimport uint8_t, uint32_t

# per BMP code point: bit 0 a decimal digit (re's \\d), bit 1 a character of [\\d\\s().:/+-] (\\s: str.isspace)
cdef uint8_t _BMP[0x10000]
cdef uint32_t _c
for _c in range(0x10000):
    _BMP[_c] = ((1 if Py_UNICODE_ISDECIMAL(_c) else 0)
                | (2 if Py_UNICODE_ISDECIMAL(_c) or Py_UNICODE_ISSPACE(_c) or _c in b"().:/+-" else 0))


cdef inline bint _in_run(uint32_t ch) noexcept:
    """A character of ``[\\d\\s().:/+-]`` (re's \\d and \\s: Unicode decimal digits and str.isspace)."""
    if ch < 0x10000:
        return _BMP[ch] & 2
    return Py_UNICODE_ISDECIMAL(ch) or Py_UNICODE_ISSPACE(ch)


cdef inline bint _digit(uint32_t ch) noexcept:
    if ch < 0x10000:
        return _BMP[ch] & 1
    return Py_UNICODE_ISDECIMAL(ch)


def numeric_windows(str text):
    """``pii._numeric_windows``: merged (start, end) windows around the matches of
    ``\\d[\\d\\s().:/+-]{5,}[\\dxX]`` (the one before a match's first digit widened by a "+" or "(" there)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), p = 0, q, d, end, first, start, w_start = -1, w_end = -1
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef uint32_t ch
    cdef list out = []
    while p < n:
        if not _digit(PyUnicode_READ(kind, data, p)):
            p += 1
            continue
        # the class run after the digit at p: text[p + 1:q]
        q = p + 1
        while q < n and _in_run(PyUnicode_READ(kind, data, q)):
            q += 1
        end = -1
        if q < n and q - p - 1 >= 5:
            ch = PyUnicode_READ(kind, data, q)
            if ch == 120 or ch == 88:  # x, X right after the run (greedy: the longest match first)
                end = q + 1
        if end < 0:
            d = q - 1
            while d >= p + 6 and not _digit(PyUnicode_READ(kind, data, d)):
                d -= 1
            if d >= p + 6:
                end = d + 1
        if end < 0:
            # no match starts in [p, q]: a later start in the run has a shorter run to end in
            p = q + 1
            continue
        first = p
        if first > 0:
            ch = PyUnicode_READ(kind, data, first - 1)
            if ch == 43 or ch == 40:
                first -= 1
        start = first - 1 if first > 0 else 0
        if w_end >= 0 and start <= w_end:
            if end + 2 > w_end:
                w_end = min(n, end + 2)
        else:
            if w_end >= 0:
                out.append((w_start, w_end))
            w_start, w_end = start, min(n, end + 2)
        p = end
    if w_end >= 0:
        out.append((w_start, w_end))
    return out


def prescan(str text):
    """``pii._prescan``: ``(numeric_windows(text), "::" in text or text.count(":") >= 7)``."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i, colons = 0
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef bint prev = False, may_ipv6 = False
    for i in range(n):
        if PyUnicode_READ(kind, data, i) == 58:
            if prev:
                may_ipv6 = True
                break
            colons += 1
            if colons >= 7:
                may_ipv6 = True
                break
            prev = True
        else:
            prev = False
    return numeric_windows(text), may_ipv6


def digit_count(str text, Py_ssize_t lo, Py_ssize_t hi):
    """``pii._digit_count``: the number of decimal digits (re's \\d) in ``text[lo:hi]`` (0 <= lo <= hi)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i, count = 0
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    if hi > n:
        hi = n
    for i in range(lo, hi):
        if _digit(PyUnicode_READ(kind, data, i)):
            count += 1
    return count
