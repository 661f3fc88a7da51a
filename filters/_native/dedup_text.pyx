"""Kernels of filters/dedup_text.py (each equal to the pure-Python function named in its docstring)."""
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

from filters._native._unicode cimport char_t, ready_texts, str_data

import numpy as np

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


cdef Py_ssize_t _doc_form(const char_t *s, Py_ssize_t n, const uint32_t[::1] single, char *out) noexcept nogil:
    """The UTF-8 comparison form of one text (see ``doc_forms``) into ``out``; returns its length."""
    cdef Py_ssize_t i, w = 0
    cdef uint32_t f
    cdef bint space, prev_space = True  # drops leading spaces
    for i in range(n):
        f = single[s[i]]
        if f == MULTI:
            continue
        space = f == 32
        if space and prev_space:
            continue
        prev_space = space
        w += _utf8(f, out + w)
    if w and prev_space:  # a trailing space
        w -= 1
    return w


def doc_forms(list norms, const uint32_t[::1] single):
    """``_doc_hashes_chunk`` up to the hashing: the UTF-8 bytes of each text's comparison form
    (each code point of the already NFKC+casefolded text replaced by ``single[cp]``, ``MULTI``
    meaning deleted, runs of U+0020 collapsed to one, one U+0020 stripped at each end), all in
    one bytes object, and the int64 offsets (len(norms) + 1) of each text's bytes in it."""
    cdef Py_ssize_t n_docs = len(norms), d, n, total, longest, w = 0
    cdef int kind
    cdef void *data
    cdef char *buf
    if single.shape[0] < 0x110000:
        raise ValueError("table too short")
    total = ready_texts(norms, &longest)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    cdef int64_t[::1] offs = offsets
    buf = <char *>malloc(4 * total + 1)
    if buf == NULL:
        raise MemoryError()
    try:
        for d in range(n_docs):
            data = str_data(norms[d], &kind, &n)
            with nogil:
                if kind == 1:
                    w += _doc_form(<const uint8_t *>data, n, single, buf + w)
                elif kind == 2:
                    w += _doc_form(<const uint16_t *>data, n, single, buf + w)
                else:
                    w += _doc_form(<const uint32_t *>data, n, single, buf + w)
            offs[d + 1] = w
        return PyBytes_FromStringAndSize(buf, w), offsets
    finally:
        free(buf)


def collapse_utf8(const uint32_t[::1] cps, const uint32_t[::1] single, const uint8_t[::1] length,
                  const int64_t[::1] offset, const uint32_t[::1] flat, const int64_t[::1] edges,
                  int64_t[::1] pos, int64_t[::1] bpos):
    """``_collapsed_utf8`` with ``edges`` sorted: returns the UTF-8 bytes (surrogates passed) of
    the collapsed text and writes into ``pos[i]`` / ``bpos[i]`` the code point / byte position in
    it of the mapping of ``cps[edges[i]]`` (the totals for ``edges[i] == len(cps)``). ``single``:
    ``_unit_single`` (``MULTI`` where the mapping, of ``length[cp]`` code points at
    ``flat[offset[cp]:]``, is not one code point)."""
    cdef Py_ssize_t n = cps.shape[0], m = edges.shape[0], k, j, e = 0, wc = 0, wb = 0, cap = 4 * (n + 16)
    cdef Py_ssize_t limit = single.shape[0]
    cdef uint32_t cp, f
    cdef bint space, prev_space = True  # a space at the very start is dropped
    cdef bint failed = False
    cdef char *out
    cdef char *grown
    if length.shape[0] < limit or offset.shape[0] < limit or pos.shape[0] != m or bpos.shape[0] != m:
        raise ValueError("tables too short or positions of another length than edges")
    for k in range(m):
        if edges[k] < 0 or edges[k] > n or (k and edges[k] < edges[k - 1]):
            raise ValueError("edges must be sorted and within the text")
    out = <char *>malloc(cap)
    if out == NULL:
        raise MemoryError()
    try:
        with nogil:
            for k in range(n):
                while e < m and edges[e] == k:
                    pos[e] = wc
                    bpos[e] = wb
                    e += 1
                cp = cps[k]
                f = single[cp] if cp < limit else cp
                if f != MULTI:
                    space = f == 32
                    if not (space and prev_space):
                        wb += _utf8(f, out + wb)
                        wc += 1
                    prev_space = space
                    continue
                if wb + 4 * (length[cp] + n - k) > cap:  # room for this mapping and 4 bytes per code point after it
                    cap = 2 * cap + 4 * (length[cp] + n - k)
                    grown = <char *>realloc(out, cap)
                    if grown == NULL:
                        failed = True
                        break
                    out = grown
                for j in range(offset[cp], offset[cp] + length[cp]):
                    f = flat[j]
                    space = f == 32
                    if not (space and prev_space):
                        wb += _utf8(f, out + wb)
                        wc += 1
                    prev_space = space
            while e < m:
                pos[e] = wc
                bpos[e] = wb
                e += 1
        if failed:
            raise MemoryError()
        return PyBytes_FromStringAndSize(out, wb)
    finally:
        free(out)
