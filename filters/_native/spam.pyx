"""Kernels of filters/spam.py (each equal to the pure-Python function named in its docstring)."""
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t

ctypedef fused uchar:                   # the code unit of a str of each kind
    uint8_t
    uint16_t
    uint32_t


cdef bint _contains(const uchar* d, Py_ssize_t n, const uint32_t* chars, const int64_t* offs, Py_ssize_t nw,
                    const uint8_t* first) noexcept nogil:
    cdef Py_ssize_t i, k, j, a, m
    cdef uint32_t c
    for i in range(n):
        c = d[i]
        if c > 0xFFFF or not first[c]:
            continue
        for k in range(nw):
            a = offs[k]
            m = offs[k + 1] - a
            if chars[a] != c or m > n - i:
                continue
            j = 1
            while j < m and d[i + j] == chars[a + j]:
                j += 1
            if j == m:
                return True
    return False


def contains_any(str text, const uint32_t[::1] chars, const int64_t[::1] offs, const uint8_t[::1] first):
    """``spam._names_app`` given ``spam._app_table()``: whether one of the words (code points
    chars[offs[k]:offs[k + 1]], first ones in the BMP, marked in ``first``) is in ``text``."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), nw = offs.shape[0] - 1
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef bint found
    if n == 0 or nw <= 0:
        return False
    with nogil:
        if kind == 1:
            found = _contains(<const uint8_t*>data, n, &chars[0], &offs[0], nw, &first[0])
        elif kind == 2:
            found = _contains(<const uint16_t*>data, n, &chars[0], &offs[0], nw, &first[0])
        else:
            found = _contains(<const uint32_t*>data, n, &chars[0], &offs[0], nw, &first[0])
    return found
