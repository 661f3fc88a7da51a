"""Kernels of filters/langid.py (each equal to the pure-Python code named in its docstring).

``configure`` must run first (filters/langid.py calls it on import). Letters are regex
``[^\\W\\d_]``: ``Py_UNICODE_ISALNUM`` and not ``Py_UNICODE_ISDECIMAL`` (sre's ``\\w`` and ``\\d``);
white space is ``Py_UNICODE_ISSPACE`` (``str.strip``, regex ``\\s``).
"""
from libc.string cimport memset

cdef extern from "Python.h":
    int PyUnicode_READY(object o) except -1
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)
    bint PyUnicode_IS_ASCII(object o)
    Py_UCS4 PyUnicode_READ(int kind, const void* data, Py_ssize_t index) nogil
    object PyUnicode_Substring(object s, Py_ssize_t start, Py_ssize_t end)
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISDECIMAL(Py_UCS4 ch) nogil

# per BMP code point: letter (regex [^\W\d_]), white space and the script of langid._SPECIAL_SCRIPT,
# taken from CPython's predicates once by configure
cdef enum:
    LETTER = 1
    SPACE = 2
    HAN = 4
    KANA = 8
    HANGUL = 16
    THAI = 32
    SPECIAL = HAN | KANA | HANGUL | THAI

cdef unsigned char _CLS[65536]
cdef Py_UCS4 _ASTRAL_LO[8]
cdef Py_UCS4 _ASTRAL_HI[8]
cdef unsigned char _ASTRAL_BIT[8]
cdef int _N_ASTRAL = 0
cdef bint _CONFIGURED = False
cdef object _WS_SUB = None, _UND_T = None, _DOC_LANGUAGE = None, _CHINESE_SCRIPT = None, _M = None


def configure(han, kana, hangul, thai, ws_sub, und_t, doc_language, chinese_script, langid_module) -> None:
    """Set the code point ranges ((first, last) pairs) of the Han, Kana, Hangul and Thai classes of
    ``_SPECIAL_SCRIPT``, ``_WS.sub``, ``_UND_T``, the ``DocLanguage`` class, ``chinese_script`` and
    the module itself (``_sample``, ``_round4`` and ``_LINGUA_MEMO_MAX`` are read from it per call)."""
    global _N_ASTRAL, _CONFIGURED, _WS_SUB, _UND_T, _DOC_LANGUAGE, _CHINESE_SCRIPT, _M
    cdef Py_ssize_t c
    cdef Py_UCS4 u
    for c in range(0x10000):
        u = <Py_UCS4> c
        _CLS[c] = ((LETTER if Py_UNICODE_ISALNUM(u) and not Py_UNICODE_ISDECIMAL(u) else 0)
                   | (SPACE if Py_UNICODE_ISSPACE(u) else 0))
    _N_ASTRAL = 0
    for ranges, bit in ((han, HAN), (kana, KANA), (hangul, HANGUL), (thai, THAI)):
        for lo, hi in ranges:
            if hi >= 0x10000:
                if lo < 0x10000 or _N_ASTRAL == 8:
                    raise ValueError("astral ranges must start past U+FFFF, at most 8 of them")
                _ASTRAL_LO[_N_ASTRAL] = lo
                _ASTRAL_HI[_N_ASTRAL] = hi
                _ASTRAL_BIT[_N_ASTRAL] = bit
                _N_ASTRAL += 1
            else:
                for c in range(lo, hi + 1):
                    _CLS[c] |= bit
    _WS_SUB = ws_sub
    _UND_T = und_t
    _DOC_LANGUAGE = doc_language
    _CHINESE_SCRIPT = chinese_script
    _M = langid_module
    _CONFIGURED = True


cdef inline unsigned char _cls(Py_UCS4 c) noexcept nogil:
    cdef int i
    cdef unsigned char r
    if c < 0x10000:
        return _CLS[c]
    r = LETTER if Py_UNICODE_ISALNUM(c) and not Py_UNICODE_ISDECIMAL(c) else 0
    if Py_UNICODE_ISSPACE(c):
        r |= SPACE
    for i in range(_N_ASTRAL):
        if _ASTRAL_LO[i] <= c <= _ASTRAL_HI[i]:
            r |= _ASTRAL_BIT[i]
    return r


