"""Kernels of filters/minhash.py (each equal to the pure-Python code named in its docstring)."""
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    Py_UCS4 PyUnicode_READ(int kind, void *data, Py_ssize_t index) nogil
    int PyUnicode_READY(object o) except -1

# The per-shingle permutation minimum is the hot loop (num_perm multiply-adds per shingle): in C,
# cloned for AVX2 where GCC supports function multiversioning (chosen at load time by the CPU).
cdef extern from *:
    """
    #include <stdint.h>
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    __attribute__((target_clones("avx2", "default"), optimize("O3")))
    #endif
    static void thresher_perm_min(const uint32_t *__restrict a, const uint32_t *__restrict b,
                                  uint32_t *__restrict m, Py_ssize_t n_perm,
                                  const uint32_t *__restrict hv, Py_ssize_t n_hv) {
        for (Py_ssize_t s = 0; s < n_hv; s++) {
            uint32_t h = hv[s];
            for (Py_ssize_t p = 0; p < n_perm; p++) {
                uint32_t v = a[p] * h + b[p];
                m[p] = v < m[p] ? v : m[p];
            }
        }
    }
    """
    void thresher_perm_min(const uint32_t *a, const uint32_t *b, uint32_t *m, Py_ssize_t n_perm,
                           const uint32_t *hv, Py_ssize_t n_hv) nogil

cdef enum:
    SEP = 0
    WORD = 1
    UNSPACED = 2
    IGNORE = 3

cdef uint64_t TOKEN_BASE = 0x100000001B3ULL
cdef uint64_t TOKEN_LEN_MIX = 0x9E3779B97F4A7C15ULL
cdef uint64_t SHINGLE_LEN_MIX = 0xC2B2AE3D27D4EB4FULL


cdef inline uint64_t fmix64(uint64_t h) nogil:
    h ^= h >> 33
    h *= 0xFF51AFD7ED558CCDULL
    h ^= h >> 33
    h *= 0xC4CEB9FE1A85EC53ULL
    return h ^ (h >> 33)


cdef inline uint32_t fmix32(uint32_t h) nogil:
    h ^= h >> 16
    h *= 0x85EBCA6BU
    h ^= h >> 13
    h *= 0xC2B2AE35U
    return h ^ (h >> 16)


cdef Py_ssize_t _token_hashes(int kind, void *data, Py_ssize_t n, const uint8_t *table,
                              uint64_t *tok, bint *char_mode) nogil:
    """Token hashes of one normalized text into ``tok``; returns the token count."""
    cdef Py_ssize_t i, n_words = 0, n_uns = 0, n_tok = 0, tlen = 0
    cdef uint8_t c
    cdef bint in_word = False, every
    cdef uint32_t cp
    cdef uint64_t h = 0, p = 1
    for i in range(n):  # mode from the mixed tokenization
        c = table[PyUnicode_READ(kind, data, i)]
        if c == IGNORE:
            continue
        if c == WORD:
            if not in_word:
                n_words += 1
            in_word = True
        else:
            in_word = False
            if c == UNSPACED:
                n_uns += 1
    every = n_uns > 0 and n_uns >= n_words
    char_mode[0] = every
    for i in range(n):
        cp = PyUnicode_READ(kind, data, i)
        c = table[cp]
        if c == IGNORE:
            continue
        if c == WORD and not every:
            h += cp * p
            p *= TOKEN_BASE
            tlen += 1
            continue
        if tlen:
            tok[n_tok] = fmix64(h + <uint64_t>tlen * TOKEN_LEN_MIX)
            n_tok += 1
            h = 0
            p = 1
            tlen = 0
        if c != SEP:  # an unspaced character, or any word character in char mode
            tok[n_tok] = fmix64(<uint64_t>cp + TOKEN_LEN_MIX)
            n_tok += 1
    if tlen:
        tok[n_tok] = fmix64(h + <uint64_t>tlen * TOKEN_LEN_MIX)
        n_tok += 1
    return n_tok


def signatures_into(list texts, const uint8_t[::1] table, const uint32_t[::1] a, const uint32_t[::1] b,
                    uint32_t[:, ::1] out, int ngram_word, int ngram_char, const uint64_t[::1] shingle_pow):
    """``MinHasher._signatures_into`` without its counters (``_shingle_hashes_batch`` then the
    permutation minimum): row i of ``out`` (filled with 0xFFFFFFFF) becomes the signature of the
    already normalized ``texts[i]``. Returns (docs without tokens, char-mode docs, shingles)."""
    cdef Py_ssize_t n_docs = len(texts), d, n, n_tok, n_sh, i, k, width, max_len = 0
    cdef Py_ssize_t n_perm = a.shape[0], n_empty = 0, n_char = 0, n_shingles = 0
    cdef int kind, g
    cdef void *data
    cdef bint cm
    cdef uint64_t acc, len_mix
    cdef uint64_t *tok
    cdef uint32_t *hv
    if out.shape[0] != n_docs or out.shape[1] != n_perm or b.shape[0] != n_perm or table.shape[0] < 0x110000:
        raise ValueError("shape mismatch")
    if shingle_pow.shape[0] < max(ngram_word, ngram_char) or min(ngram_word, ngram_char) < 1:
        raise ValueError("n-gram sizes out of range")
    for d in range(n_docs):
        s = texts[d]
        if not isinstance(s, str):
            raise TypeError("texts must be str")
        PyUnicode_READY(s)
        max_len = max(max_len, PyUnicode_GET_LENGTH(s))
    tok = <uint64_t *>malloc((max_len + 1) * sizeof(uint64_t))
    hv = <uint32_t *>malloc((max_len + 1) * sizeof(uint32_t))
    if tok == NULL or hv == NULL:
        free(tok)
        free(hv)
        raise MemoryError()
    try:
        for d in range(n_docs):
            s = texts[d]
            kind = PyUnicode_KIND(s)
            data = PyUnicode_DATA(s)
            n = PyUnicode_GET_LENGTH(s)
            with nogil:
                n_tok = _token_hashes(kind, data, n, &table[0], tok, &cm)
                n_char += cm
                if n_tok == 0:
                    n_empty += 1
                    continue
                g = ngram_char if cm else ngram_word
                if n_tok < g:  # one shorter shingle of all the tokens
                    g = <int>n_tok
                width = n_tok - g + 1
                len_mix = <uint64_t>g * SHINGLE_LEN_MIX
                for i in range(width):
                    acc = 0
                    for k in range(g):
                        acc += tok[i + k] * shingle_pow[k]
                    hv[i] = fmix32(<uint32_t>(fmix64(acc + len_mix) >> 32))
                n_shingles += width
                thresher_perm_min(&a[0], &b[0], &out[d, 0], n_perm, hv, width)
    finally:
        free(tok)
        free(hv)
    return n_empty, n_char, n_shingles
