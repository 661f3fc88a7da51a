"""Kernels of filters/blocklist.py: the match form of a text and the Aho-Corasick scan over it, in one pass.

``Alphabet`` numbers the characters of a blocklist's patterns and learns, one code point at a time (from a
Python callback, ``blocklist._form_entry``), what each text character becomes in the match form. ``Matcher``
is an Aho-Corasick automaton over those numbers: ``find(norm)`` equals ``matching.overlapping_matches`` on
a text already in match form, ``scan(text)`` builds the match form itself and checks the word boundaries.
"""
from cpython.unicode cimport (PyUnicode_KIND, PyUnicode_DATA, PyUnicode_READ, PyUnicode_GET_LENGTH,
                              PyUnicode_1BYTE_KIND, PyUnicode_2BYTE_KIND, Py_UNICODE_ISSPACE)
from libc.stdint cimport int32_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, calloc, realloc, free

cimport cython

DEF MAX_CP = 0x110000
# packed entry of a text code point in Alphabet.table: 0 not learnt yet, -1 the general path
DEF KNOWN = 1          # bit 0
DEF CCC_SHIFT = 1      # bits 1-8: canonical combining class of the form character
DEF EXPANDS = 512      # bit 9: the form is several characters (payload: expansion id)
DEF CHECK = 1024       # bit 10: the text's NFKC check is left to the caller (see blocklist._form_entry)
DEF CHANGED = 2048     # bit 11: NFKC changes the character
DEF WORD = 4096        # bit 12: the form character is a word character
DEF PAYLOAD_SHIFT = 13 # bits 13-31: symbol of the form character, or expansion id
DEF BUF_SHIFT = 12     # entry >> BUF_SHIFT: (symbol << 1) | word, the form character in Matcher.scan's buffer
DEF SLOW = KNOWN | (0xFF << CCC_SHIFT) | EXPANDS | CHECK   # entry & SLOW == KNOWN: one plain character


# Matcher.scan's match form under construction
cdef struct Pass:
    int32_t *buf       # (symbol << 1) | word, per form character
    int32_t *src       # source index per form character (NULL until a character expands)
    Py_ssize_t m       # form characters so far
    Py_ssize_t cap     # room in buf (and src)
    Py_ssize_t boundary  # start of the last character NFKC cannot reach across
    Py_ssize_t seg_lo  # start of the open piece to check (-1: none)
    int32_t prev       # combining class of the last character
    int32_t seen       # entries or-ed