cdef struct Info:
    bint ascii
    Py_ssize_t letters, special, han, kana, hangul, thai


cdef int _info(str smp, Info* r) except -1:
    """``str.isascii``, ``langid.letter_count`` and the characters of each special script of ``smp``."""
    PyUnicode_READY(smp)
    cdef int k = PyUnicode_KIND(smp)
    cdef const void* d = PyUnicode_DATA(smp)
    cdef Py_ssize_t n = len(smp), i
    cdef Py_UCS4 c
    cdef unsigned char cc
    memset(r, 0, sizeof(Info))
    r.ascii = PyUnicode_IS_ASCII(smp)
    if r.ascii:
        for i in range(n):
            c = PyUnicode_READ(k, d, i)
            if ((<unsigned int> c) | 0x20u) - 0x61u < 26u:   # A-Z, a-z
                r.letters += 1
        return 0
    for i in range(n):
        cc = _cls(PyUnicode_READ(k, d, i))
        if cc & LETTER:
            r.letters += 1
        if cc & SPECIAL:
            r.special += 1
            if cc & HAN:
                r.han += 1
            if cc & KANA:
                r.kana += 1
            if cc & HANGUL:
                r.hangul += 1
            if cc & THAI:
                r.thai += 1
    return 0


def sample_info(str smp) -> tuple:
    """(isascii, letter_count, special-script characters, Han, Kana, Hangul, Thai characters) of ``smp``."""
    cdef Info r
    _info(smp, &r)
    return r.ascii, r.letters, r.special, r.han, r.kana, r.hangul, r.thai


cdef inline object _share(Py_ssize_t n, Py_ssize_t letters):
    """langid._share: round(min(1.0, n / letters), 4)."""
    cdef double x = <double> n / <double> letters
    return round(x if x < 1.0 else 1.0, 4)


cdef object _script_rule(Info* r, double dominance, double kana_min_share):
    """``LanguageIdentifier._script_rule`` from a sample's counts."""
    if r.letters == 0:
        return None
    cdef double dom = dominance * <double> r.letters
    cdef Py_ssize_t han = r.han, kana = r.kana, hangul = r.hangul
    if hangul >= dom and hangul >= han + kana:
        return "ko", _share(hangul, r.letters)
    if han + kana >= dom:
        if kana >= kana_min_share * <double> (han + kana):
            return "ja", _share(han + kana, r.letters)
        return "zh", _share(han, r.letters)
    if r.thai >= dom:
        return "th", _share(r.thai, r.letters)
    return None


def script_rule(str sample, Py_ssize_t letters, double dominance, double kana_min_share):
    """``LanguageIdentifier._script_rule(sample, letters)`` with the config's ``script_dominance``
    and ``kana_min_share``."""
    cdef Info r
    _info(sample, &r)
    r.letters = letters
    return _script_rule(&r, dominance, kana_min_share)


cdef object _sample(str text, Py_ssize_t n_text, s_obj, e_obj, Py_ssize_t limit, Py_ssize_t cut_from):
    """The detector sample of text[s:e] as _paragraph_samples makes it: cut to ``limit`` characters
    at a space when one is past ``cut_from``, white space runs made one space when it holds a
    newline or carriage return, stripped."""
    cdef Py_ssize_t s, e, j, a, b
    cdef int k
    cdef const void* d
    cdef Py_UCS4 c
    if type(s_obj) is int and type(e_obj) is int:
        s = s_obj
        e = e_obj
        if 0 <= s <= e <= n_text:
            PyUnicode_READY(text)
            k = PyUnicode_KIND(text)
            d = PyUnicode_DATA(text)
            a = s
            b = e
            if e - s > limit:
                b = s + limit                          # text.rfind(" ", s + cut_from, s + limit + 1)
                j = s + limit
                while j >= s + cut_from:
                    if PyUnicode_READ(k, d, j) == 0x20:
                        if j > s:
                            b = j
                        break
                    j -= 1
            for j in range(a, b):
                c = PyUnicode_READ(k, d, j)
                if c == 0x0A or c == 0x0D:
                    return _WS_SUB(" ", PyUnicode_Substring(text, a, b)).strip()
            while a < b and Py_UNICODE_ISSPACE(PyUnicode_READ(k, d, a)):
                a += 1
            while b > a and Py_UNICODE_ISSPACE(PyUnicode_READ(k, d, b - 1)):
                b -= 1
            return PyUnicode_Substring(text, a, b)
    # spans outside the text (or not ints): the reference's own steps
    if e_obj - s_obj > limit and 0 <= s_obj and e_obj <= n_text:
        sp = text.rfind(" ", s_obj + cut_from, s_obj + limit + 1)
        smp = text[s_obj:sp] if sp > s_obj else text[s_obj:s_obj + limit]
    else:
        smp = text[s_obj:e_obj]
        if len(smp) > limit:
            smp = smp[: limit + 1]
            sp = smp.rfind(" ", cut_from)
            smp = smp[:sp] if sp > 0 else smp[:limit]
    if "\n" in smp or "\r" in smp:
        smp = _WS_SUB(" ", smp)
    return smp.strip()


