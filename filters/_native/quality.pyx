"""Kernels of filters/quality.py (each equal to the pure-Python function named in its docstring)."""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t

import numpy as np

cdef uint64_t _PRIME = 1099511628211ULL


def token_hashes(const uint32_t[::1] lcp, const int64_t[::1] starts, const int64_t[::1] ends):
    """``quality._token_hashes``: uint64 sum of lcp[starts[i] + k] * P^k (mod 2^64) per token."""
    cdef Py_ssize_t n = starts.shape[0], i, j
    out = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    cdef uint64_t h, p
    with nogil:
        for i in range(n):
            h = 0
            p = 1
            for j in range(starts[i], ends[i]):
                h += lcp[j] * p
                p *= _PRIME
            o[i] = h
    return out


def cumulated_at(const uint8_t[:, ::1] M, const int64_t[::1] bounds):
    """``quality._cumulated_at``: int32 C[r, i] = M[r, :bounds[i]].sum() (bounds sorted)."""
    cdef Py_ssize_t rows = M.shape[0], nb = bounds.shape[0], r, i, pos, stop
    out = np.zeros((rows, nb), dtype=np.int32)
    cdef int32_t[:, ::1] C = out
    cdef int32_t acc
    with nogil:
        for r in range(rows):
            acc = 0
            pos = 0
            for i in range(nb):
                stop = bounds[i]
                while pos < stop:
                    acc += M[r, pos]
                    pos += 1
                C[r, i] = acc
    return out