@cython.final
cdef class Alphabet:
    """The characters of a pattern set (symbols 1..size) and the lazily learnt form of each text character.
    ``classify(cp)``: None (a text holding it takes the general path) or ``(items, check, changed)`` as
    ``blocklist._form_entry``."""
    cdef int32_t *table
    cdef int32_t *bmp_sym
    cdef int32_t *exp
    cdef int32_t *exp_off
    cdef int32_t n_exp, exp_used, exp_cap, cap_ids
    cdef readonly dict symbols
    cdef readonly int32_t size
    cdef object classify

    def __cinit__(self, chars, classify):
        self.table = <int32_t *> calloc(MAX_CP, sizeof(int32_t))
        self.bmp_sym = <int32_t *> calloc(0x10000, sizeof(int32_t))
        self.exp_cap, self.cap_ids = 64, 16
        self.exp = <int32_t *> malloc(self.exp_cap * sizeof(int32_t))
        self.exp_off = <int32_t *> malloc((self.cap_ids + 1) * sizeof(int32_t))
        if not (self.table and self.bmp_sym and self.exp and self.exp_off):
            raise MemoryError()
        self.exp_off[0] = 0
        self.n_exp = self.exp_used = 0
        self.classify = classify
        self.symbols = {}
        cdef int32_t cp
        for ch in sorted(set(chars)):
            cp = ord(ch)
            self.size += 1
            self.symbols[cp] = self.size
            if cp < 0x10000:
                self.bmp_sym[cp] = self.size
        cdef int32_t repl = self.symbols.get(0xFFFD, 0)
        for cp in range(0xD800, 0xE000):  # lone surrogates are matched as U+FFFD (matching.overlapping_matches)
            self.bmp_sym[cp] = repl

    def __dealloc__(self):
        free(self.table)
        free(self.bmp_sym)
        free(self.exp)
        free(self.exp_off)

    cdef int32_t learn(self, uint32_t cp) except? -2:
        cdef int32_t entry, sym, flags
        found = self.classify(cp)
        if found is None:
            entry = -1
        else:
            items, check, changed = found
            flags = KNOWN | (CHECK if check else 0) | (CHANGED if changed else 0)
            if len(items) == 1:
                low, word, ccc = items[0]
                sym = self.symbols.get(low, 0)
                entry = flags | (WORD if word else 0) | (<int32_t> ccc << CCC_SHIFT) | (sym << PAYLOAD_SHIFT)
            else:
                if self.n_exp == self.cap_ids:
                    self.cap_ids *= 2
                    self.exp_off = <int32_t *> realloc(self.exp_off, (self.cap_ids + 1) * sizeof(int32_t))
                while self.exp_used + len(items) > self.exp_cap:
                    self.exp_cap *= 2
                    self.exp = <int32_t *> realloc(self.exp, self.exp_cap * sizeof(int32_t))
                if not (self.exp and self.exp_off):
                    raise MemoryError()
                for low, word, _ in items:
                    self.exp[self.exp_used] = (<int32_t> self.symbols.get(low, 0) << 1) | (1 if word else 0)
                    self.exp_used += 1
                entry = flags | EXPANDS | (self.n_exp << PAYLOAD_SHIFT)
                self.n_exp += 1
                self.exp_off[self.n_exp] = self.exp_used
        self.table[cp] = entry
        return entry

    cdef inline int32_t raw_symbol(self, uint32_t cp):
        if cp < 0x10000:
            return self.bmp_sym[cp]
        return self.symbols.get(cp, 0)


DEF PAIR_BITS = 65536


cdef inline uint32_t _pair(uint32_t a, uint32_t b) noexcept nogil:
    """Bit of the symbol pair (a, b) in _Trie.pairs."""
    return ((a * 2654435761u) ^ (b * 40503u)) & (PAIR_BITS - 1)