def paragraph_samples(texts, paragraph_spans, para_spans, Py_ssize_t limit, Py_ssize_t min_letters,
                      bint script_rules, double dominance, double kana_min_share):
    """``LanguageIdentifier._paragraph_samples`` with its config passed in (``min_letters``:
    ``max(1, min_paragraph_letters)``; ``dominance``, ``kana_min_share``: the script rule's
    ``script_dominance`` and ``kana_min_share``); returns the fields of its ``_Batch``:
    (pp_all, doc_spans, flat_d, flat_j, flat_s, flat_u, uniq, n_paras, n_script)."""
    if not _CONFIGURED:
        raise RuntimeError("filters._native.langid.configure() has not run")
    cdef Py_ssize_t cut_from = limit // 2, n_docs = len(texts), d, j, n_text, n_sp
    cdef Py_ssize_t n_paras = 0, n_script = 0
    cdef Info info
    cdef list pp_all = [], doc_spans = [], flat_d = [], flat_j = [], flat_s = [], flat_u = [], spans, pp
    cdef dict uniq = {}
    und_t = _UND_T
    for d in range(n_docs):
        text = texts[d] or ""
        n_text = len(text)
        if paragraph_spans is None:
            spans = para_spans(text)
        else:
            spans = [(int(s), int(e)) for s, e in paragraph_spans[d]]
        doc_spans.append(spans)
        n_sp = len(spans)
        pp = [None] * n_sp
        pp_all.append(pp)
        n_paras += n_sp
        for j in range(n_sp):
            s, e = spans[j]
            smp = _sample(text, n_text, s, e, limit, cut_from)
            _info(smp, &info)
            if info.letters < min_letters:
                if info.letters == 0:                        # digits, punctuation, symbols: nothing to detect or inherit
                    pp[j] = und_t
                continue
            if not info.ascii and script_rules and info.special:  # script rules (no Chinese script here)
                r = _script_rule(&info, dominance, kana_min_share)
                if r is not None:
                    pp[j] = (r[0], r[1], "script")
                    n_script += 1
                    continue
            u = uniq.get(smp)                           # fastText runs once per distinct sample
            if u is None:
                u = uniq[smp] = len(uniq)
            flat_d.append(d)
            flat_j.append(j)
            flat_s.append(smp)
            flat_u.append(u)
    return pp_all, doc_spans, flat_d, flat_j, flat_s, flat_u, uniq, n_paras, n_script


def first_detected(list pp_all) -> list:
    """``_documents``' first answer of each document that is neither None nor ``und`` (else None)."""
    cdef list out = [], pp
    for pp in pp_all:
        found = None
        for x in pp:
            if x is not None and x[0] != "und":
                found = x
                break
        out.append(found)
    return out


