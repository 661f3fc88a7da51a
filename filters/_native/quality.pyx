"""Kernels of filters/quality.py (each equal to the pure-Python function named in its docstring)."""
from cpython.unicode cimport (PyUnicode_1BYTE_KIND, PyUnicode_2BYTE_KIND, PyUnicode_DATA, PyUnicode_GET_LENGTH,
                              PyUnicode_KIND)
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

import numpy as np


cdef extern from "Python.h":
    bint _isspace "Py_UNICODE_ISSPACE" (Py_UCS4 ch) nogil      # str.isspace() of one character (a table look-up)

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


# class bits and rows of filters/quality.py (its R_* constants)
cdef enum:
    N_ROWS_ALL = 23
    SPACE = 8
    BREAK_BITS = 8 | 16 | 32            # SPACE | PUNCT | SYMBOL
    R_WSTART = 8
    R_RUN = 9
    R_TOK = 11
    R_ALPHA = 13
    R_FFFD = 14
    R_NON_ASCII = 15
    R_LATIN_PAIR = 16
    R_CJK = 17
    R_INDIC = 18
    R_HASH = 19
    R_DOTS = 20
    R_ELLIPSIS = 21
    R_NEWLINE = 22


cdef inline uint8_t _astral_class(uint32_t c) noexcept nogil:
    """Class bits above the BMP (as ``quality._classes``)."""
    if 0x1F000 <= c <= 0x1FAFF:
        return 32                       # SYMBOL
    if 0x20000 <= c <= 0x3FFFF:
        return 1 | 64                   # LETTER | UNSPACED
    return 1                            # LETTER


