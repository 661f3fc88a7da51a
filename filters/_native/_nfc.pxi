# Included by the kernels that run the NFC/NFKC quick check (after char_t, uint8_t, uint32_t, uint64_t).

cdef bint _composes(Py_ssize_t i, uint32_t c, const char_t *s, const uint8_t[::1] ccc, const uint8_t[::1] flags,
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
        p = s[j]
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