def assemble(self, text, spans, pp, last, whole, list tot, sk="score"):
    """``LanguageIdentifier._assemble`` (a method: ``self`` is unused)."""
    if not _CONFIGURED:
        raise RuntimeError("filters._native.langid.configure() has not run")
    doc_language, chinese_script = _DOC_LANGUAGE, _CHINESE_SCRIPT
    cdef list paras = []
    cdef dict chars = {}, wscore = {}, best = {}
    cdef Py_ssize_t n_und = 0, n_inh = 0, i, m = min(len(spans), len(pp))
    if last is None and whole is not None and whole.lang != "und":
        # no paragraph long enough: every paragraph with letters takes the whole text's language
        wlang, wsc = whole.lang, whole.score
        for i in range(m):
            s, e = spans[i]
            if pp[i] is not None:  # no letters
                paras.append({"start": s, "end": e, "lang": "und", sk: 0.0})
                n_und += 1
            else:
                paras.append({"start": s, "end": e, "lang": wlang, sk: wsc})
                n_inh += 1
                chars[wlang] = chars.get(wlang, 0) + (e - s)
                wscore[wlang] = wscore.get(wlang, 0.0) + (e - s) * wsc
    else:
        for i in range(m):
            s, e = spans[i]
            x = pp[i]
            n = e - s
            if x is None:
                if last is None:
                    paras.append({"start": s, "end": e, "lang": "und", sk: 0.0})
                    n_und += 1
                    continue
                lang = last[0]
                sc = last[1]
                n_inh += 1
            else:
                lang, sc, det = x
                if lang == "und":
                    paras.append({"start": s, "end": e, "lang": "und", sk: sc})
                    n_und += 1
                    continue
                last = x
                b = best.get(lang)
                if b is None or n > b[0]:
                    best[lang] = (n, det)
            paras.append({"start": s, "end": e, "lang": lang, sk: sc})
            c = chars.get(lang)
            if c is None:
                chars[lang] = n
                wscore[lang] = n * sc
            else:
                chars[lang] = c + n
                wscore[lang] += n * sc
    tot[0] += n_und
    tot[1] += n_inh
    total = sum(chars.values())
    if total == 0:
        tot[2] += 1
        return doc_language("und", 0.0, None, "none", paras, {})
    if len(chars) == 1:
        mix = {lang: 1.0 for lang in chars}
    else:
        mix = {l: round(c / total, 4) for l, c in sorted(chars.items(), key=_mix_order)}
        tot[3] += 1
    if whole is not None and whole.lang != "und" and not best:
        lang, score, detector = whole.lang, whole.score, whole.detector
    else:
        lang = next(iter(mix))
        score = round(wscore[lang] / chars[lang], 4)
        b = best.get(lang)
        detector = b[1] if b is not None else (whole.detector if whole else "none")
    script = None
    if lang == "zh":
        script = chinese_script("".join([text[p["start"]:p["end"]] for p in paras if p["lang"] == "zh"]))
    return doc_language(lang, score, script, detector, paras, mix)


def _mix_order(item):
    return -item[1], item[0]


cdef inline double _round4(double p) noexcept:
    """langid._round4 for p in [0, 1]."""
    cdef double q = p * 10000.0
    cdef long long r = <long long> (q + 0.5)
    if <double> r - q == 0.5:
        r -= r & 1
    return <double> r / 10000.0


def round4(double p) -> float:
    """``langid._round4(p)`` for a probability p in [0, 1]."""
    if not 0.0 <= p <= 1.0:
        raise ValueError("p must be in [0, 1]")
    return _round4(p)


def fasttext_cands(self, list samples, k, min_prob):
    """``LanguageIdentifier._fasttext_cands`` (a method)."""
    cdef Py_ssize_t i
    if not samples:
        return [], []
    raw = self._ft_multiline
    kk, th = (k, min_prob) if k > 0 else (1, 0.0)
    if raw is not None:
        labels, probs = raw([s + "\n" for s in samples], kk, th, "strict")
    else:
        labels, probs = self._ft.predict(samples, k=kk, threshold=th)
    lm = self._label_map
    out = [(lm[l[0]], min(1.0, float(p[0]))) if l else None for l, p in zip(labels, probs)]
    miss = [i for i, r in enumerate(out) if r is None]
    if miss:
        for i, r in zip(miss, self.fasttext_top([samples[i] for i in miss])):
            out[i] = r
    return out, labels


cdef inline int _memo_put(list gens, x, r, Py_ssize_t memo_max) except -1:
    if len(gens[0]) >= memo_max:
        gens[:] = {}, gens[0]
    gens[0][x] = r
    return 0