@cython.final
cdef class _Trie:
    """Aho-Corasick automaton of some patterns (symbol sequences; ``out`` holds the pattern's index)."""
    cdef int32_t n_states
    cdef int32_t *root_next    # dense transitions of the root, per symbol
    cdef int32_t *off          # CSR transitions of the other states (symbols sorted)
    cdef int32_t *tsym
    cdef int32_t *tnext
    cdef int32_t *fail
    cdef int32_t *out          # pattern ending at the state, or -1
    cdef int32_t *dlink        # nearest state on the fail chain with a pattern (0: none)
    cdef uint64_t *pairs       # bit _pair(a, b) set when a pattern starts with symbols a, b

    def __cinit__(self, int32_t n_symbols, list seqs, list ids):
        cdef int32_t total = 0, i, j, k, s, L, depth, st, child, q_head, q_tail, f, g, a
        cdef uint32_t h
        for t in seqs:
            total += len(t)
        cdef int32_t S = total + 1
        self.root_next = <int32_t *> calloc(n_symbols + 1, sizeof(int32_t))
        self.off = <int32_t *> calloc(S + 1, sizeof(int32_t))
        self.tsym = <int32_t *> malloc(S * sizeof(int32_t))
        self.tnext = <int32_t *> malloc(S * sizeof(int32_t))
        self.fail = <int32_t *> calloc(S, sizeof(int32_t))
        self.out = <int32_t *> malloc(S * sizeof(int32_t))
        self.dlink = <int32_t *> calloc(S, sizeof(int32_t))
        self.pairs = <uint64_t *> calloc(PAIR_BITS // 64, sizeof(uint64_t))
        cdef int32_t *sym_of = <int32_t *> malloc((S + 1) * sizeof(int32_t))   # symbol on the edge into a state
        cdef int32_t *parent = <int32_t *> malloc((S + 1) * sizeof(int32_t))
        cdef int32_t *path = <int32_t *> malloc((S + 1) * sizeof(int32_t))
        cdef int32_t *seq = <int32_t *> malloc((S + 1) * sizeof(int32_t))
        cdef int32_t *prev_seq = <int32_t *> malloc((S + 1) * sizeof(int32_t))
        if not (self.root_next and self.off and self.tsym and self.tnext and self.fail and self.out
                and self.dlink and self.pairs and sym_of and parent and path and seq and prev_seq):
            free(sym_of); free(parent); free(path); free(seq); free(prev_seq)
            raise MemoryError()
        try:
            for s in range(S):
                self.out[s] = -1
            # trie from the patterns in sorted order: a pattern shares with the previous one the states of their
            # common prefix, and each state's children are created in increasing symbol order
            self.n_states = 1
            path[0] = 0
            L = 0
            for i in sorted(range(len(seqs)), key=seqs.__getitem__):
                t = seqs[i]
                depth = 0
                while depth < L and depth < len(t) and prev_seq[depth] == t[depth]:
                    depth += 1
                for j in range(depth, len(t)):
                    st = self.n_states
                    self.n_states += 1
                    sym_of[st] = t[j]
                    parent[st] = path[j]
                    path[j + 1] = st
                    prev_seq[j] = t[j]
                L = len(t)
                self.out[path[L]] = ids[i]
                if L >= 2:
                    h = _pair(t[0], t[1])
                    self.pairs[h >> 6] |= (<uint64_t> 1) << (h & 63)
            # CSR: children grouped by parent; states of one parent were created in increasing symbol order
            for st in range(1, self.n_states):
                self.off[parent[st] + 1] += 1
            for st in range(self.n_states):
                self.off[st + 1] += self.off[st]
            for st in range(self.n_states):
                seq[st] = self.off[st]
            for st in range(1, self.n_states):
                self.tsym[seq[parent[st]]] = sym_of[st]
                self.tnext[seq[parent[st]]] = st
                seq[parent[st]] += 1
                if parent[st] == 0:
                    self.root_next[sym_of[st]] = st
            # fail and dictionary links, breadth first (path[] reused as the queue)
            q_head = q_tail = 0
            for i in range(self.off[0], self.off[1]):
                path[q_tail] = self.tnext[i]
                q_tail += 1
            while q_head < q_tail:
                st = path[q_head]
                q_head += 1
                for i in range(self.off[st], self.off[st + 1]):
                    child = self.tnext[i]
                    a = self.tsym[i]
                    f = self.fail[st]
                    while True:
                        g = self.goto(f, a)
                        if g > 0 or f == 0:
                            break
                        f = self.fail[f]
                    self.fail[child] = g
                    self.dlink[child] = g if self.out[g] >= 0 else self.dlink[g]
                    path[q_tail] = child
                    q_tail += 1
        finally:
            free(sym_of); free(parent); free(path); free(seq); free(prev_seq)

    def __dealloc__(self):
        free(self.root_next); free(self.off); free(self.tsym); free(self.pairs)
        free(self.tnext); free(self.fail); free(self.out); free(self.dlink)

    cdef inline int32_t goto(self, int32_t st, int32_t a) noexcept nogil:
        """Child of ``st`` on symbol ``a`` (0: none)."""
        cdef int32_t lo, hi, mid
        if st == 0:
            return self.root_next[a]
        lo, hi = self.off[st], self.off[st + 1]
        if hi - lo <= 8:
            while lo < hi:
                if self.tsym[lo] >= a:
                    return self.tnext[lo] if self.tsym[lo] == a else 0
                lo += 1
            return 0
        while lo < hi:
            mid = (lo + hi) >> 1
            if self.tsym[mid] < a:
                lo = mid + 1
            else:
                hi = mid
        if lo < self.off[st + 1] and self.tsym[lo] == a:
            return self.tnext[lo]
        return 0

    cdef inline int32_t step(self, int32_t st, int32_t a) noexcept nogil:
        """The automaton's next state from ``st`` on symbol ``a`` (fail links followed)."""
        cdef int32_t g
        if a == 0:
            return 0
        while True:
            g = self.goto(st, a)
            if g > 0 or st == 0:
                return g
            st = self.fail[st]

    cdef inline int hits_at(self, int32_t st, Py_ssize_t i, const int32_t *buf, Py_ssize_t m, const int32_t *edges,
                            list hits) except -1:
        """Appends to ``hits`` the ``(pattern, i, end)`` of the patterns starting at ``buf[i]`` (of ``m``, as in
        Matcher.scan; ``st`` > 0: the root's child on its symbol), those with a word character last only
        where a word ends."""
        cdef Py_ssize_t j = i
        cdef int32_t k
        cdef uint32_t h
        if i + 1 < m:
            h = _pair(buf[i] >> 1, buf[i + 1] >> 1)
            if not (self.pairs[h >> 6] >> (h & 63)) & 1:  # no pattern goes on: one of one character at most
                k = self.out[st]
                if k >= 0 and not ((edges[k] & 2) and (buf[i + 1] & 1)):
                    hits.append((k, i, i + 1))
                return 0
        while st > 0:
            j += 1
            k = self.out[st]
            if k >= 0 and not ((edges[k] & 2) and j < m and (buf[j] & 1)):
                hits.append((k, i, j))
            if j == m:
                break
            st = self.goto(st, buf[j] >> 1)
        return 0


@cython.final
cdef class Matcher:
    """The automata of ``patterns`` (strings of ``alphabet``'s characters, distinct, not empty);
    ``lefts``/``rights``: whether each pattern's first/last character is a word character. ``scan`` walks
    the trie of the others from every position and that of the patterns with a word character first
    (``lefts``) only from word starts (their other occurrences fail the left boundary anyway); ``find`` runs
    Aho-Corasick over them all."""
    cdef Alphabet alphabet
    cdef list seqs
    cdef int32_t *plen
    cdef int32_t *edges        # bit 0: left edge is a word character, bit 1: right edge
    cdef _Trie words           # patterns with a word character first
    cdef _Trie others          # the rest
    cdef _Trie every           # all (built for find on first use)

    def __cinit__(self, Alphabet alphabet, list patterns, lefts, rights):
        self.alphabet = alphabet
        cdef int32_t P = len(patterns), k
        self.plen = <int32_t *> malloc((P + 1) * sizeof(int32_t))
        self.edges = <int32_t *> malloc((P + 1) * sizeof(int32_t))
        if not (self.plen and self.edges):
            raise MemoryError()
        symbols = alphabet.symbols
        self.seqs = [tuple([symbols[ord(c)] for c in p]) for p in patterns]
        wl, wi, ol, oi = [], [], [], []
        for k in range(P):
            self.plen[k] = len(patterns[k])
            self.edges[k] = (1 if lefts[k] else 0) | (2 if rights[k] else 0)
            if lefts[k]:
                wl.append(self.seqs[k]); wi.append(k)
            else:
                ol.append(self.seqs[k]); oi.append(k)
        self.words = _Trie(alphabet.size, wl, wi)
        self.others = _Trie(alphabet.size, ol, oi)
        self.every = None

    def __dealloc__(self):
        free(self.plen)
        free(self.edges)

    def find(self, str text):
        """Every occurrence of every pattern in ``text`` (taken as is), overlapping ones included:
        ``[(pattern index, start, end)]``, as ``matching.overlapping_matches``."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i
        cdef int kind = PyUnicode_KIND(text)
        cdef void *data = PyUnicode_DATA(text)
        cdef int32_t st = 0, t, k
        cdef list hits = []
        if self.every is None:
            self.every = _Trie(self.alphabet.size, self.seqs, list(range(len(self.seqs))))
        cdef _Trie A = self.every
        for i in range(n):
            st = A.step(st, self.alphabet.raw_symbol(PyUnicode_READ(kind, data, i)))
            t = st if A.out[st] >= 0 else A.dlink[st]
            while t > 0:
                k = A.out[t]
                hits.append((k, i + 1 - self.plen[k], i + 1))
                t = A.dlink[t]
        return hits

    cdef int add(self, Pass *p, uint32_t cp, Py_ssize_t i, Py_ssize_t n, list segments) except -1:
        """Add text character ``cp`` at ``i`` (of ``n``) to the match form ``p``: 0, or 1 when the text needs
        the general path."""
        cdef Alphabet a = self.alphabet
        cdef int32_t entry = a.table[cp], ccc, x, L
        cdef Py_ssize_t j
        cdef int32_t *grown
        if entry == 0:
            entry = a.learn(cp)
        if entry < 0:
            return 1
        p.seen |= entry
        ccc = (entry >> CCC_SHIFT) & 0xFF
        if ccc != 0 and p.prev > ccc:
            return 1
        p.prev = ccc
        if entry & CHECK:
            if p.seg_lo < 0:
                p.seg_lo = p.boundary
        elif ccc == 0:  # normalisation does not reach across the start of this character
            if p.seg_lo >= 0:
                segments.append((p.seg_lo, i))
                p.seg_lo = -1
            p.boundary = i
        if entry & EXPANDS:
            x = entry >> PAYLOAD_SHIFT
            L = a.exp_off[x + 1] - a.exp_off[x]
            if p.m + L + (n - i) > p.cap:
                p.cap = 2 * p.cap + L
                grown = <int32_t *> realloc(p.buf, p.cap * sizeof(int32_t))
                if grown == NULL:
                    raise MemoryError()
                p.buf = grown
                if p.src != NULL:
                    grown = <int32_t *> realloc(p.src, p.cap * sizeof(int32_t))
                    if grown == NULL:
                        raise MemoryError()
                    p.src = grown
            if p.src == NULL:
                p.src = <int32_t *> malloc(p.cap * sizeof(int32_t))
                if p.src == NULL:
                    raise MemoryError()
                for j in range(p.m):
                    p.src[j] = <int32_t> j
            for j in range(a.exp_off[x], a.exp_off[x + 1]):
                p.buf[p.m] = a.exp[j]
                p.src[p.m] = <int32_t> i
                p.m += 1
        else:
            p.buf[p.m] = entry >> BUF_SHIFT
            if p.src != NULL:
                p.src[p.m] = <int32_t> i
            p.m += 1
        return 0

    def scan(self, str text):
        """``text``'s match form built character by character (as ``blocklist._match_form``) and scanned:
        ``(hits, index, pieces, changed)`` with ``hits`` = ``[(pattern index, start, end)]`` in match-form
        offsets, those whose word edges sit on word boundaries, ``index`` the map from match-form offsets to
        ``text``'s (None: the same offsets), ``changed``: whether NFKC changes a character of ``text`` alone,
        and ``pieces`` the ``(start, end)`` pieces of ``text`` whose near form (each character replaced by its
        NFKC form) must be NFKC for the result to hold: those around the characters that may compose with
        the one before (or expand to combining marks), each from the start of a character whose form starts
        with a character of combining class 0 that never composes backwards (NFKC can split a text there) to
        the next such start. None when ``text`` needs the general path (a character without a per-character
        form, or combining marks out of canonical order)."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i, j, m
        cdef int kind = PyUnicode_KIND(text)
        cdef void *data = PyUnicode_DATA(text)
        cdef int32_t st
        cdef list segments = []
        cdef _Trie W, O
        cdef int32_t a_sym
        cdef int32_t *w_root
        cdef int32_t *o_root
        cdef int32_t *edges = self.edges
        cdef int32_t *buf
        cdef int r
        cdef list hits
        cdef Pass p
        p.cap = n + 1
        p.buf = <int32_t *> malloc(p.cap * sizeof(int32_t))
        p.src = NULL
        p.m = p.boundary = 0
        p.seg_lo = -1
        p.prev = p.seen = 0
        if p.buf == NULL:
            raise MemoryError()
        try:
            # the match form, one character at a time (a loop compiled per string kind)
            if kind == PyUnicode_1BYTE_KIND:
                r = _form(self, <const uint8_t *> data, n, &p, segments)
            elif kind == PyUnicode_2BYTE_KIND:
                r = _form(self, <const uint16_t *> data, n, &p, segments)
            else:
                r = _form(self, <const uint32_t *> data, n, &p, segments)
            if r:
                return None
            buf, m = p.buf, p.m
            hits = []
            W, O = self.words, self.others
            w_root, o_root = W.root_next, O.root_next
            for i in range(m):
                a_sym = buf[i] >> 1
                if a_sym == 0:
                    continue
                # the unspaced-edge patterns starting here
                st = o_root[a_sym]
                if st > 0:
                    O.hits_at(st, i, buf, m, edges, hits)
                if i > 0 and (buf[i - 1] & 1):
                    continue
                # a word start: the word-edge patterns starting here
                st = w_root[a_sym]
                if st > 0:
                    W.hits_at(st, i, buf, m, edges, hits)
            index = None
            if p.src != NULL and hits:
                index = [p.src[j] for j in range(m)]
                index.append(n)
            if p.seg_lo >= 0:
                segments.append((p.seg_lo, n))
            return hits, index, segments, bool(p.seen & CHANGED)
        finally:
            free(p.buf)
            free(p.src)


ctypedef fused unit_t:                 # the code unit of a str of each kind
    uint8_t
    uint16_t
    uint32_t


cdef int _form(Matcher self, const unit_t *data, Py_ssize_t n, Pass *p, list segments) except -1:
    """``Matcher.scan``'s match form of the ``n`` characters ``data`` into ``p``: plain characters here (the
    state in locals), the others through ``Matcher.add``; 1 when the text needs the general path."""
    cdef int32_t *table = self.alphabet.table
    cdef int32_t *buf = p.buf
    cdef int32_t *src = p.src
    cdef Py_ssize_t i, m = p.m, seg_lo = p.seg_lo, boundary = p.boundary
    cdef int32_t entry, seen = p.seen, prev = p.prev
    cdef uint32_t cp
    for i in range(n):
        cp = data[i]
        entry = table[cp]
        if (entry & SLOW) == KNOWN and seg_lo < 0:
            buf[m] = entry >> BUF_SHIFT
            if src != NULL:
                src[m] = <int32_t> i
            m += 1
            seen |= entry
            boundary = i
            prev = 0
            continue
        p.buf, p.src, p.m, p.seg_lo, p.seen, p.boundary, p.prev = buf, src, m, seg_lo, seen, boundary, prev
        if self.add(p, cp, i, n, segments):
            return 1
        buf, src, m, seg_lo, seen, boundary, prev = p.buf, p.src, p.m, p.seg_lo, p.seen, p.boundary, p.prev
    p.buf, p.src, p.m, p.seg_lo, p.seen, p.boundary, p.prev = buf, src, m, seg_lo, seen, boundary, prev
    return 0


def word_count(str text):
    """``blocklist._word_count``: ``len(text.split())`` (runs of characters that are not str.isspace())."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i, words = 0
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef bint inside = False, space
    for i in range(n):
        space = Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))
        if not space and not inside:
            words += 1
        inside = not space
    return words


def nonspace_count(str text):
    """``blocklist._nonspace_count``: the number of characters that are not str.isspace()."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i, count = 0
    cdef int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    for i in range(n):
        if not Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i)):
            count += 1
    return count
