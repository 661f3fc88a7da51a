"""Kernels of filters/minhash.py (each equal to the pure-Python code named in its docstring)."""
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

from filters._native._unicode cimport (PyUnicode_4BYTE_KIND, PyUnicode_DATA, PyUnicode_FromKindAndData,
                                      PyUnicode_GET_LENGTH, PyUnicode_KIND, PyUnicode_READ, PyUnicode_READY,
                                      char_t, ready_texts, str_data)

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


cdef inline Py_ssize_t _push(uint64_t *tok, Py_ssize_t n_tok, uint64_t h, Py_ssize_t tlen) noexcept nogil:
    tok[n_tok] = fmix64(h + <uint64_t>tlen * TOKEN_LEN_MIX)
    return n_tok + 1


cdef Py_ssize_t _tokens(const char_t *s, Py_ssize_t n, const uint8_t *table, uint64_t *tok,
                        bint *char_mode) noexcept nogil:
    """Token hashes of one normalized text (code points ``s``) into ``tok``; returns the token
    count. Word-mode tokens are hashed in the pass that decides the mode; a char-mode text is
    hashed again, one token per word or unspaced character."""
    cdef Py_ssize_t i, n_words = 0, n_uns = 0, n_tok = 0, tlen = 0
    cdef uint8_t c
    cdef uint32_t cp
    cdef uint64_t h = 0, p = 1
    for i in range(n):
        cp = s[i]
        c = table[cp]
        if c == WORD:
            if tlen == 0:
                n_words += 1
            h += cp * p
            p *= TOKEN_BASE
            tlen += 1
        elif c != IGNORE:
            if tlen:
                n_tok = _push(tok, n_tok, h, tlen)
                h = 0
                p = 1
                tlen = 0
            if c == UNSPACED:
                n_uns += 1
                n_tok = _push(tok, n_tok, cp, 1)
    if tlen:
        n_tok = _push(tok, n_tok, h, tlen)
    char_mode[0] = n_uns > 0 and n_uns >= n_words
    if not char_mode[0]:
        return n_tok
    n_tok = 0
    for i in range(n):
        cp = s[i]
        c = table[cp]
        if c == WORD or c == UNSPACED:
            n_tok = _push(tok, n_tok, cp, 1)
    return n_tok


cdef Py_ssize_t _token_hashes(int kind, void *data, Py_ssize_t n, const uint8_t *table,
                              uint64_t *tok, bint *char_mode) noexcept nogil:
    """:func:`_tokens` of a str's data."""
    if kind == 1:
        return _tokens(<const uint8_t *>data, n, table, tok, char_mode)
    if kind == 2:
        return _tokens(<const uint16_t *>data, n, table, tok, char_mode)
    return _tokens(<const uint32_t *>data, n, table, tok, char_mode)


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
    ready_texts(texts, &max_len)
    tok = <uint64_t *>malloc((max_len + 1) * sizeof(uint64_t))
    hv = <uint32_t *>malloc((max_len + 1) * sizeof(uint32_t))
    if tok == NULL or hv == NULL:
        free(tok)
        free(hv)
        raise MemoryError()
    try:
        for d in range(n_docs):
            data = str_data(texts[d], &kind, &n)
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



cdef uint32_t MULTI = 0xFFFFFFFFU
cdef uint8_t SURE_NO = 254, NOT_QUICK = 255

include "_nfc.pxi"


cdef Py_ssize_t _map(const uint32_t *src, Py_ssize_t n, uint32_t *dst, const uint32_t[::1] single,
                     const uint8_t[::1] length, const int64_t[::1] offset, const uint32_t[::1] flat,
                     bint multi_marked) nogil:
    """Each code point of ``src`` replaced by its mapping taken alone (see ``Normalizer``)."""
    cdef Py_ssize_t i, j, m = 0, limit = single.shape[0]
    cdef uint32_t cp, f
    for i in range(n):
        cp = src[i]
        if cp >= limit:
            dst[m] = cp
            m += 1
            continue
        if multi_marked:
            f = single[cp]
            if f != MULTI:
                dst[m] = f
                m += 1
                continue
        elif length[cp] == 1:
            dst[m] = single[cp]
            m += 1
            continue
        for j in range(offset[cp], offset[cp] + length[cp]):
            dst[m] = flat[j]
            m += 1
    return m


cdef bint _quick(const uint32_t *cps, Py_ssize_t n, const uint8_t[::1] qc, const uint8_t[::1] ccc,
                 const uint8_t[::1] flags, const uint64_t[::1] pairs) noexcept nogil:
    """Whether ``cps`` is surely NFKC: quick code points, or "maybe" ones that compose with nothing,
    with classes in order."""
    cdef Py_ssize_t i
    cdef uint32_t cp
    cdef uint8_t q, prev = 0
    for i in range(n):
        cp = cps[i]
        q = qc[cp]
        if q == SURE_NO:
            return False
        if q == NOT_QUICK:
            if _composes(i, cp, cps, ccc, flags, pairs):
                return False
            q = ccc[cp]
        if q != 0 and prev > q:
            return False
        prev = q
    return True