def fasttext_cands_memo(self, list samples, k, min_prob, Py_ssize_t memo_max):
    """``LanguageIdentifier._fasttext_cands_memo`` (a method; ``memo_max``: ``_FT_MEMO_MAX``)."""
    cdef list gens, got = [], miss = []
    cdef Py_ssize_t i
    key = (k, min_prob)
    gens = self._ft_memo.get(key)
    if gens is None:
        gens = self._ft_memo[key] = [{}, {}]
    for x in samples:
        r = gens[0].get(x)
        if r is None:
            r = gens[1].get(x)
            if r is None:
                miss.append(len(got))
            else:
                _memo_put(gens, x, r, memo_max)
        got.append(r)
    if miss:
        top, labels = self._fasttext_cands([samples[i] for i in miss], k, min_prob)
        for i, t, l in zip(miss, top, labels):
            r = (t, tuple(l))  # tuples of strings and floats: the GC stops tracking them
            got[i] = r
            _memo_put(gens, samples[i], r, memo_max)
    return [g[0] for g in got], [g[1] for g in got]


def fasttext_pass(self, b, k_c, Py_ssize_t memo_max, py_round4):
    """``LanguageIdentifier._fasttext_pass`` (a method; ``memo_max``: ``_FT_MEMO_MAX``, ``py_round4``:
    ``langid._round4`` for probabilities outside [0, 1])."""
    cfg = self.config
    cdef list pp_all = b.pp_all, flat_d = b.flat_d, flat_j = b.flat_j, flat_u = b.flat_u, top
    cdef dict ft_unsure = {}
    cdef Py_ssize_t n_ft = 0, k, n = len(flat_u)
    cdef double th = cfg.paragraph_fasttext_threshold, p
    top, top_labels = fasttext_cands_memo(self, list(b.uniq), k_c, cfg.lingua_candidates_min_prob, memo_max)
    for k in range(n):
        t = top[flat_u[k]]
        lang, p_obj = t
        p = p_obj
        if p >= th:
            r4 = _round4(p) if 0.0 <= p <= 1.0 else py_round4(p_obj)
            pp_all[flat_d[k]][flat_j[k]] = (lang, r4, "fasttext")
            n_ft += 1
        else:
            ft_unsure[k] = (lang, p_obj)
    return ft_unsure, n_ft, top_labels



# chinese_script: bit 1 simplified-only, bit 2 traditional-only (BMP table; astral characters in a dict)
cdef unsigned char _HANS_HANT[65536]
cdef bint _HANS_HANT_SET = False
cdef dict _HANS_HANT_ASTRAL = {}
cdef Py_UCS4 _HANS_HANT_MIN = 0


def set_hans_hant(only_s: str, only_t: str) -> None:
    """Set the characters found only in simplified / only in traditional Chinese."""
    global _HANS_HANT_SET, _HANS_HANT_MIN
    memset(_HANS_HANT, 0, sizeof(_HANS_HANT))
    _HANS_HANT_MIN = min(map(ord, only_s + only_t), default=0x110000)
    _HANS_HANT_ASTRAL.clear()
    for chars, bit in ((only_s, 1), (only_t, 2)):
        for ch in chars:
            if ord(ch) < 0x10000:
                _HANS_HANT[ord(ch)] |= bit
            else:
                _HANS_HANT_ASTRAL[ch] = _HANS_HANT_ASTRAL.get(ch, 0) | bit
    _HANS_HANT_SET = True


def hans_hant_ready() -> bool:
    """Whether ``set_hans_hant`` has run."""
    return _HANS_HANT_SET


def hans_hant_counts(str text not None) -> tuple:
    """(simplified-only, traditional-only) characters of ``text``: ``len(re.findall(...))`` of the
    two patterns of ``langid._hans_hant_patterns``."""
    if not _HANS_HANT_SET:
        raise RuntimeError("filters._native.langid.set_hans_hant() has not run")
    PyUnicode_READY(text)
    cdef int k = PyUnicode_KIND(text)
    cdef const void* d = PyUnicode_DATA(text)
    cdef Py_ssize_t n = len(text), i, s = 0, t = 0
    cdef Py_UCS4 c
    cdef unsigned char bits
    if k == 1 and _HANS_HANT_MIN > 0xFF:
        return 0, 0                                     # none of the characters below U+0100
    for i in range(n):
        c = PyUnicode_READ(k, d, i)
        if c < 0x10000:
            bits = _HANS_HANT[c]
        elif _HANS_HANT_ASTRAL:
            bits = _HANS_HANT_ASTRAL.get(chr(c), 0)
        else:
            bits = 0
        if bits & 1:
            s += 1
        if bits & 2:
            t += 1
    return s, t