cdef Py_ssize_t _widen(str s, uint32_t* out) noexcept:
    """Copies the code points of ``s`` to ``out`` (as its UTF-32 encoding with surrogatepass would
    give them); returns their number."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(s), i
    cdef unsigned int kind = PyUnicode_KIND(s)
    cdef void* data = PyUnicode_DATA(s)
    cdef const uint8_t* d1
    cdef const uint16_t* d2
    cdef const uint32_t* d4
    if kind == PyUnicode_1BYTE_KIND:
        d1 = <const uint8_t*>data
        for i in range(n):
            out[i] = d1[i]
    elif kind == PyUnicode_2BYTE_KIND:
        d2 = <const uint16_t*>data
        for i in range(n):
            out[i] = d2[i]
    else:
        d4 = <const uint32_t*>data
        for i in range(n):
            out[i] = d4[i]
    return n


def char_pass(str joined, list lowers, const int64_t[::1] bounds, const uint8_t[::1] table,
              const uint8_t[::1] cont):
    """``quality._char_pass``: one pass over the characters (the class bits are counted in 16-bit
    lanes, two words of four, flushed at each bound and every 65,535 characters)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(joined), nb = bounds.shape[0], i, j, r, bi = 0, nt = 0, ne = 0, o = 0
    cdef Py_ssize_t since = 0
    cp_out = np.empty(n, dtype=np.uint32)
    lcp_arr = np.empty(n, dtype=np.uint32)
    cdef uint32_t[::1] cp = cp_out, lcp = lcp_arr
    cdef str low
    cdef Py_ssize_t total = len(lowers) - 1 if lowers else 0
    for low in lowers:
        total += PyUnicode_GET_LENGTH(low)
    if total != n:
        raise ValueError("the lower-cased texts joined by spaces do not have the joined text's length")
    if n:
        _widen(joined, &cp[0])
        for j, low in enumerate(lowers):    # the lower-cased texts, joined by spaces
            if j:
                lcp[o] = 32
                o += 1
            if PyUnicode_GET_LENGTH(low):
                o += _widen(low, &lcp[o])
    C_out = np.zeros((N_ROWS_ALL, nb), dtype=np.int32)
    cdef int32_t[:, ::1] C = C_out
    pos_out = np.empty(n // 2 + 1, dtype=np.int64)
    end_out = np.empty(n // 2 + 1, dtype=np.int64)
    h_out = np.empty(n // 2 + 1, dtype=np.uint64)
    cdef int64_t[::1] tpv = pos_out, tev = end_out
    cdef uint64_t[::1] thv = h_out
    cdef int64_t* tp = &tpv[0]
    cdef int64_t* te = &tev[0]
    cdef uint64_t* th = &thv[0]
    cdef const uint8_t* tab = &table[0]
    cdef int32_t cnt[N_ROWS_ALL]
    cdef uint64_t inc_lo[256]
    cdef uint64_t inc_hi[256]
    cdef uint64_t acc_lo = 0, acc_hi = 0
    cdef uint8_t k
    cdef uint32_t c, prev = 0xFFFFFFFF, nxt
    cdef int run = 0, in_space = 1, in_tok = 0, word_alpha = 0, dots = 0
    cdef uint64_t h = 0, p = 1
    for r in range(N_ROWS_ALL):
        cnt[r] = 0
    for r in range(256):
        inc_lo[r] = ((r & 1) | ((r >> 1 & 1) << 16) | (<uint64_t>(r >> 2 & 1) << 32)
                     | (<uint64_t>(r >> 3 & 1) << 48))
        inc_hi[r] = ((r >> 4 & 1) | ((r >> 5 & 1) << 16) | (<uint64_t>(r >> 6 & 1) << 32)
                     | (<uint64_t>(r >> 7 & 1) << 48))
    with nogil:
        for i in range(n):
            if bi < nb and bounds[bi] == i or since == 0xFFFF:
                for r in range(4):
                    cnt[r] += <int32_t>((acc_lo >> (16 * r)) & 0xFFFF)
                    cnt[r + 4] += <int32_t>((acc_hi >> (16 * r)) & 0xFFFF)
                acc_lo = acc_hi = 0
                since = 0
                while bi < nb and bounds[bi] == i:
                    for r in range(N_ROWS_ALL):
                        C[r, bi] = cnt[r]
                    bi += 1
            since += 1
            c = cp[i]
            k = tab[c] if c <= 0xFFFF else _astral_class(c)
            acc_lo += inc_lo[k]
            acc_hi += inc_hi[k]
            # white-space words (and their first letters), runs of one character
            run = run + 1 if c == prev else 1
            prev = c
            if k & SPACE:
                in_space = 1
            else:
                if in_space:
                    cnt[R_WSTART] += 1
                    word_alpha = 0
                    in_space = 0
                if run >= 4:
                    cnt[R_RUN] += 1
                if (k & 1) and not word_alpha:
                    cnt[R_ALPHA] += 1
                    word_alpha = 1
            # normalised tokens and their hashes
            if k & BREAK_BITS:
                if in_tok:
                    te[ne] = i
                    th[ne] = h
                    ne += 1
                    in_tok = 0
            else:
                if not in_tok:
                    cnt[R_TOK] += 1
                    tp[nt] = i
                    nt += 1
                    h = 0
                    p = 1
                    in_tok = 1
                h += lcp[i] * p
                p *= _PRIME
            # marks
            if c < 0x80:
                if c == 46:
                    dots += 1
                    if dots == 3:           # "..." as str.count finds them: left to right, no overlap
                        cnt[R_DOTS] += 1
                        dots = 0
                else:
                    dots = 0
                    if c == 10:
                        cnt[R_NEWLINE] += 1
                    elif c == 35:
                        cnt[R_HASH] += 1
            else:
                dots = 0
                cnt[R_NON_ASCII] += 1
                if c == 0x2026:
                    cnt[R_ELLIPSIS] += 1
                if c == 0xFFFD:
                    cnt[R_FFFD] += 1
                if c >= 0x3400:
                    cnt[R_CJK] += 1
                elif 0xC2 <= c <= 0xF4:
                    if i + 1 < n:
                        nxt = cp[i + 1]
                        if cont[nxt if nxt <= 0xFFFF else 0xFFFF]:
                            cnt[R_LATIN_PAIR] += 1
                elif 0x900 <= c <= 0xDFF:
                    cnt[R_INDIC] += 1
        if in_tok:
            te[ne] = n
            th[ne] = h
            ne += 1
        for r in range(4):
            cnt[r] += <int32_t>((acc_lo >> (16 * r)) & 0xFFFF)
            cnt[r + 4] += <int32_t>((acc_hi >> (16 * r)) & 0xFFFF)
        while bi < nb:
            for r in range(N_ROWS_ALL):
                C[r, bi] = cnt[r]
            bi += 1
    return C_out, pos_out[:nt], end_out[:ne], h_out[:ne], cp_out


# ---- Gopher n-gram repetition ----------------------------------------------------------------

cdef extern from "stdlib.h" nogil:
    void* malloc(size_t size)
    void* calloc(size_t nmemb, size_t size)
    void free(void* ptr)

cdef extern from "string.h" nogil:
    void* memset(void* s, int c, size_t n)


cdef struct _Table:
    uint64_t* keys
    int64_t* first                      # smallest position holding the key
    int32_t* count                      # 0: empty slot
    Py_ssize_t mask


cdef inline uint64_t _mix(uint64_t h) noexcept nogil:
    h ^= h >> 33
    h *= 0xff51afd7ed558ccdULL
    h ^= h >> 33
    h *= 0xc4ceb9fe1a85ec53ULL
    h ^= h >> 33
    return h


cdef inline void _table_reset(_Table* t, Py_ssize_t n) noexcept nogil:
    """Empties ``t`` and sizes it for ``n`` keys (its buffers hold at least 2n rounded up to 2^k)."""
    cdef Py_ssize_t cap = 16
    while cap < 2 * n:
        cap <<= 1
    t.mask = cap - 1
    memset(t.count, 0, cap * sizeof(int32_t))


cdef inline Py_ssize_t _table_add(_Table* t, uint64_t h, int64_t pos) noexcept nogil:
    """Counts one more ``h`` (first seen at ``pos`` if new: positions come ascending); its slot."""
    cdef Py_ssize_t s = <Py_ssize_t>(_mix(h) & <uint64_t>t.mask)
    while t.count[s]:
        if t.keys[s] == h:
            t.count[s] += 1
            return s
        s = (s + 1) & t.mask
    t.keys[s] = h
    t.first[s] = pos
    t.count[s] = 1
    return s


cdef inline double _frac(int64_t chars, int32_t count, double total) noexcept nogil:
    """min(1.0, float(chars) * count / total), as Python computes it."""
    cdef double x = (<double>chars) * (<double>count) / total
    return x if x < 1.0 else 1.0


cdef bint _ngram_doc(const uint64_t* ids, const int64_t* csum, Py_ssize_t T, int scale, double* out,
                     uint64_t* H, uint64_t* step, int64_t* D, uint64_t* hD, int64_t* slot, _Table* t) noexcept nogil:
    """``quality._ngram_fractions`` of the ids[0:T] (``csum``: 0 and their cumulated lengths, T + 1
    of them, or any offset of these) into out[0:3] (top) and out[3:9] (dupf); H, step, D, hD, slot
    hold T values each, the table 2T. True when a top fraction is unsure: where numpy sorts, the
    most frequent hash stands for n-grams of different lengths (polynomial hashes collide: "e" "0"
    and "0" "05"), and which one counts depends on numpy's argsort order among equal hashes."""
    cdef Py_ssize_t i, a, b, m, nd, nc, k, best_s
    cdef int64_t n = 2 * scale, prev_n, chars
    cdef uint64_t h, pw, shift = 1
    cdef int32_t best
    cdef bint any_dup, small = False
    cdef double total = <double>(csum[T] - csum[0])
    for i in range(9):
        out[i] = 0.0
    if T < 2 * scale or total <= 0:
        return False
    for i in range(scale):
        shift *= _PRIME
    # the scale-grams (step) and the 2·scale-grams (H): polynomial hashes, oldest token highest
    for i in range(T - scale + 1):
        h = 0
        for a in range(scale):
            h = h * _PRIME + ids[i + a]
        step[i] = h
    m = T - n + 1
    for i in range(m):
        H[i] = step[i] * shift + step[i + scale]
    _table_reset(t, m)
    any_dup = False
    for i in range(m):
        slot[i] = _table_add(t, H[i], i)
        any_dup = any_dup or t.count[slot[i]] > 1
    if not any_dup:
        return False
    best_s = -1
    for i in range(m):                  # the most frequent 2-gram, the least hash among ties
        a = slot[i]
        if best_s < 0 or t.count[a] > t.count[best_s] or (t.count[a] == t.count[best_s] and t.keys[a] < t.keys[best_s]):
            best_s = a
    chars = csum[t.first[best_s] + n] - csum[t.first[best_s]]
    out[0] = _frac(chars, t.count[best_s], total)
    for i in range(m):
        if slot[i] == best_s and csum[i + n] - csum[i] != chars:
            return True
    nd = 0
    for i in range(m):
        if t.count[slot[i]] > 1:
            D[nd] = i
            hD[nd] = H[i]
            nd += 1
    # sizes 3 and up: only where the n-gram before repeats (see _ngram_rest / _ngram_small)
    for k in range(3, 11):
        prev_n = n
        n = k * scale
        if not small:
            if nd < 2:
                break
            small = nd <= 48
        nc = 0
        b = 0
        for a in range(nd):             # candidates: D[a] + scale in D, and the n-gram fits
            while b < nd and D[b] < D[a] + scale:
                b += 1
            if b < nd and D[b] == D[a] + scale and D[a] + n <= T:
                D[nc] = D[a]            # (nc <= a: in place)
                H[nc] = hD[a] * shift + step[D[a] + prev_n]
                nc += 1
        if nc < 2:
            break
        _table_reset(t, nc)
        any_dup = False
        for a in range(nc):
            slot[a] = _table_add(t, H[a], D[a])
            any_dup = any_dup or t.count[slot[a]] > 1
        if not any_dup:
            break
        if k <= 4:
            best_s = -1
            for a in range(nc):
                i = slot[a]
                if best_s < 0 or t.count[i] > t.count[best_s]:
                    best_s = i
                elif t.count[i] == t.count[best_s] and not small and t.keys[i] < t.keys[best_s]:
                    best_s = i          # (numpy's argsort order: the least hash; plain Python: the first position)
            chars = csum[t.first[best_s] + n] - csum[t.first[best_s]]
            out[k - 2] = _frac(chars, t.count[best_s], total)
            if not small:
                for a in range(nc):
                    if slot[a] == best_s and csum[D[a] + n] - csum[D[a]] != chars:
                        return True
        nd = 0
        for a in range(nc):
            if t.count[slot[a]] > 1:
                D[nd] = D[a]
                hD[nd] = H[a]
                nd += 1
        if k >= 5:                      # characters covered by the repeated n-grams
            chars = 0
            for a in range(nd):
                b = D[a] + n
                if a + 1 < nd and D[a + 1] < b:
                    b = D[a + 1]
                chars += csum[b] - csum[D[a]]
            out[k - 2] = (<double>chars) / total    # (dupf[k - 5] = out[3 + k - 5])
    return False


def ngram_fractions_ranges(const uint64_t[::1] ids, const int64_t[::1] csum, const int64_t[::1] los,
                           const int64_t[::1] his, int scale):
    """``quality._ngram_fractions_ranges``: float64 (len(los), 9) rows top (3) + dupf (6), and the
    indices of the rows that are unsure (see ``_ngram_doc``: the caller takes those from numpy)."""
    cdef Py_ssize_t nr = los.shape[0], r, Tmax = 1, cap = 16, nu = 0
    out = np.zeros((nr, 9), dtype=np.float64)
    unsure = np.empty(nr, dtype=np.int64)
    cdef double[:, ::1] o = out
    cdef int64_t[::1] u = unsure
    for r in range(nr):
        if his[r] - los[r] > Tmax:
            Tmax = his[r] - los[r]
    while cap < 2 * Tmax:
        cap <<= 1
    cdef uint64_t* H = <uint64_t*>malloc(Tmax * sizeof(uint64_t))
    cdef uint64_t* step = <uint64_t*>malloc(Tmax * sizeof(uint64_t))
    cdef int64_t* D = <int64_t*>malloc(Tmax * sizeof(int64_t))
    cdef uint64_t* hD = <uint64_t*>malloc(Tmax * sizeof(uint64_t))
    cdef int64_t* slot = <int64_t*>malloc(Tmax * sizeof(int64_t))
    cdef _Table t
    t.keys = <uint64_t*>malloc(cap * sizeof(uint64_t))
    t.first = <int64_t*>malloc(cap * sizeof(int64_t))
    t.count = <int32_t*>malloc(cap * sizeof(int32_t))
    try:
        if not (H and step and D and hD and slot and t.keys and t.first and t.count):
            raise MemoryError()
        with nogil:
            for r in range(nr):
                if _ngram_doc(&ids[0] + los[r], &csum[0] + los[r], his[r] - los[r], scale, &o[r, 0],
                              H, step, D, hD, slot, &t):
                    u[nu] = r
                    nu += 1
    finally:
        free(H); free(step); free(D); free(hD); free(slot); free(t.keys); free(t.first); free(t.count)
    return out, unsure[:nu]


cdef inline bint _in_slots(const uint64_t* slots, Py_ssize_t mask, int shift, uint64_t x) noexcept nogil:
    """Whether ``x`` is a key of the open-addressing table ``slots`` (see ``quality._HashFilter``)."""
    cdef uint64_t free = slots[mask + 1]
    cdef Py_ssize_t i = <Py_ssize_t>((x * 0x9E3779B97F4A7C15ULL) >> shift)
    while slots[i] != free:
        if slots[i] == x:
            return True
        i = (i + 1) & mask
    return False


cdef inline int _shift(Py_ssize_t size) noexcept nogil:
    """64 - b for a table of 2^b slots."""
    cdef int b = 0
    while (<Py_ssize_t>1 << b) < size:
        b += 1
    return 64 - b


def find_hashes(const uint64_t[::1] keys, table, const uint64_t[::1] h, const int64_t[::1] los,
                const int64_t[::1] his):
    """``quality._find_hashes_in``: ascending indices i in the ranges los[r]..his[r] (ascending,
    disjoint) with h[i] in ``keys`` (``table`` its ``_hash_filter``: the slots are looked up where
    ``present`` says a key may be)."""
    cdef const uint64_t[::1] sv = table[1]
    cdef const uint8_t[::1] pv = table[0].view(np.uint8)
    cdef Py_ssize_t nr = los.shape[0], r, i, n = 0, size = 0, mask = sv.shape[0] - 2
    cdef int shift = _shift(mask + 1)
    cdef const uint64_t* slots = &sv[0]
    cdef const uint8_t* present = &pv[0]
    for r in range(nr):
        size += his[r] - los[r]
    out = np.empty(size, dtype=np.int64)
    cdef int64_t[::1] o = out
    with nogil:
        for r in range(nr):
            for i in range(los[r], his[r]):
                if present[h[i] >> 48] and _in_slots(slots, mask, shift, h[i]):
                    o[n] = i
                    n += 1
    return out[:n]


def match_phrases(const int64_t[::1] cand, const int64_t[::1] first, const int64_t[::1] cand_hi,
                  const uint64_t[::1] tokh, const int64_t[::1] phr_lo, const int64_t[::1] phr_len,
                  const uint64_t[:, ::1] phr_tok):
    """``quality._match_phrases``: the first matching phrase of each candidate token, or -1."""
    cdef Py_ssize_t nc = cand.shape[0], c, p, j, k, i, f
    out = np.full(nc, -1, dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef bint same
    with nogil:
        for c in range(nc):
            i = cand[c]
            f = first[c]
            for p in range(phr_lo[f], phr_lo[f + 1]):
                k = phr_len[p]
                same = k == 1 or i + k <= cand_hi[c]
                j = 0
                while same and k > 1 and j < k:
                    same = tokh[i + j] == phr_tok[p, j]
                    j += 1
                if same:
                    o[c] = p
                    break
    return out


# ---- repeated lines and blocks ---------------------------------------------------------------

cdef extern from "string.h" nogil:
    int memcmp(const void* a, const void* b, size_t n)
    void* memcpy(void* dest, const void* src, size_t n)

ctypedef fused uchar:                   # the code unit of a str of each kind
    uint8_t
    uint16_t
    uint32_t


cdef inline uint64_t _bytes_hash(const char* p, Py_ssize_t n) noexcept nogil:
    """A 64-bit hash of the n bytes at p, eight at a time."""
    cdef uint64_t h = 14695981039346656037ULL ^ <uint64_t>n, w
    cdef Py_ssize_t i = 0
    while i + 8 <= n:
        memcpy(&w, p + i, 8)
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL
        h ^= h >> 29
        i += 8
    if i < n:
        w = 0
        memcpy(&w, p + i, n - i)
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL
    return _mix(h)


cdef void _repeats(const char* data, int kind, const int64_t* xs, const int64_t* ys, Py_ssize_t n, int64_t* occ,
                   int64_t* slot_span, int64_t* slot_count, uint64_t* slot_hash) noexcept nogil:
    """occ[i]: the spans before i (of the n spans xs[i]..ys[i] of the text) with the same text.
    The slot buffers hold 2n rounded up to a power of two, at least 16."""
    cdef Py_ssize_t cap = 16, i, s, mask, j
    cdef uint64_t h
    while cap < 2 * n:
        cap <<= 1
    mask = cap - 1
    for s in range(cap):
        slot_span[s] = -1
    for i in range(n):
        h = _bytes_hash(data + xs[i] * kind, (ys[i] - xs[i]) * kind)
        s = <Py_ssize_t>(h & <uint64_t>mask)
        while True:
            j = slot_span[s]
            if j < 0 or (slot_hash[s] == h and ys[j] - xs[j] == ys[i] - xs[i]
                         and memcmp(data + xs[j] * kind, data + xs[i] * kind, (ys[i] - xs[i]) * kind) == 0):
                break
            s = (s + 1) & mask
        if j < 0:
            slot_span[s] = i
            slot_hash[s] = h
            slot_count[s] = 0
        occ[i] = slot_count[s]
        slot_count[s] += 1


cdef class _Scratch:
    """Buffers of _repeats for up to n spans."""
    cdef int64_t* slot_span
    cdef int64_t* slot_count
    cdef uint64_t* slot_hash

    def __cinit__(self, Py_ssize_t n):
        cdef Py_ssize_t cap = 16
        while cap < 2 * n:
            cap <<= 1
        self.slot_span = <int64_t*>malloc(cap * sizeof(int64_t))
        self.slot_count = <int64_t*>malloc(cap * sizeof(int64_t))
        self.slot_hash = <uint64_t*>malloc(cap * sizeof(uint64_t))
        if not (self.slot_span and self.slot_count and self.slot_hash):
            raise MemoryError()

    def __dealloc__(self):
        free(self.slot_span)
        free(self.slot_count)
        free(self.slot_hash)


def span_repeats(str text, const int64_t[::1] starts, const int64_t[::1] ends, const int64_t[::1] group_off):
    """``quality._span_repeats``: int64 occ[i], the spans before span i in its group (spans
    group_off[g]..group_off[g + 1] - 1) whose text is the same."""
    cdef Py_ssize_t n = starts.shape[0], ng = group_off.shape[0] - 1, g, most = 0
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    cdef int64_t[::1] occ = out
    for g in range(ng):
        if group_off[g + 1] - group_off[g] > most:
            most = group_off[g + 1] - group_off[g]
    cdef _Scratch sc = _Scratch(most)
    cdef const char* data = <const char*>PyUnicode_DATA(text)
    cdef int kind = PyUnicode_KIND(text)
    with nogil:
        for g in range(ng):
            if group_off[g + 1] > group_off[g]:
                _repeats(data, kind, &starts[0] + group_off[g], &ends[0] + group_off[g],
                         group_off[g + 1] - group_off[g], &occ[0] + group_off[g], sc.slot_span, sc.slot_count,
                         sc.slot_hash)
    return out


cdef inline bint _blank(Py_UCS4 c) noexcept nogil:
    """[ \t\r\f\v\u00a0\u3000]: the white space between the two line breaks of a block break."""
    return c == 32 or c == 9 or c == 13 or c == 12 or c == 11 or c == 0xA0 or c == 0x3000


cdef Py_ssize_t _next_break(const uchar* d, Py_ssize_t i, Py_ssize_t y, Py_ssize_t* end) noexcept nogil:
    """Start of the first match of ``quality._BLOCK_SPLIT`` (\n[ \t\r\f\v\u00a0\u3000]*\n\s*) in
    text[i:y], its end in ``end``; -1 when there is none."""
    cdef Py_ssize_t k
    while i < y:
        if d[i] == 10:
            k = i + 1
            while k < y and _blank(d[k]):
                k += 1
            if k < y and d[k] == 10:
                k += 1
                while k < y and _isspace(d[k]):
                    k += 1
                end[0] = k
                return i
        i += 1
    return -1


cdef Py_ssize_t _blocks(const uchar* d, Py_ssize_t x, Py_ssize_t y, int64_t* bx, int64_t* by) noexcept nogil:
    """The blocks of text[x:y] (see ``quality._block_stats``) into bx / by; their number."""
    cdef Py_ssize_t i, a, b, m, end = 0, nb = 0
    cdef bint split = False             # "\n\n", "\n " or "\n\t" in the text: split into blocks
    for i in range(x, y - 1):
        if d[i] == 10 and (d[i + 1] == 10 or d[i + 1] == 32 or d[i + 1] == 9):
            split = True
            break
    a = x
    while True:                         # the pieces between the breaks, stripped (empty ones dropped)
        m = _next_break(d, a, y, &end) if split else -1
        b = y if m < 0 else m
        i = a
        while i < b and _isspace(d[i]):
            i += 1
        while b > i and _isspace(d[b - 1]):
            b -= 1
        if b > i or not split:          # (without a split, the stripped text is the one block)
            bx[nb] = i
            by[nb] = b
            nb += 1
        if m < 0:
            return nb
        a = end


def block_stats(str text, const int64_t[::1] starts, const int64_t[::1] ends):
    """``quality._block_stats``: int64 (documents, 4) rows of blocks, repeated blocks, their
    characters, and the characters of all blocks of each document text[starts[j]:ends[j]]."""
    cdef Py_ssize_t nd = starts.shape[0], j, k, nb, most = 1
    cdef const char* data = <const char*>PyUnicode_DATA(text)
    cdef int kind = PyUnicode_KIND(text)
    out = np.zeros((nd, 4), dtype=np.int64)
    cdef int64_t[:, ::1] o = out
    for j in range(nd):
        if ends[j] - starts[j] > most:
            most = ends[j] - starts[j]
    bx_arr = np.empty(most // 2 + 2, dtype=np.int64)
    by_arr = np.empty(most // 2 + 2, dtype=np.int64)
    occ_arr = np.empty(most // 2 + 2, dtype=np.int64)
    cdef int64_t[::1] bx = bx_arr, by = by_arr, occ = occ_arr
    cdef _Scratch sc = _Scratch(most // 2 + 2)
    with nogil:
        for j in range(nd):
            if kind == 1:
                nb = _blocks(<const uint8_t*>data, starts[j], ends[j], &bx[0], &by[0])
            elif kind == 2:
                nb = _blocks(<const uint16_t*>data, starts[j], ends[j], &bx[0], &by[0])
            else:
                nb = _blocks(<const uint32_t*>data, starts[j], ends[j], &bx[0], &by[0])
            o[j, 0] = nb
            for k in range(nb):
                o[j, 3] += by[k] - bx[k]
            if nb > 1:
                _repeats(data, kind, &bx[0], &by[0], nb, &occ[0], sc.slot_span, sc.slot_count, sc.slot_hash)
                for k in range(nb):
                    if occ[k]:
                        o[j, 1] += 1
                        o[j, 2] += by[k] - bx[k]
    return out


def find_hashes_groups(list groups, const int64_t[::1] group_of, const uint64_t[::1] h, const int64_t[::1] los,
                       const int64_t[::1] his):
    """``quality._find_hashes_groups``: ascending indices i of the ranges los[r]..his[r]
    (ascending, disjoint) with h[i] in the keys of groups[group_of[r]] (a (keys, _hash_filter)
    pair; no look-up where group_of[r] < 0)."""
    cdef Py_ssize_t ng = len(groups), nr = los.shape[0], g, r, i, n = 0, size = 0
    cdef const uint64_t[::1] sv
    cdef const uint8_t[::1] pv
    cdef const uint64_t** slots = <const uint64_t**>malloc((ng + 1) * sizeof(void*))
    cdef const uint8_t** present = <const uint8_t**>malloc((ng + 1) * sizeof(void*))
    cdef Py_ssize_t* masks = <Py_ssize_t*>malloc((ng + 1) * sizeof(Py_ssize_t))
    cdef int* shifts = <int*>malloc((ng + 1) * sizeof(int))
    cdef const uint64_t* sg
    cdef const uint8_t* pg
    cdef Py_ssize_t mg
    cdef int hg
    cdef int64_t[::1] o
    try:
        if not (slots and present and masks and shifts):
            raise MemoryError()
        for g in range(ng):                 # (the arrays stay alive in ``groups``)
            sv = groups[g][1][1]
            pv = groups[g][1][0].view(np.uint8)
            slots[g] = &sv[0]
            present[g] = &pv[0]
            masks[g] = sv.shape[0] - 2
            shifts[g] = _shift(masks[g] + 1)
        for r in range(nr):
            if group_of[r] >= 0:
                size += his[r] - los[r]
        out = np.empty(size, dtype=np.int64)
        o = out
        with nogil:
            for r in range(nr):
                g = group_of[r]
                if g < 0:
                    continue
                sg, pg, mg, hg = slots[g], present[g], masks[g], shifts[g]
                for i in range(los[r], his[r]):
                    if pg[h[i] >> 48] and _in_slots(sg, mg, hg, h[i]):
                        o[n] = i
                        n += 1
    finally:
        free(slots)
        free(present)
        free(masks)
        free(shifts)
    return out[:n]


# ---- substrings ------------------------------------------------------------------------------

cdef uint64_t _keys_in(const uchar* d, Py_ssize_t n, const uint32_t* chars, const int64_t* offs, Py_ssize_t nk,
                       const uint8_t* pairs, const uint8_t* singles) noexcept nogil:
    cdef uint64_t found = 0, every = (<uint64_t>1 << nk) - 1 if nk < 64 else ~(<uint64_t>0)
    cdef Py_ssize_t i, k, j, a, m
    cdef uint32_t c
    for i in range(n):
        c = d[i]
        if not (singles[c & 0xFF] or (i + 1 < n and pairs[(c & 0xFF) << 8 | (d[i + 1] & 0xFF)])):
            continue
        for k in range(nk):
            a = offs[k]
            m = offs[k + 1] - a
            if found >> k & 1 or chars[a] != c or m > n - i:
                continue
            j = 1
            while j < m and d[i + j] == chars[a + j]:
                j += 1
            if j == m:
                found |= <uint64_t>1 << k
        if found == every:
            break
    return found


def keys_in(str text, table):
    """``quality._keys_in``: bit k set where table.keys[k] is in ``text`` (``table``: a
    ``quality._KeyTable``)."""
    cdef const uint32_t[::1] chars = table[1]
    cdef const int64_t[::1] offs = table[2]
    cdef const uint8_t[::1] pairs = table[3]
    cdef const uint8_t[::1] singles = table[4]
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), nk = offs.shape[0] - 1
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef uint64_t found = 0
    if n == 0 or nk <= 0:
        return 0
    with nogil:
        if kind == 1:
            found = _keys_in(<const uint8_t*>data, n, &chars[0], &offs[0], nk, &pairs[0], &singles[0])
        elif kind == 2:
            found = _keys_in(<const uint16_t*>data, n, &chars[0], &offs[0], nk, &pairs[0], &singles[0])
        else:
            found = _keys_in(<const uint32_t*>data, n, &chars[0], &offs[0], nk, &pairs[0], &singles[0])
    return found