cdef Py_ssize_t _largest(const uint8_t[::1] values) noexcept nogil:
    cdef Py_ssize_t i, m = 0
    for i in range(values.shape[0]):
        if values[i] > m:
            m = values[i]
    return m


cdef class Normalizer:
    """``minhash.normalize`` (NFKC then ``str.casefold``) of non-ASCII text from per-code-point tables.

    ``qc[cp]``: the combining class of cp, ``SURE_NO`` (254) when cp's quick check is surely "no"
    (NFKC changes it and it composes with nothing before it), ``NOT_QUICK`` (255) when it may be
    "no" or "maybe". ``nfkc_*``: the NFKC mapping of each code point alone (``minhash._nfkc_tables``
    layout, covering every code point); ``fold_*``: the same layout for ``str.casefold``, with
    ``MULTI`` in ``fold_single`` where the folding is not one character, up to ``len(fold_single)``
    (code points above fold to themselves).

    ``normalizer(text)`` follows ``minhash.nfkc``: a text passing the quick check is its own NFKC;
    else, when a code point is surely "no", the text mapped character by character is its NFKC
    when that passes the quick check. The result is then casefolded; None when neither holds
    (the caller computes ``nfkc(text)`` and passes it to ``fold``).
    """

    cdef const uint8_t[::1] qc, ccc, flags
    cdef const uint64_t[::1] pairs
    cdef const uint32_t[::1] n_single, n_flat, f_single, f_flat
    cdef const uint8_t[::1] n_length, f_length
    cdef const int64_t[::1] n_offset, f_offset
    cdef Py_ssize_t n_max, f_max  # longest mapping of each

    def __init__(self, const uint8_t[::1] qc, const uint8_t[::1] ccc, const uint8_t[::1] flags,
                 const uint64_t[::1] pairs, const uint32_t[::1] nfkc_single, const uint8_t[::1] nfkc_length,
                 const int64_t[::1] nfkc_offset, const uint32_t[::1] nfkc_flat, const uint32_t[::1] fold_single,
                 const uint8_t[::1] fold_length, const int64_t[::1] fold_offset, const uint32_t[::1] fold_flat):
        if (min(qc.shape[0], ccc.shape[0], flags.shape[0], nfkc_single.shape[0], nfkc_length.shape[0],
                nfkc_offset.shape[0]) < 0x110000
                or min(fold_length.shape[0], fold_offset.shape[0]) < fold_single.shape[0]):
            raise ValueError("tables too short")
        self.qc, self.ccc, self.flags, self.pairs = qc, ccc, flags, pairs
        self.n_single, self.n_length, self.n_offset, self.n_flat = nfkc_single, nfkc_length, nfkc_offset, nfkc_flat
        self.f_single, self.f_length, self.f_offset, self.f_flat = fold_single, fold_length, fold_offset, fold_flat
        self.n_max = max(1, _largest(nfkc_length))
        self.f_max = max(1, _largest(fold_length))

    def __call__(self, text):
        return self._run(text, True)

    def fold(self, text):
        """``text.casefold()``."""
        return self._run(text, False)

    cdef object _run(self, text, bint check):
        cdef Py_ssize_t n, i, m
        cdef int kind
        cdef void *data
        cdef uint32_t *src
        cdef uint32_t *mapped = NULL
        cdef uint32_t *out = NULL
        cdef bint ok = True, sure_no = False
        cdef uint8_t q, prev = 0
        cdef uint32_t cp
        if not isinstance(text, str):
            raise TypeError("text must be str")
        PyUnicode_READY(text)
        kind = PyUnicode_KIND(text)
        data = PyUnicode_DATA(text)
        n = PyUnicode_GET_LENGTH(text)
        src = <uint32_t *>malloc((n + 1) * sizeof(uint32_t))
        if src == NULL:
            raise MemoryError()
        try:
            with nogil:
                for i in range(n):
                    src[i] = PyUnicode_READ(kind, data, i)
                if check:
                    for i in range(n):
                        cp = src[i]
                        q = self.qc[cp]
                        if q == SURE_NO:
                            ok = False
                            sure_no = True
                            break
                        if q == NOT_QUICK:
                            if ok and _composes(i, cp, src, self.ccc, self.flags, self.pairs):
                                ok = False
                            q = self.ccc[cp]
                        if q != 0 and prev > q:
                            ok = False
                        prev = q
            if not ok:
                if not sure_no:
                    return None
                mapped = <uint32_t *>malloc((self.n_max * n + 1) * sizeof(uint32_t))
                if mapped == NULL:
                    raise MemoryError()
                with nogil:
                    m = _map(src, n, mapped, self.n_single, self.n_length, self.n_offset, self.n_flat, False)
                    ok = _quick(mapped, m, self.qc, self.ccc, self.flags, self.pairs)
                if not ok:
                    return None
                free(src)
                src, n, mapped = mapped, m, NULL
            out = <uint32_t *>malloc((self.f_max * n + 1) * sizeof(uint32_t))
            if out == NULL:
                raise MemoryError()
            with nogil:
                m = _map(src, n, out, self.f_single, self.f_length, self.f_offset, self.f_flat, True)
            return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, m)
        finally:
            free(src)
            free(mapped)
            free(out)
