"""Language identification of texts and documents (pure Python, no Beam).

In: raw texts (``predict_batch``) or documents with optional paragraph spans (``annotate_batch``).
Out: ``LangPrediction`` per text; ``DocLanguage`` per document with the document language, its score,
the Chinese script (``Hans``/``Hant``), one language per paragraph span and ``lang_mix`` (share of
characters per language). Codes: ISO 639-1 where one exists, else 639-3; Chinese is ``zh``;
Norwegian Bokmål is folded into ``no`` (fastText's label; ``nn`` stays); ``und`` = nothing to detect.

Policy (every knob is a ``LidConfig`` field; figures from benchmarks/bench_lid.py, results in
benchmarks/results/lid.md, on the public lingua test sets: 75 languages, ~37k texts per set, split in
two halves A/B by crc32 of the text for fitting; and on make_corpus documents):

1. No letter at all (digits, punctuation, symbols, whitespace) -> ``und`` (detector ``none``).
2. Script rules on the share of letters in a script (``script_dominance`` 0.5): Hangul -> ``ko``;
   Han+Kana with Kana >= ``kana_min_share`` (0.1) of them -> ``ja``; other Han -> ``zh``; Thai -> ``th``
   (detector ``script``). On the public sets they fire only on the right language and lift Chinese
   sentences from 96.0% (fastText answers ja/wuu/yue on some Han text) to 100% (word pairs 39% -> 100%).
   Kanji-only Japanese (single words) is called ``zh`` as by every detector here; written Cantonese and
   Wu are folded into ``zh``.
3. fastText lid.176 decides when its top probability is >= ``fasttext_threshold`` = 0.8: the best
   sentence threshold on half A (fastText>=t else lingua: 95.1% A, 95.0% B; 0.7: 95.0/94.8; 0.9:
   95.0/94.9); word pairs gain 0.5 point more at 0.9. Below that fastText is unreliable: alone it is
   flat at ~80% on sentences at every length, and 8 of the 75 languages (lg mi sn st tn ts xh zu) are
   not in lid.176 at all.
4. Otherwise the fallback decides: lingua, low-accuracy mode, all 75 languages (models in the wheel;
   alone 94.1% sentences / 79.6% word pairs, ~20x slower than fastText). ``fallback='langdetect'``
   (alone 65.8% / 55.4%, ~150x slower than fastText, seeded) and ``'none'`` are alternatives; lingua
   beats langdetect on every set and per language almost everywhere, so langdetect's default share is
   0. If the fallback has no answer, fastText's stands. Restricting lingua to fastText's top-5
   candidates would be 1.7x faster but costs 1 point on sentences and up to 50 points on languages
   fastText knows badly (yo, so), so lone texts always get all 75 languages.
   Policy overall: 95.1% sentences, 80.0% word pairs, 100% Chinese sentences, ~62% single words.
5. Detectors see at most ``max_sample_chars`` (256) characters of a lone text, cut at a space.

Documents: paragraph spans (``filters.segment.paragraph_spans`` when not given) go through steps
1-3 in one batch across the documents, each paragraph cut to ``max_paragraph_chars`` (128: both
detectors are flat past ~120 characters and fastText's cost is linear in length). Paragraphs with
letters but fewer than ``min_paragraph_letters`` (10) inherit the language of the nearest preceding
detected paragraph (else the following one) instead of adding noise; letter-less ones are ``und``.
An unsure paragraph is accepted without the fallback when its fastText label is the language of a
confident paragraph of the same document (``context_agreement``). The remaining unsure paragraphs of
a document are grouped by fastText label and the fallback runs once per group on its longest
paragraph (``group_unsure_paragraphs``); the first group of a document gets all 75 lingua languages,
later groups only the languages found so far, fastText's top ``lingua_candidates`` (5, plus close
relatives) and lid.176's missing languages, and lingua sees at most ``paragraph_fallback_chars`` (64)
characters (on make_corpus 1-3 KB documents: 2x the documents/s of 128, composed-document accuracy
98.1 -> 97.2%). A lingua call costs ~5 times the whole per-document budget of the 5,000 docs/s target, so
documents in languages fastText does not know dominate the cost; ``fallback='none'`` reaches ~5.7k
docs/s but drops composed-document accuracy to 86.5%. A document without any paragraph long enough is
detected as one text. The document language is the character-weighted majority of paragraph
languages (``doc_language='majority'``; 'whole_text' runs the policy on the whole text: same page
agreement, 99.5 vs 99.6%, worse on mixed documents); ``lang_mix`` gives every language's share of the
characters of the paragraphs that have one, so a mixed document lists all of its languages.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Callable

CountFn = Callable[..., None]


def _no_count(name: str, n: int = 1) -> None:
    return None


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


def _count(not_re: re.Pattern, text: str) -> int:
    return len(not_re.sub("", text))


def _share(n: int, letters: int) -> float:
    """n / letters capped at 1 (Thai and Indic vowel signs are in-script but not letters)."""
    return round(min(1.0, n / letters), 4)


def letter_count(text: str) -> int:
    """Number of letters (Unicode alphabetic, not digits or underscore) in ``text``."""
    return _count(_NOT_LETTER, text)


@functools.lru_cache(maxsize=1)
def _hans_hant_patterns() -> tuple[re.Pattern, re.Pattern]:
    """Patterns of the characters found only in simplified / only in traditional Chinese (CC-CEDICT
    character lists of the ``zhon`` package, which ``hanzidentifier`` installs)."""
    from zhon import cedict

    simp, trad = set(cedict.simplified), set(cedict.traditional)
    only_s = "".join(sorted(simp - trad))
    only_t = "".join(sorted(trad - simp))
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
_DOC_LANGUAGE = ("majority", "whole_text")


@dataclass(frozen=True)
class LidConfig:
    """Policy knobs with measured defaults (see the module docstring and benchmarks/results/lid.md)."""

    fasttext_model: str | None = None  # None -> pipeline.models.default_lid_model_path(); .ftz or full .bin
    fasttext_threshold: float = 0.8  # fastText decides when its top probability reaches this
    fallback: str = "lingua"  # who decides below the threshold: 'lingua' | 'langdetect' | 'none'
    lingua_low_accuracy: bool = True  # trigram-only lingua: ~4x faster, 94.0 vs 96.0% on sentences
    lingua_candidates: int = 5  # later fallback groups of a doc: lingua weighs only the doc's languages,
    lingua_restrict_min_chars: int = 64  # fastText's top-k (+ relatives) and lid.176's missing languages
    script_rules: bool = True  # Hangul/Kana/Han/Thai shortcuts
    script_dominance: float = 0.5  # share of the letters a script needs for its rule to fire
    kana_min_share: float = 0.1  # Kana share of Han+Kana letters that makes Han text Japanese
    max_sample_chars: int = 256  # detectors see at most this many characters of a text (predict_batch)
    max_paragraph_chars: int = 128  # ... and of each paragraph of a document (annotate_batch)
    paragraph_fallback_chars: int = 64  # ... and the fallback of each unsure paragraph group
    min_paragraph_letters: int = 10  # shorter paragraphs inherit a neighbour's language
    context_agreement: bool = True  # unsure paragraph agreeing with a confident one of its doc: accept
    group_unsure_paragraphs: bool = True  # one fallback call per (document, fastText label) group
    doc_language: str = "majority"  # 'majority' of paragraph characters | 'whole_text'
    langdetect_seed: int = 0

    def __post_init__(self):
        if not 0.0 <= self.fasttext_threshold <= 1.0:
            raise ValueError("fasttext_threshold must be in [0, 1]")
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
        if self.lingua_candidates < 0 or self.lingua_restrict_min_chars < 0:
            raise ValueError("lingua_candidates and lingua_restrict_min_chars must be >= 0")
        if self.doc_language not in _DOC_LANGUAGE:
            raise ValueError(f"doc_language must be one of {_DOC_LANGUAGE}")
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


# --------------------------------------------------------------------------- identifier


class LanguageIdentifier:
    """Loads fastText (and the fallback detector) once; then ``predict_batch`` / ``annotate_batch``."""

    def __init__(self, config: LidConfig | None = None):
        import fasttext

        self.config = config or LidConfig()
        path = self.config.fasttext_model
        if path is None:
            from pipeline.models import default_lid_model_path

            path = default_lid_model_path()
        try:  # fasttext prints a deprecation warning on stderr for load_model; silence it
            fasttext.FastText.eprint = lambda *a, **k: None
        except AttributeError:
            pass
        self._ft = fasttext.load_model(path)
        self._label_map = {l: normalize_lang_code(l) for l in self._ft.get_labels()}
        self._ft_labels = frozenset(self._label_map.values())
        n = max(1, self.config.min_paragraph_letters)
        self._enough_letters = re.compile(r"[\W\d_]*+(?:[^\W\d_][\W\d_]*+){%d}" % n)
        self._lingua = None
        self._ld_factory = None
        if self.config.fallback == "lingua":
            from lingua import LanguageDetectorBuilder

            b = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
            if self.config.lingua_low_accuracy:
                b = b.with_low_accuracy_mode()
            self._lingua = b.build()
            from lingua import Language

            self._lingua_langs = {normalize_lang_code(l.iso_code_639_1.name): l for l in Language.all()}
            self._lingua_langs["nb"] = self._lingua_langs["no"]
            self._ft_missing = frozenset(c for c in self._lingua_langs if c not in self._ft_labels and c != "nb")
            self._restricted: dict[frozenset, object] = {}
        elif self.config.fallback == "langdetect":
            from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

            fac = DetectorFactory()
            fac.load_profile(PROFILES_DIRECTORY)
            fac.set_seed(self.config.langdetect_seed)
            self._ld_factory = fac

    # ---------------------------------------------------------------- single detectors (public for benchmarks)

    def fasttext_top(self, samples: list[str]) -> list[tuple[str, float]]:
        """fastText top label (normalised) and probability for newline-free samples."""
        if not samples:
            return []
        labels, probs = self._ft.predict(samples, k=1)
        lm = self._label_map
        return [(lm[l[0]] if l else "und", min(1.0, float(p[0])) if len(p) else 0.0)
                for l, p in zip(labels, probs)]

    def _lingua_for(self, sample: str, known: frozenset | None):
        """Lingua detector for one sample: all 75 languages, except for a later paragraph group of a
        document whose fallback already found the languages ``known``: then only those, fastText's top
        ``lingua_candidates`` labels (with close relatives) and the languages lid.176 lacks (several
        times faster; on lone texts it would cost ~1 point, hitting languages fastText knows badly)."""
        k = self.config.lingua_candidates
        if not known or k <= 0 or len(sample) < self.config.lingua_restrict_min_chars:
            return self._lingua
        labels = self._ft.predict(sample, k=k)[0]
        cands = set(self._ft_missing) | {c for c in known if c in self._lingua_langs}
        for l in labels:
            c = self._label_map[l]
            for x in _RELATIVES.get(c, (c,)):
                if x in self._lingua_langs:
                    cands.add(x)
        key = frozenset(cands)
        det = self._restricted.get(key)
        if det is None:
            from lingua import LanguageDetectorBuilder

            if len(self._restricted) >= 4096:  # bounded: candidate sets repeat, so this rarely happens
                self._restricted.clear()
            b = LanguageDetectorBuilder.from_languages(*[self._lingua_langs[c] for c in sorted(key)])
            if self.config.lingua_low_accuracy:
                b = b.with_low_accuracy_mode()
            det = self._restricted[key] = b.build()
        return det

    def fallback_one(self, sample: str, known: frozenset | None = None) -> tuple[str, float] | None:
        """The fallback detector's answer for one sample, or None when it has none (``known``: languages
        the fallback already found in the same document, see ``_lingua_for``)."""
        if self._lingua is not None:
            vals = self._lingua_for(sample, known).compute_language_confidence_values(sample)
            if not vals or vals[0].value <= 0.0:
                return None
            return normalize_lang_code(vals[0].language.iso_code_639_1.name), float(vals[0].value)
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

    def script_rule(self, sample: str, letters: int) -> LangPrediction | None:
        """Hangul/Kana/Han/Thai shortcut for a sample with ``letters`` letters, or None."""
        if not self.config.script_rules or letters == 0 or not _SPECIAL_SCRIPT.search(sample):
            return None
        dom = self.config.script_dominance * letters
        han = _count(_NOT_HAN, sample)
        kana = _count(_NOT_KANA, sample)
        hangul = _count(_NOT_HANGUL, sample)
        if hangul >= dom and hangul >= han + kana:
            return LangPrediction("ko", _share(hangul, letters), None, "script")
        if han + kana >= dom:
            if kana >= self.config.kana_min_share * (han + kana):
                return LangPrediction("ja", _share(han + kana, letters), None, "script")
            return LangPrediction("zh", _share(han, letters), chinese_script(sample), "script")
        thai = _count(_NOT_THAI, sample)
        if thai >= dom:
            return LangPrediction("th", _share(thai, letters), None, "script")
        return None

    # ---------------------------------------------------------------- policy

    def _first_pass(self, samples: list[str], count: CountFn) -> list[LangPrediction | tuple[str, float]]:
        """No letters -> und; script rules; fastText in one batch. A prediction where one of them
        decides, else fastText's unsure ``(label, probability)`` for ``_resolve``."""
        out: list[LangPrediction | tuple[str, float]] = [UND] * len(samples)
        todo: list[int] = []
        for i, s in enumerate(samples):
            if not _HAS_LETTER.search(s):
                count("und_empty")
                continue
            r = self.script_rule(s, letter_count(s)) if _SPECIAL_SCRIPT.search(s) else None
            if r is not None:
                out[i] = r
                count("decided_by_script")
            else:
                todo.append(i)
        th = self.config.fasttext_threshold
        for i, (lang, p) in zip(todo, self.fasttext_top([samples[i] for i in todo])):
            if p >= th:
                script = chinese_script(samples[i]) if lang == "zh" else None
                out[i] = LangPrediction(lang, round(p, 4), script, "fasttext")
                count("decided_by_fasttext")
            else:
                out[i] = (lang, p)
        return out

    def _fallback_or_fasttext(self, sample: str, lang: str, p: float, count: CountFn,
                              known: frozenset | None = None) -> LangPrediction:
        """The fallback's answer for a sample fastText is unsure of, else fastText's own (counts one call)."""
        fb = None
        if self.config.fallback != "none":
            count("fallback_calls")
            fb = self.fallback_one(sample, known)
            if fb is None:
                count("fallback_no_answer")
        if fb is None:
            return LangPrediction(lang, round(p, 4), chinese_script(sample) if lang == "zh" else None, "fasttext")
        flang, fp = fb
        return LangPrediction(flang, round(min(1.0, fp), 4), chinese_script(sample) if flang == "zh" else None,
                              self.config.fallback)

    def _decide(self, samples: list[str], count: CountFn) -> list[LangPrediction]:
        out = self._first_pass(samples, count)
        res = []
        for i, r in enumerate(out):
            if not isinstance(r, LangPrediction):
                r = self._fallback_or_fasttext(samples[i], r[0], r[1], count)
                count(f"decided_by_{r.detector}")
            res.append(r)
        return res

    def predict_batch(self, texts: list[str], count: CountFn | None = None) -> list[LangPrediction]:
        """Language of each text (detectors see at most ``max_sample_chars`` of it)."""
        count = _no_count if count is None else count
        count("texts", len(texts))
        limit = self.config.max_sample_chars
        return self._decide([_sample(t or "", limit) for t in texts], count)

    def annotate_batch(self, texts: list[str], paragraph_spans: list[list[tuple[int, int]]] | None = None,
                       count: CountFn | None = None) -> list[DocLanguage]:
        """Document language, paragraph languages and language mix of each text. ``paragraph_spans[d]``
        are (start, end) code-point offsets into ``texts[d]``; default ``filters.segment.paragraph_spans``."""
        from filters.segment import paragraph_spans as _para_spans

        count = _no_count if count is None else count
        cfg = self.config
        limit = cfg.max_paragraph_chars
        enough = self._enough_letters
        if paragraph_spans is not None and len(paragraph_spans) != len(texts):
            raise ValueError("paragraph_spans must have one list per text")
        count("docs", len(texts))
        doc_spans: list[list[tuple[int, int]]] = []
        para_pred: list[dict[int, LangPrediction]] = [dict() for _ in texts]
        flat: list[tuple[int, int]] = []
        flat_samples: list[str] = []
        for d, text in enumerate(texts):
            text = text or ""
            given = paragraph_spans[d] if paragraph_spans is not None else _para_spans(text)
            spans = [(int(s), int(e)) for s, e in given]
            doc_spans.append(spans)
            count("paragraphs", len(spans))
            for j, (s, e) in enumerate(spans):
                smp = _sample(text[s:e], limit)
                if enough.match(smp):
                    flat.append((d, j))
                    flat_samples.append(smp)
                elif not _HAS_LETTER.search(smp):  # digits, punctuation, symbols: nothing to detect or inherit
                    para_pred[d][j] = UND
        first = self._first_pass(flat_samples, count)
        unsure = []
        for k, ((d, j), r) in enumerate(zip(flat, first)):
            if isinstance(r, LangPrediction):
                para_pred[d][j] = r
            else:
                unsure.append(k)
        confident = [frozenset(p.lang for p in para_pred[d].values() if p.lang != "und")
                     for d in range(len(texts))]
        groups: dict[tuple[int, str], list[int]] = {}
        for k in unsure:
            d, j = flat[k]
            lang, p = first[k]  # type: ignore[misc]
            if cfg.context_agreement and lang in confident[d]:
                para_pred[d][j] = LangPrediction(lang, round(p, 4),
                                                 chinese_script(flat_samples[k]) if lang == "zh" else None, "fasttext")
                count("decided_by_fasttext")
                count("fasttext_by_context")
            else:
                groups.setdefault((d, lang) if cfg.group_unsure_paragraphs else (d, str(k)), []).append(k)
        found: dict[int, set] = {}  # languages the fallback found so far in each document
        size = {g: sum(len(flat_samples[k]) for k in ks) for g, ks in groups.items()}
        for (d, key) in sorted(groups, key=lambda g: (g[0], -size[g], g[1])):
            ks = groups[(d, key)]
            rep = max(ks, key=lambda k: len(flat_samples[k]))
            lang, p = first[rep]  # type: ignore[misc]
            r = self._fallback_or_fasttext(_sample(flat_samples[rep], cfg.paragraph_fallback_chars), lang, p, count,
                                           frozenset(found[d]) if d in found else None)
            if r.detector != "fasttext":
                found.setdefault(d, set()).add(r.lang)
            for k in ks:
                j = flat[k][1]
                if r.detector == "fasttext":  # keep each paragraph's own fastText probability
                    para_pred[d][j] = LangPrediction(lang, round(first[k][1], 4), r.script, "fasttext")  # type: ignore[index]
                else:
                    para_pred[d][j] = r
                count(f"decided_by_{r.detector}")

        whole: list[LangPrediction | None] = [None] * len(texts)
        need = [d for d, text in enumerate(texts)
                if (cfg.doc_language == "whole_text" or all(p.lang == "und" for p in para_pred[d].values()))
                and (text or "").strip()]
        if need:
            wl = cfg.max_sample_chars
            for d, r in zip(need, self._decide([_sample(texts[d], wl) for d in need], count)):
                whole[d] = r
        return [self._assemble(texts[d] or "", doc_spans[d], para_pred[d], whole[d], count)
                for d in range(len(texts))]

    def _assemble(self, text: str, spans: list[tuple[int, int]], preds: dict[int, LangPrediction],
                  whole: LangPrediction | None, count: CountFn) -> DocLanguage:
        detected = sorted(j for j, p in preds.items() if p.lang != "und")
        paras: list[dict] = []
        if not detected and whole is not None and whole.lang != "und":
            # no paragraph long enough: every paragraph with letters takes the whole text's language
            for j, (s, e) in enumerate(spans):
                if j in preds:  # no letters
                    paras.append({"start": s, "end": e, "lang": "und", "score": 0.0})
                    count("paragraphs_und")
                else:
                    paras.append({"start": s, "end": e, "lang": whole.lang, "score": whole.score})
                    count("paragraphs_inherited")
        else:
            k = 0  # index into detected of the next detected paragraph at or after j
            for j, (s, e) in enumerate(spans):
                p = preds.get(j)
                if p is not None:
                    paras.append({"start": s, "end": e, "lang": p.lang, "score": p.score})
                    if p.lang == "und":
                        count("paragraphs_und")
                    continue
                while k < len(detected) and detected[k] < j:
                    k += 1
                src = detected[k - 1] if k > 0 else (detected[k] if k < len(detected) else None)
                if src is None:
                    paras.append({"start": s, "end": e, "lang": "und", "score": 0.0})
                    count("paragraphs_und")
                else:
                    q = preds[src]
                    paras.append({"start": s, "end": e, "lang": q.lang, "score": q.score})
                    count("paragraphs_inherited")
        chars: dict[str, int] = {}
        wscore: dict[str, float] = {}
        for p in paras:
            if p["lang"] == "und":
                continue
            w = p["end"] - p["start"]
            chars[p["lang"]] = chars.get(p["lang"], 0) + w
            wscore[p["lang"]] = wscore.get(p["lang"], 0.0) + w * p["score"]
        total = sum(chars.values())
        if total == 0:
            count("docs_und")
            return DocLanguage("und", 0.0, None, "none", paras, {})
        mix = {l: round(c / total, 4) for l, c in sorted(chars.items(), key=lambda x: (-x[1], x[0]))}
        if len(mix) > 1:
            count("docs_multilingual")
        if whole is not None and whole.lang != "und" and (self.config.doc_language == "whole_text" or not detected):
            lang, score, detector = whole.lang, whole.score, whole.detector
        else:
            lang = next(iter(mix))
            score = round(wscore[lang] / chars[lang], 4)
            best = max((j for j in detected if preds[j].lang == lang),
                       key=lambda j: spans[j][1] - spans[j][0], default=None)
            detector = preds[best].detector if best is not None else (whole.detector if whole else "none")
        script = None
        if lang == "zh":
            script = chinese_script("".join(text[p["start"]:p["end"]] for p in paras if p["lang"] == "zh"))
        return DocLanguage(lang, score, script, detector, paras, mix)