cdef object _r4(p):
    """``langid._round4(p)`` (in C for a float in [0, 1])."""
    if type(p) is float and 0.0 <= <double> p <= 1.0:
        return _round4(<double> p)
    return _M._round4(p)


def group_unsure(self, b, dict ft_unsure):
    """``LanguageIdentifier._group_unsure`` (a method)."""
    cfg = self.config
    cdef list pp_all = b.pp_all, flat_d = b.flat_d, flat_j = b.flat_j
    cdef dict confident = {}, groups = {}
    cdef Py_ssize_t n_ctx = 0
    merge_below = cfg.merge_unsure_below
    for k, t in ft_unsure.items():
        lang, p = t
        d = flat_d[k]
        c = confident.get(d)
        if c is None:  # first unsure paragraph of d (flat order is document-major): first-pass answers only
            c = confident[d] = {x[0] for x in pp_all[d] if x is not None and x[0] != "und"}
        if lang in c:
            pp_all[d][flat_j[k]] = (lang, _r4(p), "fasttext")
            n_ctx += 1
            continue
        if p < merge_below:  # fastText's label says nothing here: one group per document
            key = (d, "")
        else:
            key = (d, lang)
        groups.setdefault(key, []).append(k)
    return groups, n_ctx


def fallback_groups(self, b, dict groups, dict ft_unsure, top_labels, k_c):
    """``LanguageIdentifier._fallback_groups`` (a method)."""
    if not _CONFIGURED:
        raise RuntimeError("filters._native.langid.configure() has not run")
    cfg = self.config
    cdef list pp_all = b.pp_all, flat_j = b.flat_j, flat_s = b.flat_s, flat_u = b.flat_u, order
    cdef dict found = {}, size, reps, topk = {}, decided = {}
    size = {g: sum([len(flat_s[k]) for k in ks]) for g, ks in groups.items()}
    order = sorted(groups, key=lambda g: (g[0], -size[g], g[1]))
    reps = {g: max(groups[g], key=lambda k: len(flat_s[k])) for g in order}
    if k_c > 0:
        lm = self._label_map
        for g in order:
            topk[g] = [lm[x] for x in top_labels[flat_u[reps[g]]]]
    memo = self._lingua_memo
    if len(memo) >= _M._LINGUA_MEMO_MAX:
        memo.clear()
    sample = _M._sample
    fb_chars = cfg.paragraph_fallback_chars
    group_chars = cfg.group_fallback_chars
    fb_name = cfg.fallback
    restrict_first = cfg.lingua_restrict_first
    fallback_one = self.fallback_one
    cdef Py_ssize_t n_calls = 0, n_no_answer = 0
    for g in order:
        d = g[0]
        ks = groups[g]
        rep = reps[g]
        lang, p = ft_unsure[rep]
        known = frozenset(found.get(d, ())) if (d in found or restrict_first) else None
        if group_chars and len(ks) > 1:  # the group's samples joined, longest first (ties: document order)
            fs = sample(" ".join(sorted([flat_s[k] for k in ks], key=len, reverse=True)), group_chars)
        else:
            fs = sample(flat_s[rep], fb_chars)
        fb = None
        if fb_name != "none":
            n_calls += 1
            fb = fallback_one(fs, known, topk.get(g), flat_s[rep], memo)
            if fb is None:
                n_no_answer += 1
        pp = pp_all[d]
        if fb is None:  # keep each paragraph's own fastText probability
            det = "fasttext"
            for k in ks:
                pp[flat_j[k]] = (lang, _r4(ft_unsure[k][1]), det)
        else:
            det = fb_name
            found.setdefault(d, set()).add(fb[0])
            t = (fb[0], round(min(1.0, fb[1]), 4), det)
            for k in ks:
                pp[flat_j[k]] = t
        decided[det] = decided.get(det, 0) + len(ks)
    return decided, n_calls, n_no_answer
