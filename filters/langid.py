"""Language identification of texts and documents (pure Python, no Beam).

In: raw texts (``predict_batch``) or documents with optional paragraph spans (``annotate_batch``).
Out: ``LangPrediction`` per text; ``DocLanguage`` per document: the document language and score,
the Chinese script (``Hans``/``Hant``), one language per paragraph span and ``lang_mix`` (share of
characters per language). Codes: ISO 639-1 where one exists, else 639-3; Chinese is ``zh`` (written
Cantonese and Wu included); Norwegian Bokmål is ``no``; ``und`` = nothing to detect.

A text (every knob is a ``LidConfig`` field):
1. no letter at all -> ``und`` (detector ``none``);
2. script rules on the share of letters in a script (``script_dominance``): Hangul -> ``ko``; Han+Kana
   with Kana >= ``kana_min_share`` -> ``ja``; other Han -> ``zh``; Thai -> ``th`` (detector ``script``);
3. fastText lid.176 decides when its top probability reaches ``fasttext_threshold``;
4. otherwise the fallback (``fallback``: lingua over all 75 languages, langdetect, or none) decides; when
   it has no answer fastText's stands. Detectors see at most ``max_sample_chars`` of a text.

A document: its paragraphs (``segment.paragraph_spans`` when not given), each cut to
``max_paragraph_chars``, go through steps 1-3 in one batch across the documents, fastText deciding
from ``paragraph_fasttext_threshold``. Paragraphs with fewer than ``min_paragraph_letters`` letters
inherit a neighbour's language. An unsure paragraph whose fastText label is the language of a
confident paragraph of its document is accepted. The other unsure paragraphs of a document are
grouped by fastText label (those under ``merge_unsure_below`` in one group) and the fallback runs once
per group on the group's samples joined (``group_fallback_chars``) or on the paragraph
(``paragraph_fallback_chars``). Inside documents lingua weighs a restricted set
(``lingua_restrict_first``, ``lingua_candidates``, ``lingua_candidates_min_prob``): fastText's top labels
with their close relatives, every non-Latin-script language when the sample has a non-Latin letter,
the Latin-script languages fastText under-proposes (``_FASTTEXT_BLIND``) and the languages already
found in the document. The document language is the character-weighted majority of paragraph
languages (the whole text is detected when no paragraph has a language); ``lang_mix`` lists every
language's share of the characters. Counter calls are added up per batch and reported once per name.

Why these defaults, with the measurements and the alternatives tried and dropped:
``benchmarks/results/lid_design.md`` (and ``lid.md`` for the current figures).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from filters._native import native
from filters.counting import Count




class _Tally(dict):
    """Counter callback that adds up locally; ``flush`` hands each total to the caller's ``count`` once
    (same names and totals, one call per name and batch instead of one per paragraph)."""

    def __call__(self, name: str, n: int = 1) -> None:
        self[name] = self.get(name, 0) + n

    def flush(self, count: Count) -> None:
        for name, n in self.items():
            if n:
                count(name, n)


# --------------------------------------------------------------------------- language codes

# ISO 639-3 / 639-2 (T and B) -> 639-1 for the languages the detectors can answer, legacy 639-1 codes,
# macrolanguage members and detector-specific labels.
_CODE_MAP = {
    "afr": "af", "ara": "ar", "arb": "ar", "aze": "az", "azj": "az", "bel": "be", "bul": "bg", "ben": "bn",
    "bos": "bs", "cat": "ca", "ces": "cs", "cze": "cs", "cym": "cy", "wel": "cy", "dan": "da", "deu": "de",
    "ger": "de", "ell": "el", "gre": "el", "eng": "en", "epo": "eo", "spa": "es", "est": "et", "ekk": "et",
    "eus": "eu", "baq": "eu", "fas": "fa", "per": "fa", "pes": "fa", "fin": "fi", "fra": "fr", "fre": "fr",
    "gle": "ga", "guj": "gu", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "hye": "hy", "arm": "hy",
    "ind": "id", "isl": "is", "ice": "is", "ita": "it", "jpn": "ja", "kat": "ka", "geo": "ka", "kaz": "kk",
    "kor": "ko", "lat": "la", "lug": "lg", "lit": "lt", "lav": "lv", "lvs": "lv", "mri": "mi", "mao": "mi",
    "mkd": "mk", "mac": "mk", "mon": "mn", "khk": "mn", "mar": "mr", "msa": "ms", "may": "ms", "zsm": "ms",
    "nob": "no", "nor": "no", "nb": "no", "nld": "nl", "dut": "nl", "nno": "nn", "pan": "pa", "pol": "pl",
    "por": "pt", "ron": "ro", "rum": "ro", "mo": "ro", "rus": "ru", "slk": "sk", "slo": "sk", "slv": "sl",
    "sna": "sn", "som": "so", "sqi": "sq", "alb": "sq", "srp": "sr", "sot": "st", "swe": "sv", "swa": "sw",
    "swh": "sw", "tam": "ta", "tel": "te", "tha": "th", "tgl": "tl", "fil": "tl", "tsn": "tn", "tur": "tr",
    "tso": "ts", "ukr": "uk", "urd": "ur", "vie": "vi", "xho": "xh", "yor": "yo", "zul": "zu",
    "zho": "zh", "chi": "zh", "cmn": "zh", "yue": "zh", "wuu": "zh",
    "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "yid": "yi", "ydd": "yi", "jav": "jv",
    "amh": "am", "hye-": "hy", "kan": "kn", "khm": "km", "lao": "lo", "mal": "ml", "mya": "my", "bur": "my",
    "nep": "ne", "npi": "ne", "ori": "or", "ory": "or", "pus": "ps", "sin": "si", "tgk": "tg", "uzb": "uz",
    "uzn": "uz", "uig": "ug", "kir": "ky", "tat": "tt", "tuk": "tk", "mlt": "mt", "glg": "gl", "ltz": "lb",
    "bre": "br", "gla": "gd", "fry": "fy", "oci": "oc", "cos": "co", "bak": "ba", "chv": "cv", "asm": "as",
    "mlg": "mg", "plt": "mg", "sun": "su", "que": "qu", "kur": "ku", "kmr": "ku", "snd": "sd", "san": "sa",
    "bod": "bo", "tib": "bo", "div": "dv", "hat": "ht", "ido": "io", "ina": "ia", "ile": "ie", "vol": "vo",
    "wln": "wa", "lim": "li", "roh": "rm", "srd": "sc", "glv": "gv", "cor": "kw", "oss": "os", "kom": "kv",
    "che": "ce", "ava": "av", "grn": "gn", "ckb": "ckb",
    "als": "gsw",  # fastText's label for Alemannic (the Wikipedia code), not ISO 'als' (Tosk Albanian)
}


def normalize_lang_code(code: str | None) -> str:
    """Canonical language code of a detector label or locale: ``'__label__en'`` -> ``en``, ``'zh-cn'``,
    ``'zh-tw'``, ``'cmn'``, ``'yue'`` -> ``zh``, ``'nb'``/``'nob'`` -> ``no``, ``'pt-BR'`` -> ``pt``,
    ``'eng'`` -> ``en``; empty/None/``'un'``/``'unknown'`` -> ``und``. Unknown codes come back lowercased."""
    if not code:
        return "und"
    c = code.strip().lower()
    if c.startswith("__label__"):
        c = c[9:]
    c = c.replace("_", "-").split("-", 1)[0]
    if not c or c in ("un", "und", "unknown", "none", "xx", "zxx", "mul"):
        return "und"
    return _CODE_MAP.get(c, c)


# Languages a detector confuses with each other: when one is a candidate, all are.
_RELATIVES = {
    "no": ("no", "nn"), "nn": ("no", "nn"), "da": ("da", "no", "nn"),
    "sh": ("bs", "hr", "sr"), "bs": ("bs", "hr", "sr"), "hr": ("bs", "hr", "sr"), "sr": ("bs", "hr", "sr", "mk"),
    "id": ("id", "ms"), "ms": ("id", "ms"), "af": ("af", "nl"), "nl": ("nl", "af"),
    "cs": ("cs", "sk"), "sk": ("sk", "cs"), "hi": ("hi", "mr"), "mr": ("mr", "hi"), "ca": ("ca", "es"),
    "az": ("az", "tr"), "be": ("be", "uk", "ru"), "uk": ("uk", "ru", "be"), "mk": ("mk", "bg", "sr"),
}

# Latin-script lingua languages fastText lid.176 under-proposes. On the unsure sentences (top probability
# < 0.8) of half A of the lingua sentence set, with fastText reading up to 128 characters (a document
# paragraph), its top-5 labels (with close relatives) hold the gold language for at least 81% of them in
# every language except these: the 8 not in lid.176 (0%), yo (16%) and so (48%); half B agrees (0%, 20%, 64%).
_FASTTEXT_BLIND = ("lg", "mi", "sn", "st", "tn", "ts", "xh", "zu", "yo", "so")
# On shorter samples (64 characters, sentence and word-pair sets, half A) coverage falls under 80% for these
# too: sw 57%, tl 58%, is 62%, sq 64%, cy 65%, la 66%, ro 70%, eo 76%, ga 77%, tr 79%. With them, a
# restricted lingua on lone 64-character texts differs from all-language lingua by +0.06 / +0.12 points on
# sentences and -0.17 / -0.25 on word pairs (halves A / B); without them by -0.09 / -0.04 and -2.5 / -2.5.
_FASTTEXT_BLIND_SHORT = ("sw", "tl", "is", "sq", "cy", "la", "ro", "eo", "ga", "tr")
_FT_MEMO_MAX = 1 << 14  # samples per generation of the fastText memo (two generations: about 10 MB)
_LINGUA_MEMO_MAX = 1 << 14  # (detector, sample) pairs whose lingua answers it keeps
_SHORT_SAMPLE = 96  # fastText samples under this many characters count as short (between the two measures)
# Lingua languages written in a non-Latin script: a restricted detector keeps them all when its sample has a
# letter outside the Latin blocks (so it never loses a script-unique answer), and none otherwise.
_NON_LATIN = ("ar", "be", "bg", "bn", "el", "fa", "gu", "he", "hi", "hy", "ja", "ka", "kk", "ko", "mk", "mn", "mr",
              "pa", "ru", "sr", "ta", "te", "th", "uk", "ur", "zh")

# --------------------------------------------------------------------------- scripts

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_KANA = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d"
_HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"
_THAI = "\u0e00-\u0e7f"
_NOT_LETTER = re.compile(r"[\W\d_]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_SPECIAL_SCRIPT = re.compile(f"[{_HAN}{_KANA}{_HANGUL}{_THAI}]")
_NOT_HAN = re.compile(f"[^{_HAN}]+")
_NOT_KANA = re.compile(f"[^{_KANA}]+")
_NOT_HANGUL = re.compile(f"[^{_HANGUL}]+")
_NOT_THAI = re.compile(f"[^{_THAI}]+")
_WS = re.compile(r"\s+")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_\u0000-\u024f\u1e00-\u1eff]")  # a letter outside the Latin blocks


def _count(not_re: re.Pattern, text: str) -> int:
    return len(not_re.sub("", text))


def _share(n: int, letters: int) -> float:
    """n / letters capped at 1 (Thai and Indic vowel signs are in-script but not letters)."""
    return round(min(1.0, n / letters), 4)


def letter_count(text: str) -> int:
    """Number of letters (Unicode alphabetic, not digits or underscore) in ``text``."""
    return _count(_NOT_LETTER, text)


@functools.lru_cache(maxsize=1)
def _hans_hant_chars() -> tuple[str, str]:
    """The characters found only in simplified / only in traditional Chinese (CC-CEDICT character
    lists of the ``zhon`` package, which ``hanzidentifier`` installs)."""
    from zhon import cedict

    simp, trad = set(cedict.simplified), set(cedict.traditional)
    return "".join(sorted(simp - trad)), "".join(sorted(trad - simp))


@functools.lru_cache(maxsize=1)
def _hans_hant_patterns() -> tuple[re.Pattern, re.Pattern]:
    """Patterns of the characters of ``_hans_hant_chars``."""
    only_s, only_t = _hans_hant_chars()
    return re.compile(f"[{re.escape(only_s)}]"), re.compile(f"[{re.escape(only_t)}]")


def chinese_script(text: str) -> str | None:
    """``'Hans'`` or ``'Hant'``: whichever of simplified-only and traditional-only characters (per
    CC-CEDICT) ``text`` holds more of (ties with at least one: ``Hans``); None when it holds neither."""
    s_re, t_re = _hans_hant_patterns()
    s = len(s_re.findall(text))
    t = len(t_re.findall(text))
    if s == 0 and t == 0:
        return None
    return "Hant" if t > s else "Hans"


# --------------------------------------------------------------------------- config and results

_FALLBACKS = ("lingua", "langdetect", "none")


@dataclass(frozen=True)
class LidConfig:
    """Policy knobs with measured defaults (see the module docstring and benchmarks/results/lid.md)."""

    fasttext_model: str | None = None  # None -> pipeline.models.default_lid_model_path(); .ftz or full .bin
    fasttext_threshold: float = 0.8  # fastText decides when its top probability reaches this
    fallback: str = "lingua"  # who decides below the threshold: 'lingua' | 'langdetect' | 'none'
    lingua_low_accuracy: bool = True  # trigram-only lingua: ~4x faster, 94.0 vs 96.0% on sentences
    lingua_candidates: int = 5  # doc paragraph groups: lingua weighs fastText's top-k (+ relatives), the languages
    script_rules: bool = True  # Hangul/Kana/Han/Thai shortcuts
    script_dominance: float = 0.5  # share of the letters a script needs for its rule to fire
    kana_min_share: float = 0.1  # Kana share of Han+Kana letters that makes Han text Japanese
    max_sample_chars: int = 256  # detectors see at most this many characters of a text (predict_batch)
    max_paragraph_chars: int = 128  # ... and of each paragraph of a document (annotate_batch)
    paragraph_fallback_chars: int = 64  # ... and the fallback of each unsure paragraph group
    lingua_restrict_first: bool = True  # False: a doc's first fallback group gets all 75 languages (~2x the cost)
    paragraph_fasttext_threshold: float = 0.7  # fastText decides a document paragraph from this probability
    group_fallback_chars: int = 96  # fallback sample of a group of >= 2 unsure paragraphs: joined, cut here (0: longest)
    lingua_candidates_min_prob: float = 0.05  # fastText labels below this are no lingua candidates in documents
    merge_unsure_below: float = 0.3  # a doc's unsure paragraphs under this fastText probability form one group
    min_paragraph_letters: int = 10  # shorter paragraphs inherit a neighbour's language
    langdetect_seed: int = 0

    def __post_init__(self):
        if not 0.0 <= self.fasttext_threshold <= 1.0 or not 0.0 <= self.paragraph_fasttext_threshold <= 1.0:
            raise ValueError("fasttext_threshold and paragraph_fasttext_threshold must be in [0, 1]")
        if self.group_fallback_chars != 0 and self.group_fallback_chars < 16:
            raise ValueError("group_fallback_chars must be 0 or >= 16")
        if not 0.0 <= self.merge_unsure_below <= 1.0:
            raise ValueError("merge_unsure_below must be in [0, 1]")
        if not 0.0 <= self.lingua_candidates_min_prob < 1.0:
            raise ValueError("lingua_candidates_min_prob must be in [0, 1)")
        if self.fallback not in _FALLBACKS:
            raise ValueError(f"fallback must be one of {_FALLBACKS}")
        if not 0.0 < self.script_dominance <= 1.0:
            raise ValueError("script_dominance must be in (0, 1]")
        if not 0.0 < self.kana_min_share <= 1.0:
            raise ValueError("kana_min_share must be in (0, 1]")
        if min(self.max_sample_chars, self.max_paragraph_chars, self.paragraph_fallback_chars) < 16:
            raise ValueError("max_sample_chars, max_paragraph_chars, paragraph_fallback_chars must be >= 16")
        if self.min_paragraph_letters < 0:
            raise ValueError("min_paragraph_letters must be >= 0")
        if self.lingua_candidates < 0:
            raise ValueError("lingua_candidates must be >= 0")
        if self.fasttext_model is not None and not isinstance(self.fasttext_model, str):
            raise ValueError("fasttext_model must be a path string or None")


@dataclass
class LangPrediction:
    """One text's language: code, score in [0, 1], Chinese script, and which detector decided
    ('fasttext' | 'lingua' | 'langdetect' | 'script' | 'none')."""

    lang: str
    score: float
    script: str | None
    detector: str


@dataclass
class DocLanguage:
    """A document's language, its score, Chinese script, deciding detector, one dict per paragraph span
    ``{'start', 'end', 'lang', 'score'}`` and ``lang_mix`` (language -> share of characters of the
    paragraphs that have a language; sums to 1; empty for 'und' documents)."""

    lang: str
    lang_score: float
    lang_script: str | None
    detector: str
    paragraphs: list[dict] = field(default_factory=list)
    lang_mix: dict[str, float] = field(default_factory=dict)


UND = LangPrediction("und", 0.0, None, "none")
_UND_T = ("und", 0.0, "none")  # a paragraph without letters, in annotate_batch's (lang, score, detector) form


def _round4(p: float) -> float:
    """``round(p, 4)`` for a fastText probability (a float32 value in [0, 1]) without round()'s decimal
    conversion: p * 10000 is exact in a double for such values, so rounding it half to even is equal."""
    q = p * 10000.0
    r = int(q + 0.5)
    if r - q == 0.5:  # a tie (p = m/32): round half to even, as round() does
        r -= r & 1
    return r / 10000


def _sample(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``, cut at a space when one is near, without newlines
    (fastText reads one text a line)."""
    if len(text) > limit:
        cut = text[: limit + 1]
        sp = cut.rfind(" ", limit // 2)
        text = cut[:sp] if sp > 0 else cut[:limit]
    if "\n" in text or "\r" in text:
        text = _WS.sub(" ", text)
    return text.strip()


def _first_detected(pp_all: list[list[tuple | None]]) -> list[tuple | None]:
    """Each document's first paragraph answer that is neither None nor ``und`` (None when it has none)."""
    return [next((x for x in pp if x is not None and x[0] != "und"), None) for pp in pp_all]


# --------------------------------------------------------------------------- identifier


@dataclass
class _Batch:
    """Paragraphs of a batch of documents while they are being decided: per document one entry per
    span (None: inherits a neighbour's language; else (lang, score, detector)), and the detectable
    ones flattened (document, span index, sample, index of the distinct sample)."""
    pp_all: list
    doc_spans: list
    flat_d: list
    flat_j: list
    flat_s: list
    flat_u: list
    uniq: dict
    n_paras: int
    n_script: int


class LanguageIdentifier:
    """Loads fastText (and the fallback detector) once; then ``predict_batch`` / ``annotate_batch``."""

    def __init__(self, config: LidConfig | None = None):
        import fasttext

        self.config = config or LidConfig()
        path = self.config.fasttext_model
        if path is None:
            from filters.paths import default_lid_model_path

            path = default_lid_model_path()
        try:  # fasttext prints a deprecation warning on stderr for load_model; silence it
            fasttext.FastText.eprint = lambda *a, **k: None
        except AttributeError:
            pass
        self._ft = fasttext.load_model(path)
        self._label_map = {l: normalize_lang_code(l) for l in self._ft.get_labels()}
        self._ft_multiline = getattr(getattr(self._ft, "f", None), "multilinePredict", None)
        self._ft_labels = frozenset(self._label_map.values())
        n = max(1, self.config.min_paragraph_letters)
        self._enough_letters = re.compile(r"[\W\d_]*+(?:[^\W\d_][\W\d_]*+){%d}" % n)
        self._enough_ascii = re.compile(r"[^A-Za-z]*+(?:[A-Za-z][^A-Za-z]*+){%d}" % n)  # same on ASCII text, cheaper
        self._lingua = None
        self._ld_factory = None
        self._ft_memo: dict[tuple, dict] = {}  # per-process memos (see _fasttext_cands_memo, _fallback_groups)
        self._lingua_memo: dict = {}
        if self.config.fallback == "lingua":
            from lingua import LanguageDetectorBuilder

            # language models load on first use (lingua shares them between detectors): preloading all
            # 75 cost 0.5 CPU s per worker at start-up, most of them never needed by a restricted detector
            b = LanguageDetectorBuilder.from_all_languages()
            if self.config.lingua_low_accuracy:
                b = b.with_low_accuracy_mode()
            self._lingua = b.build()
            from lingua import Language

            self._lingua_langs = {normalize_lang_code(l.iso_code_639_1.name): l for l in Language.all()}
            self._lingua_langs["nb"] = self._lingua_langs["no"]
            self._ft_missing = frozenset(c for c in self._lingua_langs if c not in self._ft_labels and c != "nb")
            self._restricted: dict[frozenset, object] = {}  # candidate set -> detector
            self._restricted_by_input: dict[tuple, object] = {}  # _lingua_for's inputs -> detector (same answer)
            self._lingua_code = {l: normalize_lang_code(l.iso_code_639_1.name) for l in Language.all()}
            self._always_cands = frozenset(c for c in _FASTTEXT_BLIND if c in self._lingua_langs)
            self._non_latin = frozenset(c for c in _NON_LATIN if c in self._lingua_langs)
            self._always_cands_short = self._always_cands | frozenset(
                c for c in _FASTTEXT_BLIND_SHORT if c in self._lingua_langs)
            self._later_cands = self._always_cands  # the blind languages, whatever the sample length
        elif self.config.fallback == "langdetect":
            from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

            fac = DetectorFactory()
            fac.load_profile(PROFILES_DIRECTORY)
            fac.set_seed(self.config.langdetect_seed)
            self._ld_factory = fac

    # ---------------------------------------------------------------- single detectors (public for benchmarks)

    def fasttext_top(self, samples: list[str]) -> list[tuple[str, float]]:
        """fastText top label (normalised) and probability of each sample (a newline counts as a space)."""
        if not samples:
            return []
        raw = self._ft_multiline
        if raw is not None:  # the binding behind FastText.predict, without its per-text newline check
            labels, probs = raw([s.replace("\n", " ") + "\n" if "\n" in s else s + "\n" for s in samples], 1, 0.0,
                                "strict")
        else:
            labels, probs = self._ft.predict(samples, k=1)
        lm = self._label_map
        return [(lm[l[0]] if l else "und", min(1.0, float(p[0])) if len(p) else 0.0)
                for l, p in zip(labels, probs)]

    def _fasttext_cands(self, samples: list[str], k: int, min_prob: float) -> tuple[list[tuple[str, float]], list]:
        """One fastText call for samples without newlines: each one's top (label, probability), as
        ``fasttext_top`` gives it, and its raw top-``k`` labels with probability >= ``min_prob`` (``k`` 0: top
        label only). The hierarchical-softmax search finds the same best leaf whatever k; samples whose best
        label is under ``min_prob`` (none come back) are predicted again with k=1 and get no top-k labels."""
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

    def _fasttext_cands_memo(self, samples: list[str], k: int, min_prob: float) -> tuple[list, list]:
        """``_fasttext_cands`` through a per-process memo of each sample's answer (fastText predicts every
        line on its own, so an answer does not depend on the batch; boilerplate recurs across batches).
        Two generations of at most ``_FT_MEMO_MAX`` samples: when the new one is full it becomes the old
        one (the previous old one is dropped); an answer found in the old one moves to the new one."""
        gens = self._ft_memo.get((k, min_prob))
        if gens is None:
            gens = self._ft_memo[(k, min_prob)] = [{}, {}]
        got = []
        miss = []
        for x in samples:
            r = gens[0].get(x)
            if r is None:
                r = gens[1].get(x)
                if r is None:
                    miss.append(len(got))
                else:
                    self._ft_memo_put(gens, x, r)
            got.append(r)
        if miss:
            top, labels = self._fasttext_cands([samples[i] for i in miss], k, min_prob)
            for i, t, l in zip(miss, top, labels):
                got[i] = (t, tuple(l))  # tuples of strings and floats: the GC stops tracking them
                self._ft_memo_put(gens, samples[i], got[i])
        return [g[0] for g in got], [g[1] for g in got]

    @staticmethod
    def _ft_memo_put(gens: list[dict], x: str, r: tuple) -> None:
        if len(gens[0]) >= _FT_MEMO_MAX:
            gens[:] = {}, gens[0]
        gens[0][x] = r

    def _lingua_for(self, sample: str, known: frozenset | None, labels: list[str] | None = None,
                    probe: str | None = None):
        """Lingua detector for one sample: all 75 languages, or (``known`` not None, a document paragraph
        group) a restricted set: fastText's top ``lingua_candidates`` labels ``labels`` (computed here when
        not given) with their close relatives, every non-Latin-script language when the sample has a
        non-Latin letter (restriction only narrows the Latin-script field), and for the first group
        of a document (``known`` empty) the Latin-script languages fastText under-proposes
        (``_FASTTEXT_BLIND``, on short samples also ``_FASTTEXT_BLIND_SHORT``), for later groups the
        languages ``known`` the fallback found in the document (with relatives) and ``_FASTTEXT_BLIND``."""
        k = self.config.lingua_candidates
        if known is None or k <= 0:
            return self._lingua
        probe = sample if probe is None else probe
        if labels is None:
            labels = [self._label_map[l] for l in self._ft.predict(probe, k=k)[0]]
        non_latin = not sample.isascii() and _NON_LATIN_LETTER.search(sample) is not None
        memo = (known, tuple(labels[:k]), len(probe) >= _SHORT_SAMPLE, non_latin)
        det = self._restricted_by_input.get(memo)
        if det is not None:
            return det
        if known:
            cands = set(self._later_cands)
        else:
            cands = set(self._always_cands if len(probe) >= _SHORT_SAMPLE else self._always_cands_short)
        if non_latin:
            cands.update(self._non_latin)
        for c in (*known, *labels[:k]):
            for x in _RELATIVES.get(c, (c,)):
                if x in self._lingua_langs:
                    cands.add(x)
        key = frozenset(cands)
        det = self._restricted.get(key)
        if det is None:
            from lingua import LanguageDetectorBuilder

            if len(self._restricted) >= 4096:  # bounded: candidate sets repeat, so this rarely happens
                self._restricted.clear()
            b = LanguageDetectorBuilder.from_languages(*{self._lingua_langs[c] for c in key})
            if self.config.lingua_low_accuracy:
                b = b.with_low_accuracy_mode()
            det = self._restricted[key] = b.build()
        if len(self._restricted_by_input) >= 16384:
            self._restricted_by_input.clear()
        self._restricted_by_input[memo] = det
        return det

    def fallback_one(self, sample: str, known: frozenset | None = None, labels: list[str] | None = None,
                     probe: str | None = None, memo: dict | None = None) -> tuple[str, float] | None:
        """The fallback detector's answer for one sample, or None when it has none (``known``: languages
        the fallback already found in the same document, ``labels``: fastText's top labels for the
        sample, read from ``probe`` (default: the sample); see ``_lingua_for``; ``memo``: a dict that keeps
        lingua's answers per (detector, sample), e.g. for one batch)."""
        if self._lingua is not None:
            det = self._lingua_for(sample, known, labels, probe)
            if memo is not None:
                r = memo.get((det, sample), memo)
                if r is not memo:
                    return r
            vals = det.compute_language_confidence_values(sample)
            r = None if not vals or vals[0].value <= 0.0 else (self._lingua_code[vals[0].language], float(vals[0].value))
            if memo is not None:
                memo[(det, sample)] = r
            return r
        if self._ld_factory is not None:
            try:
                d = self._ld_factory.create()
                d.append(sample)
                probs = d.get_probabilities()
            except Exception:  # langdetect raises LangDetectException on feature-less text
                return None
            if not probs:
                return None
            return normalize_lang_code(probs[0].lang), float(probs[0].prob)
        return None

    def script_rule(self, sample: str, letters: int, with_script: bool = True) -> LangPrediction | None:
        """Hangul/Kana/Han/Thai shortcut for a sample with ``letters`` letters, or None (``with_script``:
        fill the Chinese script of a ``zh`` answer)."""
        if not self.config.script_rules or not _SPECIAL_SCRIPT.search(sample):
            return None
        r = self._script_rule(sample, letters)
        if r is None:
            return None
        return LangPrediction(r[0], r[1], chinese_script(sample) if with_script and r[0] == "zh" else None, "script")

    def _script_rule(self, sample: str, letters: int) -> tuple[str, float] | None:
        """``script_rule``'s (language, score) for a sample known to hold a Han/Kana/Hangul/Thai character."""
        if letters == 0:
            return None
        dom = self.config.script_dominance * letters
        han = _count(_NOT_HAN, sample)
        kana = _count(_NOT_KANA, sample)
        hangul = _count(_NOT_HANGUL, sample)
        if hangul >= dom and hangul >= han + kana:
            return "ko", _share(hangul, letters)
        if han + kana >= dom:
            if kana >= self.config.kana_min_share * (han + kana):
                return "ja", _share(han + kana, letters)
            return "zh", _share(han, letters)
        thai = _count(_NOT_THAI, sample)
        if thai >= dom:
            return "th", _share(thai, letters)
        return None

    # ---------------------------------------------------------------- policy

    def _first_pass(self, samples: list[str], count: Count,
                    scripts: bool = True) -> list[LangPrediction | tuple[str, float]]:
        """No letters -> und; script rules; fastText in one batch. A prediction where one of them
        decides, else fastText's unsure ``(label, probability)`` for ``_resolve``."""
        out: list[LangPrediction | tuple[str, float]] = [UND] * len(samples)
        todo: list[int] = []
        for i, s in enumerate(samples):
            if not _HAS_LETTER.search(s):
                count("und_empty")
                continue
            r = self.script_rule(s, letter_count(s), scripts) if _SPECIAL_SCRIPT.search(s) else None
            if r is not None:
                out[i] = r
                count("decided_by_script")
            else:
                todo.append(i)
        th = self.config.fasttext_threshold
        uniq: dict[str, int] = {}  # identical samples (boilerplate lines) are predicted once
        for i in todo:
            uniq.setdefault(samples[i], len(uniq))
        top = self.fasttext_top(list(uniq))
        for i in todo:
            lang, p = top[uniq[samples[i]]]
            if p >= th:
                script = chinese_script(samples[i]) if scripts and lang == "zh" else None
                out[i] = LangPrediction(lang, round(p, 4), script, "fasttext")
                count("decided_by_fasttext")
            else:
                out[i] = (lang, p)
        return out

    def _fallback_or_fasttext(self, sample: str, lang: str, p: float, count: Count,
                              known: frozenset | None = None, labels: list[str] | None = None,
                              probe: str | None = None, with_script: bool = True) -> LangPrediction:
        """The fallback's answer for a sample fastText is unsure of, else fastText's own (counts one call;
        ``with_script``: fill the Chinese script of a ``zh`` answer)."""
        fb = None
        if self.config.fallback != "none":
            count("fallback_calls")
            fb = self.fallback_one(sample, known, labels, probe)
            if fb is None:
                count("fallback_no_answer")
        if fb is None:
            return LangPrediction(lang, round(p, 4), chinese_script(sample) if with_script and lang == "zh" else None,
                                  "fasttext")
        flang, fp = fb
        return LangPrediction(flang, round(min(1.0, fp), 4),
                              chinese_script(sample) if with_script and flang == "zh" else None, self.config.fallback)

    def _decide(self, samples: list[str], count: Count) -> list[LangPrediction]:
        out = self._first_pass(samples, count)
        res = []
        for i, r in enumerate(out):
            if not isinstance(r, LangPrediction):
                r = self._fallback_or_fasttext(samples[i], r[0], r[1], count)
                count(f"decided_by_{r.detector}")
            res.append(r)
        return res

    def predict_batch(self, texts: list[str], count: Count | None = None) -> list[LangPrediction]:
        """Language of each text (detectors see at most ``max_sample_chars`` of it)."""
        tally = _Tally()
        tally("texts", len(texts))
        limit = self.config.max_sample_chars
        out = self._decide([_sample(t or "", limit) for t in texts], tally)
        if count is not None:
            tally.flush(count)
        return out

    def annotate_batch(self, texts: list[str], paragraph_spans: list[list[tuple[int, int]]] | None = None,
                       count: Count | None = None, *, score_key: str = "score") -> list[DocLanguage]:
        """Document language, paragraph languages and language mix of each text. ``paragraph_spans[d]``
        are (start, end) code-point offsets into ``texts[d]``; default ``filters.segment.paragraph_spans``.
        ``score_key``: the key of each paragraph's score (the annotate stage's column is ``lang_score``)."""
        from filters.segment import paragraph_spans as _para_spans

        if paragraph_spans is not None and len(paragraph_spans) != len(texts):
            raise ValueError("paragraph_spans must have one list per text")
        tally = _Tally()
        out = self._annotate(texts, paragraph_spans, _para_spans, tally, score_key)
        if count is not None:
            tally.flush(count)
        return out

    def _annotate(self, texts, paragraph_spans, _para_spans, count: Count, score_key: str = "score") -> list[DocLanguage]:
        """Documents -> DocLanguage each: paragraph samples (script rules on the way), one fastText
        pass, unsure paragraphs accepted by context or grouped, one fallback call per group, then
        each document assembled."""
        b = self._paragraph_samples(texts, paragraph_spans, _para_spans)
        count("docs", len(texts))
        count("paragraphs", b.n_paras)
        k_c = self.config.lingua_candidates if self._lingua is not None else 0
        ft_unsure, n_ft, top_labels = self._fasttext_pass(b, k_c)
        groups, n_ctx = self._group_unsure(b, ft_unsure)
        decided, n_calls, n_no_answer = self._fallback_groups(b, groups, ft_unsure, top_labels, k_c)
        n_ft += n_ctx
        n_script = b.n_script
        if n_calls:
            count("fallback_calls", n_calls)
        if n_no_answer:
            count("fallback_no_answer", n_no_answer)
        if n_script:
            count("decided_by_script", n_script)
        if n_ft:
            count("decided_by_fasttext", n_ft)
        if n_ctx:
            count("fasttext_by_context", n_ctx)
        for det, n in decided.items():
            count(f"decided_by_{det}", n)

        return self._documents(texts, b.doc_spans, b.pp_all, count, score_key)

    def _paragraph_samples(self, texts, paragraph_spans, _para_spans) -> "_Batch":
        """Every paragraph's detector sample; letter-less ones are ``und``, short ones inherit (None),
        script rules decide some; the rest are listed (flattened, document-major) for fastText."""
        cfg = self.config
        limit = cfg.max_paragraph_chars
        cut_from = limit // 2
        enough = self._enough_letters.match
        enough_ascii = self._enough_ascii.match
        has_letter = _HAS_LETTER.search
        ws_sub = _WS.sub
        n_docs = len(texts)
        # per document: one entry per span, None (inherits a neighbour's language) or (lang, score, detector)
        pp_all: list[list[tuple | None]] = []
        doc_spans: list[list[tuple[int, int]]] = []
        flat_d: list[int] = []  # detectable paragraphs, flattened over the batch: document, span index, sample
        flat_j: list[int] = []
        flat_s: list[str] = []
        flat_u: list[int] = []  # index of the sample among the distinct ones
        uniq: dict[str, int] = {}  # distinct sample -> its index in the fastText call
        n_paras = n_script = 0
        special = _SPECIAL_SCRIPT.search
        script_rules = cfg.script_rules
        for d in range(n_docs):
            text = texts[d] or ""
            n_text = len(text)
            if paragraph_spans is None:
                spans = _para_spans(text)  # (int, int) tuples already
            else:
                spans = [(int(s), int(e)) for s, e in paragraph_spans[d]]
            doc_spans.append(spans)
            pp: list[tuple | None] = [None] * len(spans)
            pp_all.append(pp)
            n_paras += len(spans)
            for j, (s, e) in enumerate(spans):
                # inline _sample(text[s:e], limit); a long paragraph inside the text is cut without copying it whole
                if e - s > limit and 0 <= s and e <= n_text:
                    sp = text.rfind(" ", s + cut_from, s + limit + 1)
                    smp = text[s:sp] if sp > s else text[s:s + limit]
                else:
                    smp = text[s:e]
                    if len(smp) > limit:
                        smp = smp[: limit + 1]
                        sp = smp.rfind(" ", cut_from)
                        smp = smp[:sp] if sp > 0 else smp[:limit]
                if "\n" in smp or "\r" in smp:
                    smp = ws_sub(" ", smp)
                smp = smp.strip()
                if smp.isascii():
                    if not enough_ascii(smp):
                        if not has_letter(smp):  # digits, punctuation, symbols: nothing to detect or inherit
                            pp[j] = _UND_T
                        continue
                elif not enough(smp):
                    if not has_letter(smp):
                        pp[j] = _UND_T
                    continue
                elif script_rules and special(smp):  # script rules (paragraphs carry no Chinese script)
                    r = self._script_rule(smp, letter_count(smp))
                    if r is not None:
                        pp[j] = (r[0], r[1], "script")
                        n_script += 1
                        continue
                u = uniq.get(smp)  # fastText runs once per distinct sample (boilerplate lines repeat)
                if u is None:
                    u = uniq[smp] = len(uniq)
                flat_d.append(d)
                flat_j.append(j)
                flat_s.append(smp)
                flat_u.append(u)
        return _Batch(pp_all, doc_spans, flat_d, flat_j, flat_s, flat_u, uniq, n_paras, n_script)

    def _fasttext_pass(self, b: "_Batch", k_c: int):
        """One fastText call over the distinct samples: paragraphs at or above the paragraph threshold
        are decided; returns ({flat index: (label, probability)} of the unsure ones, how many were
        decided, the top-k labels of every distinct sample)."""
        cfg = self.config
        pp_all, flat_d, flat_j, flat_u = b.pp_all, b.flat_d, b.flat_j, b.flat_u
        top, top_labels = self._fasttext_cands_memo(list(b.uniq), k_c, cfg.lingua_candidates_min_prob)

        k_c = cfg.lingua_candidates if self._lingua is not None else 0
        th = cfg.paragraph_fasttext_threshold
        ft_unsure: dict[int, tuple[str, float]] = {}  # flat index -> fastText's (label, probability) below th
        n_ft = 0
        for k, u in enumerate(flat_u):
            lang, p = top[u]
            if p >= th:
                pp_all[flat_d[k]][flat_j[k]] = (lang, _round4(p), "fasttext")
                n_ft += 1
            else:
                ft_unsure[k] = (lang, p)

        return ft_unsure, n_ft, top_labels

    def _group_unsure(self, b: "_Batch", ft_unsure: dict):
        """Unsure paragraphs whose fastText label a confident paragraph of the document has are
        accepted; the others are grouped per (document, label), or per document under
        ``merge_unsure_below``. Returns ({group: [flat index]}, how many were accepted)."""
        cfg = self.config
        pp_all, flat_d, flat_j = b.pp_all, b.flat_d, b.flat_j
        # unsure paragraphs: accepted by document context, else grouped per (document, fastText label)
        confident: dict[int, set] = {}  # languages decided in the first pass, per document with unsure paragraphs
        groups: dict[tuple[int, str], list[int]] = {}
        n_ctx = 0
        merge_below = cfg.merge_unsure_below
        for k, (lang, p) in ft_unsure.items():
            d = flat_d[k]
            c = confident.get(d)
            if c is None:  # first unsure paragraph of d (flat order is document-major): first-pass answers only
                c = confident[d] = {x[0] for x in pp_all[d] if x is not None and x[0] != "und"}
            if lang in c:
                pp_all[d][flat_j[k]] = (lang, _round4(p), "fasttext")
                n_ctx += 1
                continue
            if p < merge_below:  # fastText's label says nothing here: one group per document
                key = (d, "")
            else:
                key = (d, lang)
            groups.setdefault(key, []).append(k)
        return groups, n_ctx

    def _fallback_groups(self, b: "_Batch", groups: dict, ft_unsure: dict, top_labels, k_c: int):
        """One fallback call per group (largest first within a document), on the group's samples
        joined or its longest one; a group without an answer keeps fastText's labels. Returns
        ({detector: paragraphs decided}, calls, calls without an answer)."""
        cfg = self.config
        pp_all, flat_j, flat_s, flat_u = b.pp_all, b.flat_j, b.flat_s, b.flat_u
        found: dict[int, set] = {}  # languages the fallback found so far in each document
        size = {g: sum(len(flat_s[k]) for k in ks) for g, ks in groups.items()}
        order = sorted(groups, key=lambda g: (g[0], -size[g], g[1]))
        reps = {g: max(groups[g], key=lambda k: len(flat_s[k])) for g in order}
        topk: dict[tuple, list[str]] = {}  # fastText's top-k of every group's representative (first pass)
        if k_c > 0:
            lm = self._label_map
            for g in order:
                topk[g] = [lm[x] for x in top_labels[flat_u[reps[g]]]]
        decided: dict[str, int] = {}
        memo = self._lingua_memo  # lingua's answers per (detector, sample), per process (boilerplate and duplicates repeat)
        if len(memo) >= _LINGUA_MEMO_MAX:
            memo.clear()
        fb_chars = cfg.paragraph_fallback_chars
        group_chars = cfg.group_fallback_chars
        fb_name = cfg.fallback
        n_calls = n_no_answer = 0
        for g in order:
            d = g[0]
            ks = groups[g]
            rep = reps[g]
            lang, p = ft_unsure[rep]
            known = frozenset(found.get(d, ())) if (d in found or cfg.lingua_restrict_first) else None
            if group_chars and len(ks) > 1:  # the group's samples joined, longest first (ties: document order)
                fs = _sample(" ".join(sorted((flat_s[k] for k in ks), key=len, reverse=True)), group_chars)
            else:
                fs = _sample(flat_s[rep], fb_chars)
            fb = None  # as _fallback_or_fasttext without a LangPrediction per group
            if fb_name != "none":
                n_calls += 1
                fb = self.fallback_one(fs, known, topk.get(g), flat_s[rep], memo)
                if fb is None:
                    n_no_answer += 1
            pp = pp_all[d]
            if fb is None:  # keep each paragraph's own fastText probability
                det = "fasttext"
                for k in ks:
                    pp[flat_j[k]] = (lang, _round4(ft_unsure[k][1]), det)
            else:
                det = fb_name
                found.setdefault(d, set()).add(fb[0])
                t = (fb[0], round(min(1.0, fb[1]), 4), det)
                for k in ks:
                    pp[flat_j[k]] = t
            decided[det] = decided.get(det, 0) + len(ks)
        return decided, n_calls, n_no_answer

    def _documents(self, texts, doc_spans, pp_all, count: Count, score_key: str = "score") -> list[DocLanguage]:
        """Each document from its paragraph answers (the whole text detected when none has one)."""
        cfg = self.config
        n_docs = len(texts)
        first_det = _first_detected(pp_all)
        whole: list[LangPrediction | None] = [None] * n_docs
        need = [d for d in range(n_docs)
                if first_det[d] is None and (texts[d] or "").strip()]
        if need:
            wl = cfg.max_sample_chars
            for d, r in zip(need, self._decide([_sample(texts[d], wl) for d in need], count)):
                whole[d] = r
        tot = [0, 0, 0, 0]  # paragraphs und, paragraphs inherited, docs und, docs multilingual
        out = [self._assemble(texts[d] or "", doc_spans[d], pp_all[d], first_det[d], whole[d], tot, score_key)
               for d in range(n_docs)]
        for name, n in zip(("paragraphs_und", "paragraphs_inherited", "docs_und", "docs_multilingual"), tot):
            if n:
                count(name, n)
        return out

    def _assemble(self, text: str, spans: list[tuple[int, int]], pp: list[tuple | None], last: tuple | None,
                  whole: LangPrediction | None, tot: list[int], sk: str = "score") -> DocLanguage:
        """DocLanguage of one document from its paragraph answers ``pp`` (None: inherit the nearest preceding
        detected paragraph's language, else the first following one; ``last``: the first detected answer);
        adds to the batch totals ``tot``; ``sk``: the key of a paragraph's score)."""
        paras: list[dict] = []
        add = paras.append
        chars: dict[str, int] = {}
        wscore: dict[str, float] = {}
        best: dict[str, tuple[int, str]] = {}  # language -> (length, detector) of its longest detected paragraph
        n_und = n_inh = 0
        if last is None and whole is not None and whole.lang != "und":
            # no paragraph long enough: every paragraph with letters takes the whole text's language
            wlang, wsc = whole.lang, whole.score
            for (s, e), x in zip(spans, pp):
                if x is not None:  # no letters
                    add({"start": s, "end": e, "lang": "und", sk: 0.0})
                    n_und += 1
                else:
                    add({"start": s, "end": e, "lang": wlang, sk: wsc})
                    n_inh += 1
                    chars[wlang] = chars.get(wlang, 0) + (e - s)
                    wscore[wlang] = wscore.get(wlang, 0.0) + (e - s) * wsc
        else:
            for (s, e), x in zip(spans, pp):
                n = e - s
                if x is None:
                    if last is None:
                        add({"start": s, "end": e, "lang": "und", sk: 0.0})
                        n_und += 1
                        continue
                    lang = last[0]
                    sc = last[1]
                    n_inh += 1
                else:
                    lang, sc, det = x
                    if lang == "und":
                        add({"start": s, "end": e, "lang": "und", sk: sc})
                        n_und += 1
                        continue
                    last = x
                    b = best.get(lang)
                    if b is None or n > b[0]:
                        best[lang] = (n, det)
                add({"start": s, "end": e, "lang": lang, sk: sc})
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
            return DocLanguage("und", 0.0, None, "none", paras, {})
        if len(chars) == 1:
            mix = {lang: 1.0 for lang in chars}
        else:
            mix = {l: round(c / total, 4) for l, c in sorted(chars.items(), key=lambda x: (-x[1], x[0]))}
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
            script = chinese_script("".join(text[p["start"]:p["end"]] for p in paras if p["lang"] == "zh"))
        return DocLanguage(lang, score, script, detector, paras, mix)


# The compiled kernels of filters/_native/langid.pyx replace these pure-Python references when they
# are built (tests/filters/test_native_langid.py checks each pair gives the same result).
PY_KERNELS = {"_paragraph_samples": LanguageIdentifier._paragraph_samples, "chinese_script": chinese_script}


def _class_ranges(body: str) -> list[tuple[int, int]]:
    """The (first, last) code points of a regex class body written as ``a-b`` ranges only."""
    if len(body) % 3 or any(body[i + 1] != "-" for i in range(0, len(body), 3)):
        raise ValueError(f"not a list of ranges: {body!r}")
    return [(ord(body[i]), ord(body[i + 2])) for i in range(0, len(body), 3)]


def _configure(kernels) -> None:
    """Hand the kernels this module's special-script ranges, white-space rule, ``und`` answer and ``_sample``."""
    kernels.configure(*map(_class_ranges, (_HAN, _KANA, _HANGUL, _THAI)), _WS.sub, _UND_T, _sample)


def _paragraph_samples_native(self, texts, paragraph_spans, _para_spans) -> _Batch:
    """``LanguageIdentifier._paragraph_samples`` by the compiled kernel."""
    cfg = self.config
    return _Batch(*_KERNELS.paragraph_samples(texts, paragraph_spans, _para_spans, cfg.max_paragraph_chars,
                                              max(1, cfg.min_paragraph_letters), cfg.script_rules,
                                              cfg.script_dominance, cfg.kana_min_share))


def _chinese_script_native(text: str) -> str | None:
    """``chinese_script`` with the two counts by the compiled kernel."""
    if not _KERNELS.hans_hant_ready():
        _KERNELS.set_hans_hant(*_hans_hant_chars())
    s, t = _KERNELS.hans_hant_counts(text)
    if s == 0 and t == 0:
        return None
    return "Hant" if t > s else "Hans"


_KERNELS = native("langid")
if _KERNELS is not None:
    _configure(_KERNELS)
    chinese_script = _chinese_script_native
    LanguageIdentifier._paragraph_samples = _paragraph_samples_native
