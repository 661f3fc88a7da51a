"""Kernels of filters/dedup_text.py (each equal to the pure-Python function named in its docstring)."""
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t
from libc.stdlib cimport free, malloc

import numpy as np

cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    Py_UCS4 PyUnicode_READ(int kind, void *data, Py_ssize_t index) nogil
    int PyUnicode_READY(object o) except -1

cdef uint32_t MULTI = 0xFFFFFFFFU


cdef inline Py_ssize_t _utf8(uint32_t cp, char *out) noexcept nogil:
    """Writes the UTF-8 bytes of cp (surrogates as 3 bytes, as "surrogatepass"); returns their count."""
    if cp < 0x80:
        out[0] = <char>cp
        return 1
    if cp < 0x800:
        out[0] = <char>(0xC0 | (cp >> 6))
        out[1] = <char>(0x80 | (cp & 0x3F))
        return 2
    if cp < 0x10000:
        out[0] = <char>(0xE0 | (cp >> 12))
        out[1] = <char>(0x80 | ((cp >> 6) & 0x3F))
        out[2] = <char>(0x80 | (cp & 0x3F))
        return 3
    out[0] = <char>(0xF0 | (cp >> 18))
    out[1] = <char>(0x80 | ((cp >> 12) & 0x3F))
    out[2] = <char>(0x80 | ((cp >> 6) & 0x3F))
    out[3] = <char>(0x80 | (cp & 0x3F))
    return 4


def doc_forms(list norms, const uint32_t[::1] single):
    """``_doc_hashes_chunk`` up to the hashing: the UTF-8 bytes of each text's comparison form
    (each code point of the already NFKC+casefolded text replaced by ``single[cp]``, ``MULTI``
    meaning deleted, runs of U+0020 collapsed to one, one U+0020 stripped at each end), all in
    one bytes object, and the int64 offsets (len(norms) + 1) of each text's bytes in it."""
    cdef Py_ssize_t n_docs = len(norms), d, i, n, total = 0, w = 0, doc_start
    cdef int kind
    cdef void *data
    cdef uint32_t f
    cdef bint space, prev_space
    cdef char *buf
    if single.shape[0] < 0x110000:
        raise ValueError("table too short")
    for d in range(n_docs):
        s = norms[d]
        if not isinstance(s, str):
            raise TypeError("texts must be str")
        PyUnicode_READY(s)
        total += PyUnicode_GET_LENGTH(s)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    cdef int64_t[::1] offs = offsets
    buf = <char *>malloc(4 * total + 1)
    if buf == NULL:
        raise MemoryError()
    for d in range(n_docs):
        s = norms[d]
        kind = PyUnicode_KIND(s)
        data = PyUnicode_DATA(s)
        n = PyUnicode_GET_LENGTH(s)
        with nogil:
            doc_start = w
            prev_space = True  # drops leading spaces
            for i in range(n):
                f = single[PyUnicode_READ(kind, data, i)]
                if f == MULTI:
                    continue
                space = f == 32
                if space and prev_space:
                    continue
                prev_space = space
                w += _utf8(f, buf + w)
            if w > doc_start and prev_space:  # a trailing space
                w -= 1
            offs[d + 1] = w
    try:
        return PyBytes_FromStringAndSize(buf, w), offsets
    finally:
        free(buf)


def collapse_units(const uint32_t[::1] cps, const uint32_t[::1] single, const uint8_t[::1] length,
                   const int64_t[::1] offset, const uint32_t[::1] flat):
    """``_collapsed_positions`` for every position: (collapsed uint32 array, int64 ``start``
    with ``start[k]`` the position in it of the mapping of ``cps[k]``, ``start[len(cps)]`` its
    length). ``single``: ``_unit_single`` (``MULTI`` where the mapping, of ``length[cp]`` code
    points at ``flat[offset[cp]:]``, is not one code point)."""
    cdef Py_ssize_t n = cps.shape[0], k, j, w = 0, max_len = 1, limit = single.shape[0]
    cdef uint32_t cp, f
    cdef bint prev_space = True  # a space at the very start is dropped
    if length.shape[0] < limit or offset.shape[0] < limit:
        raise ValueError("tables too short")
    for k in range(length.shape[0]):
        if length[k] > max_len:
            max_len = length[k]
    starts = np.empty(n + 1, dtype=np.int64)
    cdef int64_t[::1] start = starts
    out_arr = np.empty(max_len * n + 1, dtype=np.uint32)
    cdef uint32_t[::1] out = out_arr
    with nogil:
        for k in range(n):
            start[k] = w
            cp = cps[k]
            if cp >= limit:
                f = cp
            else:
                f = single[cp]
            if f != MULTI:
                if f == 32:
                    if prev_space:
                        continue
                    prev_space = True
                else:
                    prev_space = False
                out[w] = f
                w += 1
                continue
            for j in range(offset[cp], offset[cp] + length[cp]):
                f = flat[j]
                if f == 32:
                    if prev_space:
                        continue
                    prev_space = True
                else:
                    prev_space = False
                out[w] = f
                w += 1
        start[n] = w
    return out_arr[:w].copy(), starts


def utf8_offsets(const uint32_t[::1] cps):
    """(UTF-8 bytes of the code points ``cps``, surrogates passed, int64 byte offset of each
    code point with the total last), as ``_utf8_with_offsets``."""
    cdef Py_ssize_t n = cps.shape[0], k, w = 0
    offsets = np.empty(n + 1, dtype=np.int64)
    cdef int64_t[::1] offs = offsets
    cdef char *buf = <char *>malloc(4 * n + 1)
    if buf == NULL:
        raise MemoryError()
    with nogil:
        for k in range(n):
            offs[k] = w
            w += _utf8(cps[k], buf + w)
        offs[n] = w
    try:
        return PyBytes_FromStringAndSize(buf, w), offsets
    finally:
        free(buf)
