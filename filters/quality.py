"""Pure quality scorers at three granularities: document, paragraph (line) and sentence.

Text and a language code in; a ``DocQuality`` out with every signal, the rules that failed, an
overall ``quality_score`` in [0, 1] with its ``quality_tier``, and scored paragraph and sentence
spans. Nothing is dropped here: selection decides later which scores to cut on.

Document signals (flat dict, the same keys and types for every document, see ``SIGNAL_TYPES``):

- Gopher quality (Rae et al. 2021): word count, mean word length, symbol-to-word ratio, bullet and
  ellipsis line fractions, alphabetic-word fraction, stop-word count (list from ``stopwordsiso``).
- Gopher repetition: duplicate line / paragraph fractions by count and by characters, the
  character fraction of the most frequent 2-, 3-, 4-gram and the character fraction covered by
  duplicated 5..10-grams.
- C4 (Raffel et al. 2020): lines ending in terminal punctuation, lines with at least 3 words, lines
  naming javascript or a policy, "lorem ipsum", curly brackets, at least 5 sentences left.
- FineWeb: line punctuation ratio, short-line ratio, characters in duplicated lines, new lines per
  word (list-ness).
- Own signals: URL and e-mail density, boilerplate cues, navigation lines, character classes,
  repeated characters, sentence and paragraph score summaries.

Unspaced scripts (zh, ja, th, ... see ``scripts.UNSPACED_LANGS``): "words" are word units = the
number of CJK/Thai characters plus the white-space tokens of other scripts, n-grams are character
n-grams (n doubled, a Chinese word is about two characters), short lines are counted in
characters, the mean word length rule does not apply, and the stop words of zh / ja are
character-level function words. The thresholds are the published ones for spaced scripts and
per-language overrides in ``QualityConfig.overrides`` (frozen) for the others.

quality_score = soft × Π_failed (1 − rule_weight), then, when ``model_score`` is given,
(1 − model_weight) × that + model_weight × model_score, where
soft = content × (size_floor + (1 − size_floor) × size) × sentences,
content = character-weighted mean paragraph score, size = log1p(words) / log1p(full_words)
capped at 1, sentences = min(1, 0.4 + 0.2 × n_sentences). Failed rules are soft penalties
(weights in ``QualityConfig.rule_weights``), so one marginal rule never zeroes a document while
several failures (repetition, no stop words, no punctuation, ...) multiply down.

A paragraph (line) score is the character-weighted mean score of its sentences times its line
factors: navigation (many short items between separators such as "|"), C4 line rules (no
terminal punctuation, fewer than 3 words, javascript, policy, lorem ipsum, curly brackets), URL
lines, boilerplate cue weight of the whole line, duplication inside the document, and the global
repetition count from dedup when given. A sentence score is a product of piecewise-linear
factors (see ``_factor_coefs``) for length, letters / digits / symbols / upper case, repeated
characters, terminal punctuation, separators, stop words, URL share and boilerplate cues
(``quality_patterns.CUES``, weights scaled down for long spans). Tiers cut ``quality_score`` at
``tier_high`` / ``tier_medium``; ``sentence_cut`` / ``paragraph_cut`` are the default cuts that
selection may use (the scorer only counts what falls below them).

``QualityScorer.score_batch`` scores many documents at once, bit for bit as ``score`` would one at
a time: their texts are joined by spaces and every per-character step (code points, classes,
cumulated counts, tokens and their hashes, stop words, sentence scores) runs once per chunk of
about ``_CHUNK_CHARS`` characters; only the document rules stay per document. ``timings``
accumulates thread CPU seconds per group of ``TIMING_GROUPS`` (in a batch, per phase of a chunk;
"gopher_quality" also holds the chunk's per-document sums).
"""
from __future__ import annotations

import math
from bisect import bisect_right
import re
import time
import unicodedata
from dataclasses import dataclass, field, replace
from array import array
from functools import lru_cache
from itertools import chain, islice
from operator import itemgetter
from typing import NamedTuple


import numpy as np

from filters._native import native
from filters.encoding import _CP1252_CONT, mojibake_chars
from filters.minhash import category_mask, space_code_points, unicode_categories
from filters.quality_patterns import C4_POLICY, CUES, LOREM
from filters.scripts import QUALITY_UNSPACED_BLOCKS, UNSPACED_LANGS, in_blocks
from filters.segment import paragraph_spans, sentence_spans
from filters.spam import cue_table as spam_cue_table
from filters.spam import is_contact_farm, is_gambling_spam, spam_cues
from filters.stopwords import StopWords
from schemas.signals import SIGNAL_TYPES
from filters.counting import Count


# ---------------------------------------------------------------------------------------------
# configuration


@dataclass(frozen=True)
class LangRules:
    """Thresholds of the rule sets for one language (published defaults for spaced scripts)."""
    unspaced: bool = False
    # Gopher quality
    min_words: int = 50
    max_words: int = 100_000
    min_mean_word_len: float = 3.0
    max_mean_word_len: float = 10.0
    max_symbol_word_ratio: float = 0.1
    max_bullet_lines: float = 0.9
    max_ellipsis_lines: float = 0.3
    min_alpha_words: float = 0.8
    min_stop_words: int = 2
    # Gopher repetition
    max_dup_line_frac: float = 0.3
    max_dup_para_frac: float = 0.3
    max_dup_line_char_frac: float = 0.2
    max_dup_para_char_frac: float = 0.2
    top_ngram_max: tuple[float, float, float] = (0.20, 0.18, 0.16)        # n = 2, 3, 4
    dup_ngram_max: tuple[float, ...] = (0.15, 0.14, 0.13, 0.12, 0.11, 0.10)  # n = 5..10
    ngram_scale: int = 1             # n-gram size multiplier (2 for character n-grams)
    # C4
    c4_min_line_words: int = 3
    c4_min_sentences: int = 5
    # FineWeb
    fw_min_line_punct: float = 0.12
    fw_short_line_chars: int = 30
    fw_max_short_lines: float = 0.67
    fw_max_dup_line_chars: float = 0.01
    fw_max_newline_ratio: float = 0.3
    # soft scores
    full_words: int = 80             # words at which the size factor reaches 1
    sentence_full_words: int = 6     # words at which the sentence length factor reaches 1


_UNSPACED_RULES = LangRules(
    unspaced=True, min_words=100, max_words=200_000, min_mean_word_len=0.0, max_mean_word_len=1e9,
    min_stop_words=3, c4_min_line_words=5, fw_short_line_chars=12, full_words=160, sentence_full_words=8,
    ngram_scale=2, top_ngram_max=(0.20, 0.18, 0.16), dup_ngram_max=(0.15, 0.14, 0.13, 0.12, 0.11, 0.10),
)

_DEFAULT_RULE_WEIGHTS = (
    ("gopher_word_count", 0.45), ("gopher_mean_word_length", 0.25), ("gopher_symbol_ratio", 0.25),
    ("gopher_bullet_lines", 0.25), ("gopher_ellipsis_lines", 0.25), ("gopher_alpha_words", 0.25),
    ("gopher_stop_words", 0.45),
    ("gopher_dup_line_frac", 0.25), ("gopher_dup_para_frac", 0.25), ("gopher_dup_line_chars", 0.2),
    ("gopher_dup_para_chars", 0.2), ("gopher_top_ngram", 0.3), ("gopher_dup_ngram", 0.3),
    ("c4_min_sentences", 0.15), ("c4_lorem_ipsum", 0.6), ("c4_curly_bracket", 0.1),
    ("fineweb_line_punct", 0.2), ("fineweb_short_lines", 0.15), ("fineweb_dup_line_chars", 0.1),
    ("fineweb_newline_ratio", 0.15),
    ("url_heavy", 0.4), ("boilerplate_heavy", 0.3), ("encoding_damage", 0.6), ("gambling_spam", 0.6),
    ("contact_farm", 0.4),
)
RULE_NAMES = tuple(name for name, _ in _DEFAULT_RULE_WEIGHTS)


@dataclass(frozen=True)
class QualityConfig:
    """Everything tunable, frozen and hashable.

    ``rules`` are the thresholds for spaced languages, ``overrides`` per-language replacements
    (code, LangRules) consulted first; ``unspaced_rules`` apply to the languages of
    ``scripts.UNSPACED_LANGS`` without an override. ``rule_weights`` are (rule, penalty) pairs.
    """
    rules: LangRules = LangRules()
    unspaced_rules: LangRules = _UNSPACED_RULES
    overrides: tuple[tuple[str, LangRules], ...] = ()
    rule_weights: tuple[tuple[str, float], ...] = _DEFAULT_RULE_WEIGHTS
    size_floor: float = 0.3
    model_weight: float = 0.5
    tier_high: float = 0.6
    tier_medium: float = 0.3
    sentence_cut: float = 0.4        # default cut for sentence scores (selection may choose another)
    paragraph_cut: float = 0.4       # default cut for paragraph scores
    repeat_min_count: int = 3        # global repetition count from which a paragraph is penalised
    url_heavy_frac: float = 0.3      # URL characters / characters above which 'url_heavy' fails
    boilerplate_heavy_frac: float = 0.5  # characters in boilerplate paragraphs / characters
    mojibake_max_frac: float = 0.001  # mis-decoded characters / characters above which 'encoding_damage'
                                      # fails (with at least 3 of them; filters/encoding.py)
    boilerplate_ref_words: int = 25  # cue weights are scaled by min(1, ref / words of the span)

    def rules_for(self, lang: str | None) -> LangRules:
        lang = (lang or "und").lower()
        for code, r in self.overrides:
            if code == lang:
                return r
        base = lang.split("-")[0].split("_")[0]
        return self.unspaced_rules if base in UNSPACED_LANGS else self.rules


# ---- document rule families: each returns (signals, failed rule names, in a fixed order) ---------
# (their arguments are the per-document counts and sums that ``QualityScorer.score_batch`` takes
# from its pass over a whole chunk of documents)

def _gopher_quality(n, total, n_norm, alpha_words, n_bullet, n_ell, m, units, sw_sum, tok_sum, mode,
                    rules) -> tuple[dict, list[str]]:
    """Gopher quality: word count, mean word length, symbol/word ratio, bullet and ellipsis lines,
    alphabetic words, stop words. ``total``: the document's class counts (row order of the count
    matrix), ``n_norm`` its normalised tokens, ``alpha_words`` its white-space tokens holding a
    letter, ``n_bullet`` / ``n_ell`` its bullet / ellipsis lines out of ``m``, ``sw_sum`` /
    ``tok_sum`` its stop words and the tokens they are counted against."""
    n_tokens = total[R_WSTART]
    mean_word_len = (n - (total[R_SPACE] + total[R_PUNCT] + total[R_SYMBOL])) / n_norm if n_norm else 0.0
    alpha_frac = alpha_words / n_tokens if n_tokens else 0.0
    sym_ratio = (total[R_HASH] + total[R_DOTS] + total[R_ELLIPSIS]) / max(1, units)     # "#", "...", "…"
    bullet_frac = int(n_bullet) / m
    ell_frac = int(n_ell) / m
    sw_total = int(sw_sum)
    sw_frac = sw_total / max(1.0, tok_sum) if mode else 0.0
    failed = []
    if units < rules.min_words or units > rules.max_words:
        failed.append("gopher_word_count")
    if not rules.unspaced and not (rules.min_mean_word_len <= mean_word_len <= rules.max_mean_word_len):
        failed.append("gopher_mean_word_length")
    if sym_ratio > rules.max_symbol_word_ratio:
        failed.append("gopher_symbol_ratio")
    if bullet_frac > rules.max_bullet_lines:
        failed.append("gopher_bullet_lines")
    if ell_frac > rules.max_ellipsis_lines:
        failed.append("gopher_ellipsis_lines")
    if alpha_frac < rules.min_alpha_words:
        failed.append("gopher_alpha_words")
    if mode is not None and sw_total < rules.min_stop_words:
        failed.append("gopher_stop_words")
    return {"gq_mean_word_len": float(mean_word_len), "gq_symbol_word_ratio": float(sym_ratio),
            "gq_bullet_line_frac": float(bullet_frac), "gq_ellipsis_line_frac": float(ell_frac),
            "gq_alpha_word_frac": float(alpha_frac), "stopword_count": sw_total, "stopword_frac": float(sw_frac),
            "has_stopword_list": mode is not None}, failed


def _gopher_repetition(line_chars, m, dup_lines, dup_line_chars, blocks, rules, fractions) -> tuple[dict, list[str]]:
    """Gopher repetition: duplicate lines and blocks (count and characters; ``blocks``: the row of
    ``_block_stats``), top n-gram and duplicate n-gram character fractions (``fractions``: the 9
    values of ``_ngram_fractions``, top then dupf, over the document's token ids)."""
    n_blocks, dup_blocks, dup_block_chars, block_chars = blocks
    block_chars = max(1, block_chars)
    top, dupf = fractions[:3], fractions[3:]
    dup_line_frac = dup_lines / m
    dup_line_char_frac = dup_line_chars / line_chars
    dup_para_frac = dup_blocks / n_blocks if n_blocks else 0.0
    dup_para_char_frac = dup_block_chars / block_chars
    failed = []
    if dup_line_frac > rules.max_dup_line_frac:
        failed.append("gopher_dup_line_frac")
    if dup_para_frac > rules.max_dup_para_frac:
        failed.append("gopher_dup_para_frac")
    if dup_line_char_frac > rules.max_dup_line_char_frac:
        failed.append("gopher_dup_line_chars")
    if dup_para_char_frac > rules.max_dup_para_char_frac:
        failed.append("gopher_dup_para_chars")
    if any(v > lim for v, lim in zip(top, rules.top_ngram_max)):
        failed.append("gopher_top_ngram")
    if any(v > lim for v, lim in zip(dupf, rules.dup_ngram_max)):
        failed.append("gopher_dup_ngram")
    return {"n_blocks": n_blocks,
            "gr_dup_line_frac": float(dup_line_frac), "gr_dup_line_char_frac": float(dup_line_char_frac),
            "gr_dup_para_frac": float(dup_para_frac), "gr_dup_para_char_frac": float(dup_para_char_frac),
            "gr_top2gram_char_frac": top[0], "gr_top3gram_char_frac": top[1], "gr_top4gram_char_frac": top[2],
            "gr_dup5gram_char_frac": dupf[0], "gr_dup6gram_char_frac": dupf[1], "gr_dup7gram_char_frac": dupf[2],
            "gr_dup8gram_char_frac": dupf[3], "gr_dup9gram_char_frac": dupf[4], "gr_dup10gram_char_frac": dupf[5]}, failed


def _c4(n_keep, n_term, s_kept, m, lorem_doc, has_curly, js_lines, pol_lines, rules) -> tuple[dict, list[str]]:
    """C4: sentences in kept lines (terminal punctuation, enough words, no javascript or policy
    line), lorem ipsum, curly brackets. ``n_keep`` / ``n_term``: kept / terminal lines out of
    ``m``; ``s_kept``: sentences in kept lines."""
    s_kept = int(s_kept)
    terminal_frac = int(n_term) / m
    failed = []
    if s_kept < rules.c4_min_sentences:
        failed.append("c4_min_sentences")
    if lorem_doc:
        failed.append("c4_lorem_ipsum")
    if has_curly:
        failed.append("c4_curly_bracket")
    return {"c4_terminal_line_frac": float(terminal_frac), "c4_kept_line_frac": int(n_keep) / m,
            "c4_kept_sentences": s_kept, "c4_javascript_lines": js_lines, "c4_policy_lines": pol_lines,
            "c4_lorem_ipsum": lorem_doc, "c4_curly_bracket": has_curly}, failed


def _fineweb(n_newlines, n_short, m, n, units, dup_line_chars, terminal_frac, rules) -> tuple[dict, list[str]]:
    """FineWeb: lines ending in punctuation, short lines (``n_short`` of ``m``), duplicate line
    characters, newlines per word."""
    short_lines = int(n_short) / m
    fw_dup = dup_line_chars / max(1, n)
    nl_ratio = n_newlines / max(1, units)
    failed = []
    if terminal_frac <= rules.fw_min_line_punct:
        failed.append("fineweb_line_punct")
    if short_lines >= rules.fw_max_short_lines:
        failed.append("fineweb_short_lines")
    if fw_dup >= rules.fw_max_dup_line_chars:
        failed.append("fineweb_dup_line_chars")
    if nl_ratio > rules.fw_max_newline_ratio:
        failed.append("fineweb_newline_ratio")
    return {"fw_line_punct_frac": float(terminal_frac), "fw_short_line_frac": float(short_lines),
            "fw_dup_line_char_frac": float(fw_dup), "fw_newline_word_ratio": float(nl_ratio)}, failed


def _content_rules(text, lower, n, url_spans, n_emails, n_hits, spam_hits, bp_chars, line_chars, unspaced_cues,
                   moji, cfg) -> tuple[dict, list[str]]:
    """Thresher's own: URL-heavy, boilerplate-heavy (``bp_chars`` in boilerplate lines),
    encoding damage (``moji``: ``mojibake_chars`` of the text), gambling spam, contact farms
    (``unspaced_cues``: look for the spam cues of unspaced scripts)."""
    url_frac = sum(y - x for x, y in url_spans) / max(1, n)
    bp_frac = bp_chars / line_chars
    failed = []
    if url_frac > cfg.url_heavy_frac:
        failed.append("url_heavy")
    if bp_frac > cfg.boilerplate_heavy_frac:
        failed.append("boilerplate_heavy")
    if moji >= 3 and moji > cfg.mojibake_max_frac * n:
        failed.append("encoding_damage")
    cues = spam_cues(text, lower, spam_hits, unspaced=unspaced_cues)
    if is_gambling_spam(cues, n):
        failed.append("gambling_spam")
    if is_contact_farm(cues, n):
        failed.append("contact_farm")
    return {"url_count": len(url_spans), "url_char_frac": float(url_frac), "email_count": n_emails,
            "boilerplate_cues": n_hits, "boilerplate_char_frac": float(bp_frac),
            "mojibake_frac": moji / max(1, n), "gambling_cues": cues.gambling_distinct,
            "money_cues": cues.money_distinct, "contact_mentions": cues.contact_mentions}, failed

DEFAULT = QualityConfig()

# ---------------------------------------------------------------------------------------------
# results

SIGNAL_NAMES = tuple(SIGNAL_TYPES)
_SIGNALS_IN_ORDER = itemgetter(*SIGNAL_NAMES)
TIMING_GROUPS = ("segment", "char_classes", "sentences", "paragraphs", "gopher_quality", "gopher_repetition",
                 "c4", "fineweb", "combine")


@dataclass
class DocQuality:
    """Scores of one document. ``paragraphs`` / ``sentences`` are lists of
    ``{'start', 'end', 'score', 'flags'}`` (the SCORED_SPAN layout; ``flags`` is a tuple of flag
    names shared by every span with the same flags: never mutate it); ``signals`` has the keys of
    ``SIGNAL_NAMES`` with the types of ``SIGNAL_TYPES`` (``model_score`` is NaN when absent)."""
    signals: dict
    quality_score: float
    quality_tier: str
    failed_rules: list
    paragraphs: list = field(default_factory=list)
    sentences: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"quality_score": self.quality_score, "quality_tier": self.quality_tier,
                "failed_rules": list(self.failed_rules), "paragraphs": self.paragraphs,
                "sentences": self.sentences, **self.signals}


# ---------------------------------------------------------------------------------------------
# character classes

LETTER, UPPER, DIGIT, SPACE, PUNCT, SYMBOL, UNSPACED, SEP = 1, 2, 4, 8, 16, 32, 64, 128
_SEPARATORS = "|¦·•»›∙◦▪‣→►▸◆■□●○★☆"   # navigation / list separators (" / " is counted apart)
# rows of the cumulated count matrix: the 8 class bits, then derived marks
R_LETTER, R_UPPER, R_DIGIT, R_SPACE, R_PUNCT, R_SYMBOL, R_UNSPACED, R_SEP = range(8)
R_WSTART, R_RUN, R_FUNC, R_TOK, R_STOP = range(8, 13)
_N_ROWS = 13              # (the rows read at sentence and paragraph bounds)
# rows read at document bounds only: white-space words holding a letter (marked at their first
# letter), and the marks that decide whether to look for mis-decoded text: U+FFFD, non-ASCII,
# Latin-1 lead of a cp1252 misreading (U+00C2..U+00F4) followed by a cp1252 continuation character
# (where encoding._LATIN_MOJIBAKE can match), CJK or above (U+3400..), Devanagari and the other Indic
# scripts (U+0900..U+0DFF: spaced, but their spam cues are matched as substrings)
R_ALPHA, R_FFFD, R_NON_ASCII, R_LATIN_PAIR, R_CJK, R_INDIC = range(13, 19)
# and the counts of str.count: "#", "..." (marked at the third dot of each, as str.count finds them
# left to right without overlap), "…", "\n"
R_HASH, R_DOTS, R_ELLIPSIS, R_NEWLINE = range(19, 23)
_N_ROWS_ALL = 23
_TERMINALS = frozenset(".!?…。！？；｡．؟।॥۔።‼⁇⁈⁉")
_CLOSERS = "\"'”’»›)]）】」』〉》〕〗］｝〞"
_BULLETS = ("•", "-", "*", "·", "‣", "◦", "▪", "●", "►", "▸", "–", "—", "→", "✓", "✔", "☐", "■", "□", "◆")
# r"(?:https?://|ftp://|www\.)[^\s<>\"'）)\]]+" under re.I, spelled out (re.I's letters: "s" also
# matches U+017F) behind one character class, so the regex engine can skip to candidates
_URL_SCHEME = re.compile(r"[hHfFwW](?:(?<=[hH])[tT][tT][pP][sS\u017f]?://|(?<=[fF])[tT][pP]://|(?<=[wW])[wW][wW]\.)"
                         r"[^\s<>\"'）)\]]+")
_TLD = re.compile(r"\.(?:com|org|net|edu|gov|info|biz|io|co|de|uk|cn|ru|jp|fr|example)(?![\w-])(?:/[^\s<>\"']*)?",
                  re.I)
_DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
_EMAIL_LOCAL = re.compile(r"[\w.+-]{1,64}$")
_EMAIL_DOMAIN = re.compile(r"[\w-]++(?:\.[\w-]++)+")   # matched in a window of _DOMAIN_MAX characters
_DOMAIN_MAX = 255


def _find_emails(text: str) -> list[tuple[int, int]]:
    """Spans of e-mail addresses, found from each "@" outwards (no scan of the whole text)."""
    out = []
    i = text.find("@")
    while i >= 0:
        left = _EMAIL_LOCAL.search(text, max(0, i - 64), i)
        right = _EMAIL_DOMAIN.match(text, i + 1, i + 1 + _DOMAIN_MAX)
        if left and right:
            out.append((left.start(), right.end()))
            i = text.find("@", right.end())
        else:
            i = text.find("@", i + 1)
    return out
_BLOCK_SPLIT = re.compile(r"\n[ \t\r\f\v\u00a0\u3000]*\n\s*")
_REPEAT_RUN = 4           # a character repeated this many times in a row counts as a repeated run


def _find_urls(text: str) -> list[tuple[int, int]]:
    """Spans of URLs: with a scheme or www., or bare host names with a common TLD."""
    spans = [(m.start(), m.end()) for m in _URL_SCHEME.finditer(text)] if ("://" in text or "www." in text) else []
    n = len(text)
    last = -1
    for m in _TLD.finditer(text):
        a = m.start()
        if a < last or (spans and any(x <= a < y for x, y in spans)):
            continue
        i = a
        while i > 0 and text[i - 1] in _DOMAIN_CHARS:
            i -= 1
        if i < a and text[i] not in ".-" and (i == 0 or not text[i - 1].isalnum()) and text[i:a].strip(".-"):
            j = m.end()
            while j < n and text[j] in _DOMAIN_CHARS:
                j += 1
            if j < n and text[j] == "/":
                while j < n and not text[j].isspace():
                    j += 1
            while j > a and text[j - 1] in ".,;:!?)":
                j -= 1
            spans.append((i, j))
            last = j
    spans.sort()
    return spans


def _is_unspaced_cp(o: int) -> bool:
    return in_blocks(o, QUALITY_UNSPACED_BLOCKS)


@lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    """uint8 class bits for every BMP code point (built once, read-only; vectorized over
    ``minhash.unicode_categories``)."""
    cat = unicode_categories()[:0x10000]
    letter = category_mask(lambda c: c[0] in "LM")[cat]
    in_unspaced = np.zeros(0x10000, dtype=bool)
    for lo, hi in QUALITY_UNSPACED_BLOCKS:
        in_unspaced[lo:hi + 1] = True
    unspaced = category_mask(lambda c: c[0] == "L")[cat] & in_unspaced
    table = np.zeros(0x10000, dtype=np.uint8)
    table[category_mask(lambda c: c[0] == "S")[cat]] = SYMBOL
    table[category_mask(lambda c: c[0] == "P")[cat]] = PUNCT
    table[category_mask(lambda c: c[0] == "N")[cat]] = DIGIT
    table[letter] = LETTER
    table[letter & category_mask(lambda c: c in ("Lu", "Lt"))[cat]] |= UPPER
    table[unspaced] |= UNSPACED
    table[space_code_points()] = SPACE
    table[[ord(c) for c in _SEPARATORS]] |= SEP
    table.setflags(write=False)
    return table


@lru_cache(maxsize=1)
def _cp1252_cont_table() -> np.ndarray:
    """Bool per BMP code point: a cp1252 continuation character (``encoding._CP1252_CONT``, the
    second character of every ``encoding._LATIN_MOJIBAKE`` match; all below U+2200)."""
    every = "".join(map(chr, range(0x10000)))
    table = np.zeros(0x10000, dtype=bool)
    table[[m.start() for m in re.finditer(f"[{_CP1252_CONT}]", every)]] = True
    table.setflags(write=False)
    return table


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _classes(cp: np.ndarray, table: np.ndarray | None = None) -> np.ndarray:
    """Class bits of the code points ``cp`` (``table``: ``_class_table()``, looked up when None)."""
    if table is None:
        table = _class_table()
    if cp.size and int(cp.max()) > 0xFFFF:
        cls = table[np.minimum(cp, 0xFFFF)]
        astral = cp > 0xFFFF
        emoji = astral & (cp >= 0x1F000) & (cp <= 0x1FAFF)
        han = astral & (cp >= 0x20000) & (cp <= 0x3FFFF)
        cls = np.where(emoji, SYMBOL, np.where(han, LETTER | UNSPACED, np.where(astral, LETTER, cls))).astype(np.uint8)
        return cls
    return table[cp]


# ---------------------------------------------------------------------------------------------
# boilerplate cue matcher


class _CueMatcher:
    """Finds boilerplate cues. Cues made of words of spaced scripts are matched on the
    normalised tokens (lower case, punctuation as spaces) through a first-token index; cues in
    unspaced scripts by one regex (run only on text that has such characters); the few other
    cues (``*`` prefixes such as "datenschutz*", symbols such as "©") by substring search."""

    def __init__(self, cues: dict[str, list[tuple[str, float]]]):
        merged: dict[str, tuple[float, bool]] = {}
        for items in cues.values():
            for phrase, w in items:
                star = phrase.startswith("*") or phrase.endswith("*")
                key = phrase.strip("*").lower()
                if key in merged:
                    w = max(w, merged[key][0])
                    star = star or merged[key][1]
                merged[key] = (w, star)
        self._index: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        cjk: dict[str, float] = {}
        self._other: dict[str, float] = {}
        for key, (w, star) in merged.items():
            words = _normalise_words(key)
            plain = all(ch.isalnum() or ch.isspace() or ch in "-'’.&" for ch in key)
            if any(_is_unspaced_cp(ord(ch)) for ch in key):
                cjk[key] = w
            elif star or not plain or not words:
                self._other[key] = w
            else:
                self._index.setdefault(words[0], []).append((tuple(words), w))
        for v in self._index.values():
            v.sort(key=lambda x: -len(x[0]))
        # hashed index: first-token hash -> [(token hashes of the phrase, weight)]
        self._hindex: dict[int, list[tuple[tuple[int, ...], float]]] = {}
        for first, phrases in self._index.items():
            self._hindex[_str_hash(first)] = [(tuple(_str_hash(w) for w in words), w8) for words, w8 in phrases]
        self._first_hashes = np.array(sorted(self._hindex), dtype=np.uint64)
        self._first_filter = _hash_filter(self._first_hashes)
        self._max_words = max((len(p) for v in self._hindex.values() for p, _ in v), default=1)
        # the same index flat, for _match_phrases: phrases phr_lo[f]..phr_lo[f + 1] - 1 start with the
        # token hash first_hashes[f] (in the order of _hindex), phrase p has phr_len[p] tokens
        # phr_tok[p, :phr_len[p]] and weight phr_w[p]
        W = self._max_words
        phrases = [(words, w8) for h in self._first_hashes.tolist() for words, w8 in self._hindex[h]]
        self._phr_lo = np.cumsum([0] + [len(self._hindex[h]) for h in self._first_hashes.tolist()], dtype=np.int64)
        self._phr_len = np.array([len(words) for words, _ in phrases], dtype=np.int64)
        self._phr_tok = np.array([words + (0,) * (W - len(words)) for words, _ in phrases],
                                 dtype=np.uint64).reshape(len(phrases), W)
        self._phr_w = [w8 for _, w8 in phrases]
        self._cjk = cjk
        cjk_keys = sorted(cjk, key=len, reverse=True)
        self._cjk_rx = (re.compile("|".join(re.escape(k) for k in cjk_keys))
                        if cjk else None)           # (an empty alternation would match everywhere)
        # the same matches as the regex (leftmost, then longest: its alternatives run longest first),
        # about 4x faster on CJK text; the regex stays for text with lone surrogates
        self._cjk_keys = tuple(cjk_keys)            # (the automaton does not pickle: built on use, cached)
        self._cjk_weights = [cjk[k] for k in cjk_keys]

    def hits(self, lower: str, tokh: np.ndarray, tok_pos: np.ndarray, tok_end: np.ndarray,
             has_unspaced: bool) -> list[tuple[int, int, float]]:
        """(start, end, weight) of every cue found in ``lower`` (the lower-cased text) whose
        normalised tokens have hashes ``tokh`` (see ``_token_hashes``) and spans tok_pos..tok_end."""
        return self.hits_batch([lower], tokh, tok_pos, tok_end, [0], [tokh.size], [0], [has_unspaced])[0]

    def hits_batch(self, lowers: list[str], tokh: np.ndarray, tok_pos: np.ndarray, tok_end: np.ndarray,
                   tok_lo: list[int], tok_hi: list[int], starts, has_unspaced: list[bool],
                   present: list[int] | None = None) -> list[list]:
        """``hits`` of several documents joined into one text: ``lowers`` their lower-cased texts,
        ``tokh`` / ``tok_pos`` / ``tok_end`` the token hashes and spans of the joined text, document
        j holding tokens tok_lo[j]..tok_hi[j] and starting at ``starts[j]``. One list of hits per
        document, in its own positions and in the order ``hits`` gives them. ``present``, when
        known: per document, bit k set where the k-th substring cue is in its text."""
        out: list[list] = [[] for _ in lowers]
        if tokh.size:
            cand = _find_hashes_in(self._first_hashes, self._first_filter, tokh, _ZERO1, np.array([tokh.size]))
            if cand.size:
                tok_hi = np.asarray(tok_hi)
                doc = np.searchsorted(tok_hi, cand, side="right")
                hit = _match_phrases(cand, np.searchsorted(self._first_hashes, tokh[cand]), tok_hi[doc], tokh,
                                     self._phr_lo, self._phr_len, self._phr_tok)
                ok = hit >= 0
                cand, hit, doc = cand[ok], hit[ok], doc[ok]
                o = np.asarray(starts)[doc]
                weights = self._phr_w
                for d, a, b, p in zip(doc.tolist(), (tok_pos[cand] - o).tolist(),
                                      (tok_end[cand + self._phr_len[hit] - 1] - o).tolist(), hit.tolist()):
                    out[d].append((a, b, weights[p]))
        if not self._other and not (self._cjk_rx is not None and any(has_unspaced)):
            return out
        cjk_ac = _leftmost_longest(self._cjk_keys) if self._cjk_keys and any(has_unspaced) else None
        for d, lower in enumerate(lowers):
            for k, (key, w) in enumerate(self._other.items()):
                if (present[d] >> k & 1) if present is not None else key in lower:
                    i = lower.find(key)
                    while i >= 0:
                        if i == 0 or not (lower[i - 1].isalnum() and key[0].isalnum()):
                            out[d].append((i, i + len(key), w))
                        i = lower.find(key, i + len(key))
            if has_unspaced[d] and self._cjk_rx is not None:
                try:
                    found = cjk_ac.find_matches_as_indexes(lower)
                except UnicodeEncodeError:            # lone surrogates: the regex
                    cjk = self._cjk
                    out[d] += [(m.start(), m.end(), cjk[m.group()]) for m in self._cjk_rx.finditer(lower)]
                else:
                    weights = self._cjk_weights
                    out[d] += [(a, b, weights[k]) for k, a, b in found]
        return out


def _match_phrases(cand: np.ndarray, first: np.ndarray, cand_hi: np.ndarray, tokh: np.ndarray,
                   phr_lo: np.ndarray, phr_len: np.ndarray, phr_tok: np.ndarray) -> np.ndarray:
    """For each candidate token cand[c] (whose hash is the ``first[c]``-th first-token hash of a
    cue matcher, and whose document's tokens end before cand_hi[c]): the first phrase p of
    phr_lo[f]..phr_lo[f + 1] - 1 whose tokens phr_tok[p, :phr_len[p]] are the hashes ``tokh`` from
    cand[c] on (a one-token phrase matches as it stands), or -1 (int64 array)."""
    out = np.full(cand.size, -1, dtype=np.int64)
    W = phr_tok.shape[1]
    win = tokh[np.minimum(cand[:, None] + np.arange(W), tokh.size - 1)].tolist()
    lo, plen, ptok = phr_lo.tolist(), phr_len.tolist(), phr_tok.tolist()
    for c, (i, f, hi) in enumerate(zip(cand.tolist(), first.tolist(), cand_hi.tolist())):
        th = win[c]
        for p in range(lo[f], lo[f + 1]):
            k = plen[p]
            if k == 1 or (i + k <= hi and th[:k] == ptok[p][:k]):
                out[c] = p
                break
    return out


@lru_cache(maxsize=8)
def _leftmost_longest(keys: tuple[str, ...]):
    """An Aho-Corasick automaton of ``keys`` whose non-overlapping matches (as indexes into
    ``keys``) are those of the regex alternation of ``keys`` longest first."""
    import ahocorasick_rs
    return ahocorasick_rs.AhoCorasick(keys, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)


def _normalise_words(s: str) -> list[str]:
    """Lower case, every character that is not a letter, digit or mark becomes a space, split."""
    return "".join(ch if (unicodedata.category(ch)[0] in "LMN") else " " for ch in s.lower()).split()


# Chinese function characters: the grammatical particles, pronouns, auxiliaries and conjunctions
# among the package's single-character zh stop words (numerals, time and content words left out).
_ZH_FUNCTION = frozenset("的了是在和与及也就都而且或着过被把从对向以之其这那我你他她它们不没很还又吗呢吧啊所但如因为于将该此些么"
                         "什怎谁哪个等由给让并即则若虽却已还更最")


class QualityScorer:
    """Holds the resources (stop words, boilerplate cue matcher, per-language tables, filled lazily);
    ``score`` is a pure function of its arguments. Picklable; build one per worker (Beam ``setup``)."""

    def __init__(self, config: QualityConfig = DEFAULT):
        self.config = config
        self.stop = StopWords()
        self.cues = _CueMatcher(CUES)
        self.spam = _CueMatcher(spam_cue_table())
        self._scan_keys = _key_table(tuple(self.cues._other) + _FLAG_KEYS)
        self._weights = dict(config.rule_weights)
        self._func_tables: dict[str, np.ndarray | None] = {}
        self._thai_re: dict[str, re.Pattern | None] = {}
        self._stop_h: dict[str, np.ndarray] = {}
        self._infos: dict[str, _LangInfo] = {}
        _class_table()
        _cp1252_cont_table()

    # -- language resources -------------------------------------------------------------------
    def _func_table(self, lang: str) -> np.ndarray | None:
        code = self.stop.canonical(lang)
        if code not in self._func_tables:
            chars = self.stop.chars(code)
            if chars is None:
                self._func_tables[code] = None
            else:
                if code == "zh":
                    chars = frozenset(c for c in chars if c in _ZH_FUNCTION)
                t = np.zeros(0x10000, dtype=bool)
                for c in chars:
                    if ord(c) < 0x10000:
                        t[ord(c)] = True
                t.setflags(write=False)
                self._func_tables[code] = t
        return self._func_tables[code]

    def _stop_hashes(self, lang: str) -> np.ndarray:
        """Sorted token hashes of the language's stop words."""
        code = self.stop.canonical(lang)
        if code not in self._stop_h:
            words = self.stop.words(code) or ()
            arr = np.array(sorted({_str_hash(w) for w in words} or {0}), dtype=np.uint64)
            arr.setflags(write=False)
            self._stop_h[code] = arr
        return self._stop_h[code]

    def _stop_floor(self, lang: str, mode: str | None) -> float:
        """Floor of the sentence stop-word factor: 0.5 with a list of 100 words or more (their
        absence from a long sentence is telling), 0.8 with a shorter list, 0.5 for function characters."""
        if mode == "words":
            return 0.5 if self._stop_hashes(lang).size >= 100 else 0.8
        return 0.5 if mode else 1.0

    def _substring_re(self, lang: str) -> re.Pattern | None:
        code = self.stop.canonical(lang)
        if code not in self._thai_re:
            words = self.stop.words(code)
            self._thai_re[code] = (re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
                                   if words else None)
        return self._thai_re[code]

    # -- main entry -----------------------------------------------------------------------------
    def score(self, text: str, lang: str | None, paragraphs: list[tuple[int, int]] | None = None, *,
              repeat_counts: dict[int, int] | None = None, model_score: float | None = None,
              count: Count = None, timings: dict | None = None) -> DocQuality:
        """Score ``text`` in language ``lang``. ``paragraphs`` (sorted, disjoint (start, end) pairs
        or dicts with start / end) default to ``paragraph_spans(text)``;
        ``repeat_counts`` maps a paragraph index to the number of documents of the corpus that
        hold that paragraph (from dedup); ``model_score`` in [0, 1] enters with ``model_weight``.
        ``count(name, n)`` receives counters; ``timings`` (a dict) accumulates seconds per
        group of ``TIMING_GROUPS``. The same as ``score_batch`` on a batch of one."""
        return self.score_batch([text], [lang], [paragraphs], repeat_counts=[repeat_counts],
                                model_scores=[model_score], count=count, timings=timings)[0]

    def score_batch(self, texts: list[str], langs: list[str | None], paragraphs_list: list | None = None, *,
                    repeat_counts: list | None = None, model_scores: list | None = None, count: Count = None,
                    timings: dict | None = None) -> list[DocQuality]:
        """Score a batch of documents: the i-th ``DocQuality`` is what ``score(texts[i], langs[i],
        paragraphs_list[i], repeat_counts=repeat_counts[i], model_score=model_scores[i])`` gives
        (each list optional, None entries allowed), bit for bit. The per-character work runs
        once over the batch's texts joined by spaces (in chunks of about ``_CHUNK_CHARS``
        characters), so the fixed cost per document is mostly the document rules in Python."""
        clock = time.thread_time if timings is not None else None
        t0 = clock() if clock else 0.0

        def lap(group: str) -> None:
            nonlocal t0
            if clock:
                t1 = clock()
                timings[group] = timings.get(group, 0.0) + (t1 - t0)
                t0 = t1

        out: list = [None] * len(texts)
        live: list[_Doc] = []
        for i, text in enumerate(texts):
            lang = langs[i] or "und"
            info = self._lang_info(lang)
            paragraphs = paragraphs_list[i] if paragraphs_list is not None else None
            if paragraphs is None:
                paras = paragraph_spans(text)
            else:
                paras = [(p["start"], p["end"]) if isinstance(p, dict) else (int(p[0]), int(p[1]))
                         for p in paragraphs]
            sents = sentence_spans(text, lang, paras) if paras else []
            model_score = model_scores[i] if model_scores is not None else None
            if not sents:
                out[i] = self._empty(text, info.rules.unspaced, model_score, count, timings)
                continue
            live.append(_Doc(i, text, lang, info, array("q", chain.from_iterable(paras)),
                             array("q", chain.from_iterable(sents)),
                             (repeat_counts[i] if repeat_counts is not None else None) or {}, model_score))
        lap("segment")
        a = 0
        while a < len(live):
            b, size = a, 0
            while b < len(live) and (b == a or size + len(live[b].text) <= _CHUNK_CHARS):
                size += len(live[b].text) + 1
                b += 1
            for d, q in zip(live[a:b], self._score_chunk(live[a:b], count, lap)):
                out[d.index] = q
            a = b
        return out

    def _lang_info(self, lang: str) -> _LangInfo:
        """Rules, stop-word mode and tables, sentence factor coefficients of ``lang`` (cached)."""
        info = self._infos.get(lang)
        if info is None:
            rules = self.config.rules_for(lang)
            mode = self.stop.mode(lang)
            stop_floor = self._stop_floor(lang, mode)
            stop_h = self._stop_hashes(lang) if mode == "words" else None
            info = _LangInfo(
                rules, mode, _MODE_CODES[mode], stop_h, _hash_filter(stop_h) if stop_h is not None else None,
                self._func_table(lang) if mode == "chars" else None,
                self._substring_re(lang) if mode == "substrings" else None,
                (max(2, rules.sentence_full_words), stop_floor))
            self._infos[lang] = info
        return info

    def _score_chunk(self, docs: list[_Doc], count: Count, lap) -> list[DocQuality]:
        """DocQuality of each of ``docs`` (all with sentences): one numpy pass over their texts
        joined by a space (a space breaks every token and run and is no terminal or closer, so
        every per-character mark of a document is what it would be alone), then the rules per
        document."""
        cfg = self.config
        D = len(docs)
        texts = [d.text for d in docs]
        lens = [len(t) for t in texts]
        n_arr = np.array(lens, dtype=np.int64)
        starts = np.zeros(D, dtype=np.int64)
        np.cumsum(n_arr[:-1] + 1, out=starts[1:])
        ends = starts + n_arr
        joined = " ".join(texts)

        # ---- character classes, cumulated (one row per class / mark, columns = positions) ----
        lowers = []
        lcp_parts = []
        for t, n in zip(texts, lens):
            low = t.lower()
            if len(low) != n:                       # only U+0130 lower-cases to two code points
                low = t.replace("\u0130", "i").lower()
            lowers.append(low)
            lcp_parts.append(low if len(low) == n else (low + " " * n)[:n])
        k_arr = np.array([len(d.sents) // 2 for d in docs], dtype=np.int64)
        m_arr = np.array([len(d.paras) // 2 for d in docs], dtype=np.int64)
        s_off = np.zeros(D + 1, dtype=np.int64)
        np.cumsum(k_arr, out=s_off[1:])
        p_off = np.zeros(D + 1, dtype=np.int64)
        np.cumsum(m_arr, out=p_off[1:])
        K, P = int(s_off[-1]), int(p_off[-1])
        s_loc = np.frombuffer(b"".join([d.sents for d in docs]), dtype=np.int64).reshape(K, 2)
        p_loc = np.frombuffer(b"".join([d.paras for d in docs]), dtype=np.int64).reshape(P, 2)
        s_arr = s_loc + np.repeat(starts, k_arr)[:, None]      # positions in the joined text
        p_arr = p_loc + np.repeat(starts, m_arr)[:, None]
        # the cumulated counts are read only at document, sentence and paragraph bounds
        sp_arr = np.concatenate((s_arr, p_arr))
        bounds = np.concatenate((starts, ends, sp_arr.ravel()))
        bounds.sort()
        bounds = bounds[np.concatenate((_TRUE1, bounds[1:] != bounds[:-1]))]   # (np.unique is slower)
        # C[:, i]: counts of positions 0 .. bounds[i] - 1; normalised tokens (lower case, punctuation
        # and symbols as breaks) and their hashes
        C, tok_pos, tok_end, tokh, cp = _char_pass(joined, lcp_parts, bounds, _class_table(),
                                                   _cp1252_cont_table().view(np.uint8))
        tok_lo = np.searchsorted(tok_pos, starts)
        tok_hi = np.searchsorted(tok_pos, ends)
        tlo, thi = tok_lo.tolist(), tok_hi.tolist()
        infos = [d.info for d in docs]
        stop_group: dict[int, int] = {}             # stop-word list -> its index in stop_lists
        stop_lists = []
        stop_of = np.full(D, -1, dtype=np.int64)
        func_pos = []
        for j, info in enumerate(infos):
            if info.mode == "words":
                g = stop_group.get(id(info.stop_h))
                if g is None:
                    g = stop_group[id(info.stop_h)] = len(stop_lists)
                    stop_lists.append((info.stop_h, info.stop_filter))
                stop_of[j] = g
            elif info.mode == "chars":
                x, y = int(starts[j]), int(ends[j])
                func_pos.append(np.flatnonzero(info.func_table[np.minimum(cp[x:y], 0xFFFF)]) + x)
        if func_pos:
            C[R_FUNC] = np.searchsorted(np.concatenate(func_pos), bounds)
        if stop_lists:
            stop_idx = _find_hashes_groups(stop_lists, stop_of, tokh, tok_lo, tok_hi)
            C[R_STOP] = np.searchsorted(tok_pos[stop_idx], bounds)
        totals = (C[:, np.searchsorted(bounds, ends)] - C[:, np.searchsorted(bounds, starts)]).T.tolist()
        lap("char_classes")

        # ---- sentences ----------------------------------------------------------------------
        G = C[:_N_ROWS, np.searchsorted(bounds, sp_arr)]       # (rows, K + P, 2)
        counts = (G[:, :, 1] - G[:, :, 0]).astype(np.float64)
        sc, pc = counts[:, :K], counts[:, K:]
        ss, se = s_arr[:, 0], s_arr[:, 1]
        ps, pe = p_arr[:, 0], p_arr[:, 1]
        s_len = (se - ss).astype(np.float64)
        p_len = (pe - ps).astype(np.float64)
        s_par = np.searchsorted(ps, ss, side="right") - 1
        s_x, s_y = s_loc[:, 0].tolist(), s_loc[:, 1].tolist()      # positions in each document
        p_x, p_y = p_loc[:, 0].tolist(), p_loc[:, 1].tolist()
        k_l, m_l = k_arr.tolist(), m_arr.tolist()
        s_doc = np.repeat(np.arange(D), k_arr)
        p_doc = np.repeat(np.arange(D), m_arr)
        unsp_doc = np.array([i.rules.unspaced for i in infos])
        any_unsp = bool(unsp_doc.any())
        s_words = _units_mixed(sc, unsp_doc[s_doc] if any_unsp else None)
        mode_doc = np.array([i.mode_code for i in infos], dtype=np.int8)
        modes = set(mode_doc.tolist())
        if modes == {_WORDS}:
            sw_counts, tok_counts = sc[R_STOP], sc[R_TOK]
            s_mode = None
        else:
            s_mode = mode_doc[s_doc]
            sw_counts = np.where(s_mode == _WORDS, sc[R_STOP], 0.0)
            tok_counts = sc[R_TOK]
            if _CHARS in modes:
                ch = s_mode == _CHARS
                sw_counts = np.where(ch, sc[R_FUNC], sw_counts)
                tok_counts = np.where(ch, sc[R_UNSPACED], tok_counts)
            if _SUBSTRINGS in modes:
                tok_counts = np.where(s_mode == _SUBSTRINGS, np.maximum(s_words, 1.0), tok_counts)
                for j, d in enumerate(docs):
                    rx = d.info.substring_re
                    if d.info.mode_code == _SUBSTRINGS and rx is not None:
                        low = lowers[j]
                        a = int(s_off[j])
                        for i, (x, y) in enumerate(s_loc[a:int(s_off[j + 1])].tolist()):
                            sw_counts[a + i] = len(rx.findall(low, x, y))
        url_spans_l, email_counts, links = [], [], []
        link_urls = []
        for j, t in enumerate(texts):
            u = _find_urls(t) if "." in t else []
            e = _find_emails(t) if "@" in t else []
            url_spans_l.append(u)
            email_counts.append(len(e))
            if u or e:
                o = int(starts[j])
                links += [(x + o, y + o) for x, y in (sorted(u + e) if e else u)]
                link_urls += [(x + o, y + o) for x, y in u]
        s_url = _bucket(links, ss, se) if links else np.zeros(K)
        has_unsp = [bool(t[R_UNSPACED]) for t in totals]
        n_other = len(self.cues._other)
        present = [_keys_in(low, self._scan_keys) for low in lowers]
        hits_l = self.cues.hits_batch(lowers, tokh, tok_pos, tok_end, tlo, thi, starts, has_unsp, present)
        spam_l = self.spam.hits_batch(lowers, tokh, tok_pos, tok_end, tlo, thi, starts, [False] * D)
        g_hits = []
        for j, h in enumerate(hits_l):
            if h:
                o = int(starts[j])
                g_hits += [(x + o, y + o, w) for x, y, w in h]
        s_bp = _bucket_weights(g_hits, ss, se) if g_hits else np.zeros(K)
        s_terminal = _terminal_at(cp, se)
        s_score, s_code = self._sentence_scores_batch(sc, s_len, s_words, sw_counts, tok_counts, s_mode, s_url,
                                                      s_bp, s_terminal, infos, s_doc)
        lap("sentences")

        # ---- paragraphs ---------------------------------------------------------------------
        p_words = _units_mixed(pc, unsp_doc[p_doc] if any_unsp else None)
        weighted = np.bincount(s_par, weights=s_score * s_len, minlength=P)
        covered = np.bincount(s_par, weights=s_len, minlength=P)
        p_base = weighted / np.maximum(covered, 1.0)
        occ_arr = _span_repeats(joined, np.ascontiguousarray(ps), np.ascontiguousarray(pe), p_off)
        occ = occ_arr.tolist()
        repeated = occ_arr > 0
        cum = np.zeros((2, P + 1), dtype=np.int64)
        np.cumsum(repeated, out=cum[0, 1:])
        np.cumsum((pe - ps) * repeated, out=cum[1, 1:])
        dups = (cum[:, p_off[1:]] - cum[:, p_off[:-1]]).T.tolist()    # per document: repeated lines, characters
        flags_doc = []
        seps = pc[R_SEP]
        for j, d in enumerate(docs):
            a, b = int(p_off[j]), int(p_off[j + 1])
            text = d.text
            bits = present[j] >> n_other          # (lower case keeps "{" and " / ")
            flags_doc.append((bool(bits & _CURLY_BIT), bool(bits & _LOREM_BITS), bool(bits & _JS_BIT),
                              bool(bits & _POLICY_BITS)))
            if bits & _SLASH_BIT:
                if seps is pc[R_SEP]:
                    seps = seps.copy()
                seps[a:b] += np.array([text.count(" / ", x, y) for x, y in zip(p_x[a:b], p_y[a:b])])
        p_terminal = _terminal_at(cp, pe)
        nav = (seps >= 2) & (p_words <= 4.0 * (seps + 1))
        min_line_words = np.array([i.rules.c4_min_line_words for i in infos])
        p_short = p_words < (min_line_words[p_doc] if len(set(min_line_words.tolist())) > 1 else min_line_words[0])
        p_urlish = (_bucket(link_urls, ps, pe) > 0.5 * p_len) if link_urls else np.zeros(P, dtype=bool)
        p_c4_keep = p_terminal & ~p_short
        # boilerplate cue weight of the whole line, scaled by its length as for sentences
        p_bp_eff = np.bincount(s_par, weights=s_bp, minlength=P) * np.minimum(
            cfg.boilerplate_ref_words / np.maximum(p_words, 1.0), 1.0)
        p_bp = (p_bp_eff >= 0.5) | (np.bincount(s_par, weights=(s_bp > 0) * s_len, minlength=P) > 0.5 * p_len)
        fac = (1.0 - 0.75 * nav) * (1.0 - 0.15 * ~p_terminal) * (1.0 - 0.3 * p_short) * (1.0 - 0.5 * p_urlish) \
            * np.maximum(1.0 - p_bp_eff, 0.05)
        p_code = nav * 1 + (~p_terminal) * 2 + p_short * 4 + p_urlish * 8 + p_bp * 16
        line_stats = []
        extra = None
        for j, d in enumerate(docs):
            has_curly, lorem_doc, has_js, policy_any = flags_doc[j]
            js_lines = pol_lines = 0
            rep = d.repeat_counts
            rep_chars = 0.0
            if has_js or policy_any or lorem_doc or has_curly or dups[j][0] or rep:
                if extra is None:
                    extra = [0] * P
                a, b = int(p_off[j]), int(p_off[j + 1])
                low_doc = lowers[j]
                xs, ys = p_x[a:b], p_y[a:b]
                js_in = _lines_with(low_doc, ("javascript",), xs, ys) if has_js else _EMPTY
                pol_in = _lines_with(low_doc, C4_POLICY, xs, ys) if policy_any else _EMPTY
                lorem_in = _lines_with(low_doc, LOREM, xs, ys) if lorem_doc else _EMPTY
                curly_in = _lines_with(d.text, ("{",), xs, ys) if has_curly else _EMPTY
                lines = js_in | pol_in | lorem_in | curly_in
                if dups[j][0]:
                    lines = lines | {i - a for i in range(a, b) if occ[i]}
                if rep:
                    lines = lines | {i for i in rep if 0 <= i < b - a}
                for li in sorted(lines):
                    i = a + li
                    f = 1.0
                    e = 0
                    if li in js_in:
                        f *= 0.3
                        e |= 32
                        js_lines += 1
                        p_c4_keep[i] = False
                    if li in pol_in:
                        f *= 0.5
                        e |= 64
                        pol_lines += 1
                        p_c4_keep[i] = False
                    if li in lorem_in:
                        f *= 0.1
                        e |= 128
                    if li in curly_in:
                        f *= 0.6
                        e |= 256
                    if occ[i]:
                        f *= 0.3
                        e |= 512
                    c = rep.get(li, 0)
                    if c >= cfg.repeat_min_count:
                        f *= max(0.1, 1.0 / (1.0 + 0.5 * math.log2(c / max(1, cfg.repeat_min_count - 1))))
                        e |= 1024
                        rep_chars += p_len[i]
                    if e:
                        fac[i] *= f
                        extra[i] = e
            line_stats.append((js_lines, pol_lines, rep_chars))
        if extra is not None:
            p_code = p_code + np.array(extra)
        p_score = np.minimum(p_base * fac, 1.0)
        lap("paragraphs")

        # ---- per-document sums (of integer-valued arrays, so exact in any order) ----------------
        p_first = p_off[:-1]
        s_first = s_off[:-1]
        last_cp = cp[pe - 1]
        bullet = np.isin(cp[ps], _BULLET_CPS)
        ellipsis = (last_cp == 0x2026) | ((p_len >= 3) & (last_cp == 46) & (cp[pe - 2] == 46) & (cp[pe - 3] == 46))
        short_chars = np.array([i.rules.fw_short_line_chars for i in infos])
        p_short_chars = p_len <= (short_chars[p_doc] if len(set(short_chars.tolist())) > 1 else short_chars[0])
        p_below = p_score < cfg.paragraph_cut
        per_p = np.stack((p_len, bullet, ellipsis, p_terminal, p_c4_keep, p_short_chars, p_len * p_bp, p_below,
                          p_len * p_below, nav))
        p_sums = np.add.reduceat(per_p, p_first, axis=1).T.tolist()
        s_below = s_score < cfg.sentence_cut
        per_s = np.stack((sw_counts, tok_counts, p_c4_keep[s_par], s_len, s_below, s_len * s_below))
        s_sums = np.add.reduceat(per_s, s_first, axis=1).T.tolist()
        units_l, line_chars_l, failed_l = [], [], []
        for j, d in enumerate(docs):
            total = totals[j]
            w, u = float(total[R_WSTART]), float(total[R_UNSPACED])
            units_l.append(int(round(u + max(w - 1.0, 0.0) if d.info.rules.unspaced and u > 0 else w)))
            line_chars_l.append(max(1, int(p_sums[j][0])))
            failed_l.append([])

        # ---- document rules, one family at a time: (signals, failed rules) each ----------------
        gq_l = []
        for j, d in enumerate(docs):
            ps_j, ss_j = p_sums[j], s_sums[j]
            gq, f = _gopher_quality(lens[j], totals[j], thi[j] - tlo[j], totals[j][R_ALPHA], ps_j[1], ps_j[2],
                                    m_l[j], units_l[j], ss_j[0], ss_j[1], d.info.mode, d.info.rules)
            gq_l.append(gq)
            failed_l[j] += f
        lap("gopher_quality")
        # n-gram fractions over the white-space tokens of spaced documents and the word characters
        # of unspaced ones, per n-gram scale: one call per group of documents
        tok_csum = np.zeros(tok_pos.size + 1, dtype=np.int64)
        np.cumsum(tok_end - tok_pos, out=tok_csum[1:])
        spaced: dict[int, list[int]] = {}
        unspaced: dict[int, list[int]] = {}
        for j, d in enumerate(docs):
            (unspaced if d.info.rules.unspaced else spaced).setdefault(d.info.rules.ngram_scale, []).append(j)
        fractions: dict[int, list[float]] = {}
        for scale, js in spaced.items():
            rows = _ngram_fractions_ranges(tokh, tok_csum, tok_lo[js], tok_hi[js], scale)
            fractions.update(zip(js, rows.tolist()))
        for scale, js in unspaced.items():
            parts = []
            for j in js:
                c = cp[int(starts[j]):int(ends[j])]
                parts.append(c[(_classes(c) & _BREAK_BITS) == 0])
            sizes = np.array([q.size for q in parts], dtype=np.int64)
            his = np.cumsum(sizes)
            ids = np.concatenate(parts).astype(np.uint64)       # (each character weighs one)
            rows = _ngram_fractions_ranges(ids, np.arange(ids.size + 1, dtype=np.int64), his - sizes, his, scale)
            fractions.update(zip(js, rows.tolist()))
        blocks = _block_stats(joined, starts, ends).tolist()
        gr_l = []
        for j, d in enumerate(docs):
            gr, f = _gopher_repetition(line_chars_l[j], m_l[j], *dups[j], blocks[j], d.info.rules, fractions[j])
            gr_l.append(gr)
            failed_l[j] += f
        lap("gopher_repetition")
        c4_l = []
        for j, d in enumerate(docs):
            has_curly, lorem_doc, _, _ = flags_doc[j]
            js_lines, pol_lines, _ = line_stats[j]
            c4, f = _c4(p_sums[j][4], p_sums[j][3], s_sums[j][2], m_l[j], lorem_doc, has_curly, js_lines,
                        pol_lines, d.info.rules)
            c4_l.append(c4)
            failed_l[j] += f
        lap("c4")
        fw_l = []
        for j, d in enumerate(docs):
            fw, f = _fineweb(totals[j][R_NEWLINE], p_sums[j][5], m_l[j], lens[j], units_l[j], dups[j][1],
                             c4_l[j]["c4_terminal_line_frac"], d.info.rules)
            fw_l.append(fw)
            failed_l[j] += f
        lap("fineweb")

        # ---- combine ------------------------------------------------------------------------
        results = []
        tiers = {"high": 0, "medium": 0, "low": 0}
        rule_counts: dict[str, int] = {}
        n_s_below_all = n_p_below_all = 0
        s_scores = s_score.tolist()
        s_codes = s_code.tolist()
        p_scores = p_score.tolist()
        p_codes = p_code.tolist()
        # the chunk's output spans, each document taking its next k (m) of them
        s_rows = zip(s_x, s_y, s_scores, map(_S_FLAG_SETS.__getitem__, s_codes))
        p_rows = zip(p_x, p_y, p_scores, map(_P_FLAG_SETS.__getitem__, p_codes))
        weights = self._weights
        for j, d in enumerate(docs):
            rules = d.info.rules
            n, total, units, line_chars, failed = lens[j], totals[j], units_l[j], line_chars_l[j], failed_l[j]
            k, m = k_l[j], m_l[j]
            sa, pa = int(s_first[j]), int(p_first[j])
            sb, pb = sa + k, pa + m
            ps_j, ss_j = p_sums[j], s_sums[j]
            n_fffd, non_ascii, latin_pair, cjk, indic = total[R_FFFD:R_INDIC + 1]
            # mojibake_chars finds more than the U+FFFD only in text with CJK characters or a Latin-1
            # lead followed by a continuation character
            moji = mojibake_chars(d.text) if non_ascii and (latin_pair or cjk) else n_fffd
            content_signals, f = _content_rules(d.text, lowers[j], n, url_spans_l[j], email_counts[j], len(hits_l[j]),
                                                spam_l[j], ps_j[6], line_chars, has_unsp[j] or indic > 0, moji,
                                                self.config)
            failed += f
            nonspace_chars = max(1, n - total[R_SPACE])
            s_total_len = max(1.0, ss_j[3])
            # dot products of fresh copies, as for a document scored alone (BLAS order)
            content = float(p_score[pa:pb].copy() @ p_len[pa:pb].copy()) / line_chars
            size = min(1.0, math.log1p(units) / math.log1p(rules.full_words))
            sent_f = min(1.0, 0.4 + 0.2 * k)
            soft = content * (cfg.size_floor + (1 - cfg.size_floor) * size) * sent_f
            penalty = 1.0
            for r in failed:
                penalty *= 1.0 - weights.get(r, 0.0)
            heuristic = soft * penalty
            score = heuristic
            model_score = d.model_score
            if model_score is not None:
                score = (1 - cfg.model_weight) * heuristic + cfg.model_weight * float(model_score)
            score = min(1.0, max(0.0, score))
            tier = "high" if score >= cfg.tier_high else "medium" if score >= cfg.tier_medium else "low"
            n_s_below = int(ss_j[4])
            n_p_below = int(ps_j[7])
            signals = {
                "n_chars": n, "n_words": units, "n_lines": m, "n_sentences": k, "unspaced": rules.unspaced,
                "letter_frac": total[R_LETTER] / nonspace_chars, "digit_frac": total[R_DIGIT] / nonspace_chars,
                "upper_frac": total[R_UPPER] / max(1, total[R_LETTER]),
                "symbol_frac": total[R_SYMBOL] / nonspace_chars, "punct_frac": total[R_PUNCT] / nonspace_chars,
                "repeated_char_frac": total[R_RUN] / nonspace_chars,
                **gq_l[j], **gr_l[j], **c4_l[j], **fw_l[j], **content_signals,
                "nav_line_frac": int(ps_j[9]) / m, "global_repeat_char_frac": float(line_stats[j][2]) / line_chars,
                "sentence_score_mean": float(s_score[sa:sb].copy() @ s_len[sa:sb].copy()) / s_total_len,
                "sentence_below_cut_frac": ss_j[5] / s_total_len if n_s_below else 0.0,
                "paragraph_score_mean": content,
                "paragraph_below_cut_frac": ps_j[8] / line_chars if n_p_below else 0.0,
                "content_score": content, "size_factor": float(size), "heuristic_score": float(heuristic),
                "model_score": float("nan") if model_score is None else float(model_score),
                "n_failed_rules": len(failed),
            }
            signals = dict(zip(SIGNAL_NAMES, _SIGNALS_IN_ORDER(signals)))   # the column order of SIGNAL_TYPES
            sent_out = [{"start": x, "end": y, "score": v, "flags": f} for x, y, v, f in islice(s_rows, k)]
            para_out = [{"start": x, "end": y, "score": v, "flags": f} for x, y, v, f in islice(p_rows, m)]
            tiers[tier] += 1
            for r in failed:
                rule_counts[r] = rule_counts.get(r, 0) + 1
            n_s_below_all += n_s_below
            n_p_below_all += n_p_below
            results.append(DocQuality(signals, score, tier, failed, para_out, sent_out))
        if count is not None:                       # the chunk's totals, one call per counter
            count("docs", D)
            for tier, c in tiers.items():
                if c:
                    count(f"tier.{tier}", c)
            count("sentences", K)
            count("paragraphs", P)
            count("sentences_below_cut", n_s_below_all)
            count("paragraphs_below_cut", n_p_below_all)
            for r, c in rule_counts.items():
                count(f"rule.{r}", c)
        lap("combine")
        return results

    def _sentence_scores_batch(self, sc, s_len, s_words, sw_counts, tok_counts, s_mode, s_url, s_bp, terminal,
                               infos, s_doc):
        """Sentence scores and flag codes (bits of ``SENTENCE_FLAGS``) of a chunk; ``s_mode`` is
        the stop-word mode code per sentence (None: all "words"), ``infos`` the documents'
        ``_LangInfo`` and ``s_doc`` the document of each sentence. Every factor is
        f = clip(A x + B, LO, 1) of one row x of a stacked matrix, see ``_factor_coefs``."""
        k = s_len.size
        X = np.empty((11, k))
        np.divide(sc[_FRAC_ROWS], np.maximum(s_len - sc[R_SPACE], 1.0), out=X[:4])
        X[4] = s_words
        np.divide(sc[R_UPPER], np.maximum(sc[R_LETTER], 12.0), out=X[5])
        X[6] = terminal
        X[7] = sc[R_SEP]
        if s_mode is None:
            np.divide(sw_counts + 0.25, np.maximum(tok_counts, 1.0), out=X[8])
        else:
            pseudo = np.where(s_mode == _CHARS, 0.4, 0.25)
            X[8] = np.where(s_mode == _NONE, 1.0, (sw_counts + pseudo) / np.maximum(tok_counts, 1.0))
        np.divide(s_url, s_len, out=X[9])
        np.multiply(s_bp, np.minimum(self.config.boilerplate_ref_words / np.maximum(s_words, 1.0), 1.0), out=X[10])
        keys = [i.coef_key for i in infos]
        distinct = sorted(set(keys))
        if len(distinct) == 1:
            A, B, LO = _factor_coefs(*distinct[0])
        else:
            stacked = [_factor_coefs(*key) for key in distinct]
            col = np.array([distinct.index(key) for key in keys])[s_doc]
            A, B, LO = (np.concatenate([s[r] for s in stacked], axis=1)[:, col] for r in range(3))
        F = np.minimum(np.maximum(X * A + B, LO), 1.0)
        score = F.prod(axis=0)
        code = _FLAG_WEIGHTS @ (F < 1.0)
        return score, code

    def _empty(self, text, unspaced, model_score, count, timings) -> DocQuality:
        signals = {k: t() for k, t in SIGNAL_TYPES.items()}
        signals.update(n_chars=len(text), unspaced=unspaced, n_failed_rules=2,
                       model_score=float("nan") if model_score is None else float(model_score))
        score = 0.0 if model_score is None else self.config.model_weight * float(model_score)
        tier = "high" if score >= self.config.tier_high else "medium" if score >= self.config.tier_medium else "low"
        if count is not None:
            count("docs")
            count("empty")
            count(f"tier.{tier}")
        return DocQuality(signals, score, tier, ["gopher_word_count", "c4_min_sentences"], [], [])


class _LangInfo(NamedTuple):
    """What scoring needs of one language: rules, stop-word mode (and its code), the stop-word
    hashes (and their ``_hash_filter``) / function-character table / substring regex of that mode,
    sentence factor key."""
    rules: LangRules
    mode: str | None
    mode_code: int
    stop_h: np.ndarray | None
    stop_filter: np.ndarray | None
    func_table: np.ndarray | None
    substring_re: re.Pattern | None
    coef_key: tuple[int, float]


class _Doc(NamedTuple):
    """A document of a batch with sentences: its index in the batch, text, language and its
    ``_LangInfo``, paragraph and sentence spans (flat arrays), repeat counts and model score."""
    index: int
    text: str
    lang: str
    info: _LangInfo
    paras: array          # flat (start, end, start, end, ...) int64: no tuple per span to collect
    sents: array
    repeat_counts: dict
    model_score: float | None


_NONE, _WORDS, _CHARS, _SUBSTRINGS = range(4)      # stop-word modes
_MODE_CODES = {None: _NONE, "words": _WORDS, "chars": _CHARS, "substrings": _SUBSTRINGS}
_CHUNK_CHARS = 1 << 19    # characters per numpy pass of score_batch (bounds the count matrices' memory)


def _char_pass(joined: str, lowers: list[str], bounds: np.ndarray, table: np.ndarray, cont: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The per-character pass of ``_score_chunk`` over the text of a chunk, ``joined`` (``lowers``:
    its documents lower-cased, each as long as it was, so that they joined by spaces are as long as
    ``joined``; ``table``: ``_class_table()``, ``cont``: ``_cp1252_cont_table()`` as uint8):
    (C, tok_pos, tok_end, tokh, cp) with int32 C[r, i] the
    count of positions before ``bounds[i]`` (sorted, distinct, from 0 to ``cp.size``) marked in row r
    (the 8 class bits, the ``R_*`` marks after them; R_FUNC and R_STOP are left 0: they depend on
    the language), and the starts, ends and ``_token_hashes`` of the normalised tokens (runs of
    characters that are not space, punctuation or symbol), and the code points of ``joined``."""
    cp = _codepoints(joined)
    lcp = _codepoints(" ".join(lowers))
    if lcp.size != cp.size:
        raise ValueError("the lower-cased texts joined by spaces do not have the joined text's length")
    n_all = cp.size
    cls = _classes(cp, table)
    M = np.zeros((_N_ROWS_ALL, n_all), dtype=np.uint8)
    for b in range(8):                          # the 8 class bits, one row each (faster than unpackbits)
        np.right_shift(cls, b, out=M[b])
        np.bitwise_and(M[b], 1, out=M[b])
    Mb = M.view(bool)
    nonspace = ~Mb[R_SPACE]
    if n_all:
        Mb[R_WSTART, 0] = nonspace[0]
    np.greater(nonspace[1:], nonspace[:-1], out=Mb[R_WSTART, 1:])
    if n_all > 3:                               # 4th and later characters of a run of one character
        eq = cp[1:] == cp[:-1]
        np.logical_and(eq[:-2] & eq[1:-1], eq[2:], out=Mb[R_RUN, 3:])
        Mb[R_RUN] &= nonspace
    inword = (cls & _BREAK_BITS) == 0
    tok_pos = np.flatnonzero(np.diff(inword, prepend=False) & inword)
    tok_end = np.flatnonzero(inword > np.concatenate((inword[1:], _FALSE1))) + 1
    Mb[R_TOK, tok_pos] = True
    letters = np.flatnonzero(Mb[R_LETTER])      # (white space holds no letter)
    word = np.cumsum(Mb[R_WSTART])[letters]
    Mb[R_ALPHA, letters[np.concatenate((_TRUE1, word[1:] != word[:-1]))[: letters.size]]] = True
    non_ascii = np.flatnonzero(cp >= 0x80)
    cpn = cp[non_ascii]
    Mb[R_FFFD, non_ascii[cpn == 0xFFFD]] = True
    Mb[R_NON_ASCII, non_ascii] = True
    after = non_ascii[(cpn - 0xC2) <= 0x32] + 1
    after = after[after < n_all]
    Mb[R_LATIN_PAIR, after[cont[np.minimum(cp[after], 0xFFFF)] != 0] - 1] = True
    Mb[R_CJK, non_ascii[cpn >= 0x3400]] = True
    Mb[R_INDIC, non_ascii[(cpn - 0x900) <= 0x4FF]] = True
    np.equal(cp, 35, out=Mb[R_HASH])
    np.equal(cp, 0x2026, out=Mb[R_ELLIPSIS])
    np.equal(cp, 10, out=Mb[R_NEWLINE])
    dot = cp == 46
    at = np.arange(n_all)
    run = at - np.maximum.accumulate(np.where(dot, -1, at))      # length of the run of dots so far
    np.logical_and(dot, run % 3 == 0, out=Mb[R_DOTS])
    return _cumulated_at(M, bounds), tok_pos, tok_end, _token_hashes(lcp, tok_pos, tok_end), cp


def _cumulated_at(M: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Cumulated sums of the rows of ``M`` (uint8, rows x positions) at ``bounds`` only (sorted,
    distinct, from 0 to ``M.shape[1]``): int32 C[:, i] = M[:, :bounds[i]].sum(axis=1). One reduceat
    per row between consecutive bounds, then a cumsum over the bounds: no array of the text's length."""
    idx = bounds[:-1]
    seg = np.empty((M.shape[0], idx.size), dtype=np.int32)
    for r in range(M.shape[0]):
        np.add.reduceat(M[r], idx, dtype=np.int32, out=seg[r])
    C = np.zeros((M.shape[0], bounds.size), dtype=np.int32)
    np.cumsum(seg, axis=1, out=C[:, 1:])
    return C


def _span_repeats(text: str, starts: np.ndarray, ends: np.ndarray, group_off: np.ndarray) -> np.ndarray:
    """int64 occ[i]: how many spans before span i (text[starts[i]:ends[i]]) in its group (spans
    group_off[g]..group_off[g + 1] - 1) have the same text."""
    occ = np.zeros(len(starts), dtype=np.int64)
    xs, ys = starts.tolist(), ends.tolist()
    for a, b in zip(group_off[:-1].tolist(), group_off[1:].tolist()):
        texts = [text[x:y] for x, y in zip(xs[a:b], ys[a:b])]
        if len(set(texts)) < b - a:            # some span repeats
            seen: dict[str, int] = {}
            for i, t in enumerate(texts):
                c = seen.get(t, 0)
                if c:
                    occ[a + i] = c
                seen[t] = c + 1
    return occ


def _block_stats(text: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Blocks of each document text[starts[j]:ends[j]] (split at ``_BLOCK_SPLIT`` when it has a
    blank line or an indented one, stripped, empty ones dropped): int64 rows of blocks, repeated
    blocks (after their first occurrence), their characters, and the characters of all blocks."""
    out = np.zeros((len(starts), 4), dtype=np.int64)
    for j, (x, y) in enumerate(zip(starts.tolist(), ends.tolist())):
        t = text[x:y]
        if "\n\n" in t or "\n " in t or "\n\t" in t:
            blocks = [b.strip() for b in _BLOCK_SPLIT.split(t)]
            blocks = [b for b in blocks if b]
        else:
            blocks = [t.strip()]
        dup_blocks = dup_block_chars = 0
        if len(blocks) > 1:
            block_seen: set[str] = set()
            for b in blocks:
                if b in block_seen:
                    dup_blocks += 1
                    dup_block_chars += len(b)
                block_seen.add(b)
        out[j] = len(blocks), dup_blocks, dup_block_chars, sum(map(len, blocks))
    return out


def _units_mixed(counts: np.ndarray, unspaced: np.ndarray | None) -> np.ndarray:
    """Word units per span (float count rows in, float array out): white-space tokens, or for
    spans of unspaced documents (``unspaced``: a bool per span, None when there are none) CJK/Thai
    characters plus the other tokens (approximated as tokens minus one when a span holds
    CJK/Thai characters)."""
    w = counts[R_WSTART]
    if unspaced is None:
        return w
    u = counts[R_UNSPACED]
    return np.where(unspaced & (u > 0), u + np.maximum(w - 1.0, 0.0), w)


_EMPTY: frozenset = frozenset()


def _lines_with(s: str, keys: tuple[str, ...], starts: list[int], ends: list[int]) -> set[int]:
    """Indices of the (sorted, disjoint) spans starts[i]..ends[i] of ``s`` whose text holds one of
    ``keys``, found from the keys' occurrences in ``s``."""
    out = set()
    for key in keys:
        i = s.find(key)
        while i >= 0:
            k = bisect_right(starts, i) - 1
            if k >= 0 and i + len(key) <= ends[k]:
                out.add(k)
            i = s.find(key, i + 1)
    return out


def _bucket(spans: list[tuple[int, int]], starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Characters of ``spans`` that fall in each of the (sorted, disjoint) target spans."""
    out = np.zeros(len(starts), dtype=np.float64)
    st = starts.tolist()
    en = ends.tolist()
    nt = len(st)
    for a, b in spans:
        i = max(0, bisect_right(st, a) - 1)
        while i < nt and st[i] < b:
            lo, hi = max(a, st[i]), min(b, en[i])
            if hi > lo:
                out[i] += hi - lo
            i += 1
    return out


def _bucket_weights(hits: list[tuple[int, int, float]], starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Sum of hit weights per target span (by hit start)."""
    out = np.zeros(len(starts), dtype=np.float64)
    st = starts.tolist()
    en = ends.tolist()
    for a, _, w in hits:
        i = bisect_right(st, a) - 1
        if i >= 0 and a < en[i]:
            out[i] += w
    return out


SENTENCE_FLAGS = ("short", "no_terminal", "few_letters", "digits", "symbols", "caps", "repeated_chars",
                  "separators", "no_stopwords", "url", "boilerplate")
PARAGRAPH_FLAGS = ("nav", "no_terminal", "short", "url", "boilerplate", "javascript", "policy", "lorem", "curly",
                   "dup", "repeat")
_S_FLAG_SETS = [tuple(f for j, f in enumerate(SENTENCE_FLAGS) if c >> j & 1) for c in range(1 << len(SENTENCE_FLAGS))]
_P_FLAG_SETS = [tuple(f for j, f in enumerate(PARAGRAPH_FLAGS) if c >> j & 1) for c in range(1 << len(PARAGRAPH_FLAGS))]
_BREAK_BITS = SPACE | PUNCT | SYMBOL
# keys looked for in each lower-cased document (after the cue matcher's substring cues): bit k of
# ``_keys_in`` for _FLAG_KEYS[k]
_FLAG_KEYS = ("{", " / ", "javascript") + LOREM + C4_POLICY
_CURLY_BIT, _SLASH_BIT, _JS_BIT = 1, 2, 4
_LOREM_BITS = sum(1 << (3 + i) for i in range(len(LOREM)))
_POLICY_BITS = sum(1 << (3 + len(LOREM) + i) for i in range(len(C4_POLICY)))
_FALSE1 = np.zeros(1, dtype=bool)
_ZERO1 = np.zeros(1, dtype=np.int64)
_TRUE1 = np.ones(1, dtype=bool)
_BULLET_CPS = np.array([ord(b) for b in _BULLETS], dtype=np.uint32)
_FRAC_ROWS = [R_LETTER, R_DIGIT, R_SYMBOL, R_RUN]


_FLAG_WEIGHTS = np.array([4, 8, 16, 64, 1, 32, 2, 128, 256, 512, 1024], dtype=np.int64)  # factor row -> flag bit


@lru_cache(maxsize=64)
def _factor_coefs(full: int, stop_floor: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sentence factors f = clip(A x + B, LO, 1), one per row x:

    letters / non-space chars (full at 0.6, floor 0.15); digits (falls past 0.25, floor 0.3);
    symbols (past 0.1, floor 0.3); characters repeating a run (past 0.25, floor 0.5); word units
    (0.4 at one word, 1 at ``full``); upper case / max(letters, 12) (past 0.6, floor 0.6);
    terminal punctuation (0.85 without); separators such as "|" (0.5 from two); stop-word share
    with a pseudo-count, (stop + 0.25) / tokens (``stop_floor`` at none, 1 from 5%); URL share of
    the characters (floor 0.2 at half); boilerplate cue weight scaled by min(1, 25 / words)
    (1 - weight, floor 0.05)."""
    slope = 0.6 / (full - 1)
    stop_slope = (1.0 - stop_floor) / 0.05
    A = np.array([1 / 0.6, -2.0, -3.0, -2.0, slope, -4.0, 0.15, -0.5, stop_slope, -1.6, -1.0])[:, None]
    B = np.array([0.0, 1.5, 1.3, 1.5, 0.4 - slope, 3.4, 0.85, 1.5, stop_floor, 1.0, 1.0])[:, None]
    LO = np.array([0.15, 0.3, 0.3, 0.5, 0.4, 0.6, 0.85, 0.5, stop_floor, 0.2, 0.05])[:, None]
    return A, B, LO


@lru_cache(maxsize=1)
def _terminal_tables() -> tuple[np.ndarray, np.ndarray]:
    closer = np.zeros(0x10000, dtype=bool)
    closer[[ord(c) for c in _CLOSERS]] = True
    term = np.zeros(0x10000, dtype=bool)
    term[[ord(c) for c in _TERMINALS]] = True
    closer.setflags(write=False)
    term.setflags(write=False)
    return closer, term


def _terminal_at(cp: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether the span ending at each of ``ends`` (trimmed spans) ends with terminal punctuation,
    allowing up to two closing quotes or brackets after it."""
    closer, term = _terminal_tables()
    c = np.minimum(cp, 0xFFFF)
    i = ends - 1
    for _ in range(2):
        i = i - closer[c[i]]
        np.maximum(i, 0, out=i)
    return term[c[i]]


_PRIME = np.uint64(1099511628211)
_PRIME_INT = 1099511628211
_INV_PRIME_INT = pow(_PRIME_INT, -1, 1 << 64)
_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


class _HashFilter(NamedTuple):
    """Look-up tables of a set of 64-bit ``keys``: ``present`` (bool per top 16 bits of a hash,
    set where a key has them) and ``slots`` (uint64, for the kernels: an open-addressing table of
    2^b >= 2 x keys slots, key k at slot (k x 0x9E3779B97F4A7C15 mod 2^64) >> (64 - b) or the next
    free ones, free slots holding the value of the extra last slot, which is no key)."""
    present: np.ndarray
    slots: np.ndarray


def _hash_filter(keys: np.ndarray) -> _HashFilter:
    """The ``_HashFilter`` of ``keys`` (distinct)."""
    present = np.zeros(1 << 16, dtype=bool)
    present[keys >> np.uint64(48)] = True
    key_list = keys.tolist()
    bits = max(4, (2 * len(key_list) - 1).bit_length())
    taken = set(key_list)
    free = next(v for v in range(_MASK64, -1, -1) if v not in taken)
    slots = [free] * (1 << bits)
    for k in key_list:
        i = ((k * _GOLDEN) & _MASK64) >> (64 - bits)
        while slots[i] != free:
            i = (i + 1) & ((1 << bits) - 1)
        slots[i] = k
    slots = np.array(slots + [free], dtype=np.uint64)
    present.setflags(write=False)
    slots.setflags(write=False)
    return _HashFilter(present, slots)


def _find_hashes(keys: np.ndarray, table: _HashFilter, h: np.ndarray) -> np.ndarray:
    """Indices i (ascending) with h[i] in ``keys`` (sorted, non-empty; ``table`` its
    ``_hash_filter``): the filter drops most other hashes before the binary search."""
    maybe = np.flatnonzero(table.present[h >> np.uint64(48)])
    hm = h[maybe]
    j = np.minimum(np.searchsorted(keys, hm), keys.size - 1)
    return maybe[keys[j] == hm]


def _find_hashes_in(keys: np.ndarray, table: np.ndarray, h: np.ndarray, los: np.ndarray, his: np.ndarray
                    ) -> np.ndarray:
    """``_find_hashes`` over the index ranges los[r]..his[r] (int64 arrays, ascending, disjoint):
    the indices of ``h`` (ascending) in them whose hash is one of ``keys``."""
    sel = (np.concatenate([np.arange(a, b) for a, b in zip(los.tolist(), his.tolist())]) if len(los) > 1
           else np.arange(los[0], his[0]) if len(los) else np.zeros(0, dtype=np.int64))
    return sel[_find_hashes(keys, table, h[sel])]


def _find_hashes_groups(groups: list, group_of: np.ndarray, h: np.ndarray, los: np.ndarray, his: np.ndarray
                        ) -> np.ndarray:
    """``_find_hashes_in`` with one list of keys per range: the ascending indices i of the ranges
    los[r]..his[r] (ascending, disjoint) whose h[i] is one of the keys of groups[group_of[r]] (a
    (keys, ``_hash_filter``) pair; no look-up where group_of[r] < 0)."""
    parts = []
    for g, (keys, table) in enumerate(groups):
        sel = group_of == g
        if sel.any():
            parts.append(_find_hashes_in(keys, table, h, los[sel], his[sel]))
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))


class _KeyTable(NamedTuple):
    """Up to 64 strings to look for (``keys``), for the kernel: their code points one after the
    other (``chars``, uint32), where each starts (``offs``, int64, one more), and uint8 marks of the
    low bytes of their first two code points (``pairs``, 65,536) and of one-character keys
    (``singles``, 256)."""
    keys: tuple[str, ...]
    chars: np.ndarray
    offs: np.ndarray
    pairs: np.ndarray
    singles: np.ndarray


def _key_table(keys: tuple[str, ...]) -> _KeyTable:
    """The ``_KeyTable`` of ``keys`` (non-empty strings)."""
    assert len(keys) <= 64 and all(keys)
    pairs = np.zeros(1 << 16, dtype=np.uint8)
    singles = np.zeros(256, dtype=np.uint8)
    for k in keys:
        if len(k) == 1:
            singles[ord(k) & 0xFF] = 1
        else:
            pairs[(ord(k[0]) & 0xFF) << 8 | ord(k[1]) & 0xFF] = 1
    return _KeyTable(keys, np.array([ord(c) for k in keys for c in k], dtype=np.uint32),
                     np.cumsum([0] + [len(k) for k in keys]).astype(np.int64), pairs, singles)


def _keys_in(text: str, table: _KeyTable) -> int:
    """Bit k set where table.keys[k] is in ``text``."""
    return sum(1 << k for k, key in enumerate(table.keys) if key in text)


def _str_hash(s: str) -> int:
    """The token hash of ``_token_hashes`` for one string: sum of code point x P^i mod 2^64."""
    h = 0
    p = 1
    for ch in s:
        h = (h + ord(ch) * p) & _MASK64
        p = (p * _PRIME_INT) & _MASK64
    return h


def _powers(base: int, n: int) -> np.ndarray:
    """base^0 .. base^n modulo 2^64 (uint64)."""
    if n < _POW_TABLE_SIZE:
        return _pow_table(base)[: n + 1]
    out = np.empty(n + 1, dtype=np.uint64)
    out[0] = 1
    out[1:] = np.full(n, base, dtype=np.uint64).cumprod()
    return out


_POW_TABLE_SIZE = (1 << 19) + 1   # covers a chunk of score_batch (_CHUNK_CHARS; 4 MB per base)


@lru_cache(maxsize=2)
def _pow_table(base: int) -> np.ndarray:
    out = np.empty(_POW_TABLE_SIZE + 1, dtype=np.uint64)
    out[0] = 1
    out[1:] = np.full(_POW_TABLE_SIZE, base, dtype=np.uint64).cumprod()
    out.setflags(write=False)
    return out


def _token_hashes(lcp: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """64-bit polynomial hashes of the tokens lcp[starts[i]:ends[i]], independent of position:
    prefix sums of cp[j] P^j, differenced and shifted back by P^-start (P odd, so invertible
    modulo 2^64). Equal to ``_str_hash`` of the token string."""
    n = lcp.size
    if starts.size == 0:
        return np.zeros(0, dtype=np.uint64)
    H = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(lcp * _powers(_PRIME_INT, n)[:n], out=H[1:])
    return (H[ends] - H[starts]) * _powers(_INV_PRIME_INT, int(starts[-1]))[starts]


def _ngram_fractions(ids: np.ndarray, lens: np.ndarray, scale: int, *, grams: np.ndarray | None = None,
                     csum: np.ndarray | None = None) -> tuple[list[float], list[float]]:
    """Gopher repetition over token ids: character fraction of the most frequent n-gram
    (n = 2, 3, 4) and character fraction covered by duplicated n-grams (n = 5..10); n is
    multiplied by ``scale``. N-grams are polynomial 64-bit hashes of the token ids. ``grams``
    (the hashes of the 2·scale-grams) and ``csum`` (0 and the cumulative ``lens``) may be given
    when already known.

    An n-gram can repeat only where the shorter n-grams it contains repeat, so each size looks
    only at the repeated positions of the size before (exact, and cheap on text that repeats
    little: small sets go through plain Python); the sizes stop once nothing repeats."""
    top = [0.0, 0.0, 0.0]
    dupf = [0.0] * 6
    T = ids.size
    if csum is None:
        csum = np.concatenate(([0], np.cumsum(lens)))
    total = float(csum[-1])
    if T < 2 * scale or total <= 0:
        return top, dupf
    # (uint64 array arithmetic wraps silently: no errstate needed)
    step = _ngram_hashes(ids, scale)            # hashes of the scale-grams
    cur = _ngram_hashes(ids, 2 * scale) if grams is None else grams
    order = cur.argsort()   # any order of equal hashes: their n-grams are the same tokens, the same characters
    sv = cur[order]
    same = sv[1:] == sv[:-1]
    if not same.any():
        return top, dupf
    dup_sorted = np.zeros(sv.size, dtype=bool)
    dup_sorted[1:] = same
    dup_sorted[:-1] |= same
    edges = np.concatenate(([True], ~same, [True])).nonzero()[0]
    runs = edges[1:] - edges[:-1]
    j = int(runs.argmax())
    first = int(order[edges[j]])
    n = 2 * scale
    top[0] = min(1.0, float(csum[first + n] - csum[first]) * int(runs[j]) / total)
    D = np.sort(order[dup_sorted])              # positions of repeated n-grams, ascending
    _ngram_rest(D, cur[D], step, csum, total, scale, T, top, dupf)
    return top, dupf


def _ngram_rest(D: np.ndarray, hD: np.ndarray, step: np.ndarray, csum: np.ndarray, total: float, scale: int,
                T: int, top: list, dupf: list) -> None:
    """``_ngram_fractions`` from size 3 on: ``D`` the ascending positions of the repeated
    2·scale-grams, ``hD`` their hashes, tokens (and ``step``, ``csum``) up to position ``T``."""
    n = 2 * scale
    shift = np.uint64(pow(_PRIME_INT, scale, 1 << 64))
    for k in range(3, 11):
        prev_n, n = n, k * scale
        if D.size < 2:
            break
        if D.size <= 48:
            _ngram_small(D.tolist(), hD.tolist(), step, csum, total, scale, k, prev_n, T, top, dupf)
            break
        nxt = D + scale
        jj = np.minimum(np.searchsorted(D, nxt), D.size - 1)
        ok = (D[jj] == nxt) & (D + n <= T)
        cand = D[ok]
        if cand.size < 2:
            break
        hc = hD[ok] * shift + step[cand + prev_n]
        order = hc.argsort()
        sv = hc[order]
        same = sv[1:] == sv[:-1]
        if not same.any():
            break
        dup_sorted = np.zeros(sv.size, dtype=bool)
        dup_sorted[1:] = same
        dup_sorted[:-1] |= same
        if k <= 4:
            edges = np.concatenate(([True], ~same, [True])).nonzero()[0]
            runs = edges[1:] - edges[:-1]
            j = int(runs.argmax())
            first = int(cand[order[edges[j]]])
            top[k - 2] = min(1.0, float(csum[first + n] - csum[first]) * int(runs[j]) / total)
        keep = np.zeros(cand.size, dtype=bool)
        keep[order[dup_sorted]] = True
        D = cand[keep]
        hD = hc[keep]
        if k >= 5:
            dupf[k - 5] = _covered_chars(D, n, csum) / total


def _ngram_fractions_spaced(tokh: np.ndarray, pairs: np.ndarray, tok_csum: np.ndarray, los: list[int],
                            his: list[int]) -> list[tuple[list[float], list[float]]]:
    """``_ngram_fractions(tokh[lo:hi], lens, 1, grams=pairs[lo:hi - 1], csum=...)`` for every
    (lo, hi) of ``los`` / ``his`` (ascending, disjoint token ranges of one chunk; ``pairs`` the
    2-gram hashes of ``tokh``, ``tok_csum`` 0 and the cumulated token lengths), bit for bit. Each
    document's 2-grams are sorted apart (the same argsort: ties fall the same way), the rest of
    size 2 runs once over all documents, sizes 3 and up per document in chunk positions."""
    out = [([0.0, 0.0, 0.0], [0.0] * 6) for _ in los]
    live = [i for i, (lo, hi) in enumerate(zip(los, his)) if hi - lo >= 2 and tok_csum[hi] > tok_csum[lo]]
    if not live:
        return out
    lens = [his[i] - los[i] - 1 for i in live]
    O = np.concatenate([pairs[los[i]:his[i] - 1].argsort() + los[i] for i in live])   # sorted within documents
    N = O.size
    offs = np.zeros(len(live), dtype=np.int64)
    np.cumsum(lens[:-1], out=offs[1:])
    sv = pairs[O]
    same = np.zeros(N, dtype=bool)              # same[i]: the 2-gram i is the one after it (same document)
    np.equal(sv[1:], sv[:-1], out=same[:-1])
    same[offs[1:] - 1] = False
    any_l = np.logical_or.reduceat(same, offs).tolist()
    dup = same.copy()
    dup[1:] |= same[:-1]
    edges = np.concatenate((_TRUE1, ~same[:-1])).nonzero()[0]    # runs of equal 2-grams (never across documents)
    runs = np.diff(np.append(edges, N))
    run_doc = np.searchsorted(offs, edges, side="right") - 1
    best = np.maximum.reduceat(runs, np.searchsorted(edges, offs))
    at_best = np.flatnonzero(runs == best[run_doc])
    firsts = at_best[np.concatenate((_TRUE1, run_doc[at_best[1:]] != run_doc[at_best[:-1]]))]  # first per document
    first_l, count_l = O[edges[firsts]].tolist(), runs[firsts].tolist()
    D_all = np.sort(O[dup])
    h_all = pairs[D_all]
    cut_lo = np.searchsorted(D_all, [los[i] for i in live]).tolist()
    cut_hi = np.searchsorted(D_all, [his[i] for i in live]).tolist()
    for q, i in enumerate(live):
        if not any_l[q]:
            continue
        top, dupf = out[i]
        lo, hi = los[i], his[i]
        total = float(tok_csum[hi] - tok_csum[lo])
        first = first_l[q]
        top[0] = min(1.0, float(tok_csum[first + 2] - tok_csum[first]) * count_l[q] / total)
        a, b = cut_lo[q], cut_hi[q]
        _ngram_rest(D_all[a:b], h_all[a:b], tokh, tok_csum, total, 1, hi, top, dupf)
    return out


def _ngram_fractions_ranges(ids: np.ndarray, csum: np.ndarray, los: np.ndarray, his: np.ndarray,
                            scale: int) -> np.ndarray:
    """``_ngram_fractions(ids[lo:hi], None, scale, csum=csum[lo:hi + 1] - csum[lo])`` for every
    (lo, hi) of ``los`` / ``his`` (int64 arrays; ``csum``: 0 and the cumulated lengths of ``ids``):
    float64 rows of top (3) then dupf (6), bit for bit."""
    out = np.zeros((len(los), 9))
    if scale == 1:
        res = _ngram_fractions_spaced(ids, ids[:-1] * _PRIME + ids[1:], csum, los.tolist(), his.tolist())
    else:
        res = [_ngram_fractions(ids[lo:hi], None, scale, csum=csum[lo:hi + 1] - csum[lo])
               for lo, hi in zip(los.tolist(), his.tolist())]
    for r, (top, dupf) in enumerate(res):
        out[r] = top + dupf
    return out


def _covered_chars(starts: np.ndarray, n: int, csum: np.ndarray) -> float:
    """Characters covered by the n-token windows at sorted ``starts`` (csum: token char sums)."""
    ends = np.minimum(starts + n, np.append(starts[1:], starts[-1] + n))
    return float((csum[ends] - csum[starts]).sum())


def _ngram_small(D: list, hD: list, step: np.ndarray, csum: np.ndarray, total: float, scale: int, k0: int,
                 prev_n: int, T: int, top: list, dupf: list) -> None:
    """The rest of ``_ngram_fractions`` from size ``k0`` on, in plain Python for few positions."""
    shift = pow(_PRIME_INT, scale, 1 << 64)
    for k in range(k0, 11):
        n = k * scale
        dset = set(D)
        pairs = [(i, h) for i, h in zip(D, hD) if i + scale in dset and i + n <= T]
        if len(pairs) < 2:
            return
        steps = step[np.array([i + prev_n for i, _ in pairs])].tolist()
        hc = [(h * shift + s) & _MASK64 for (_, h), s in zip(pairs, steps)]
        counts: dict[int, int] = {}
        for h in hc:
            counts[h] = counts.get(h, 0) + 1
        D = [i for (i, _), h in zip(pairs, hc) if counts[h] > 1]
        if not D:
            return
        hD = [h for h in hc if counts[h] > 1]
        if k <= 4:
            best = max(counts.values())
            first = next(i for (i, _), h in zip(pairs, hc) if counts[h] == best)
            top[k - 2] = min(1.0, float(csum[first + n] - csum[first]) * best / total)
        else:
            dupf[k - 5] = _covered_chars(np.array(D), n, csum) / total
        prev_n = n


def _ngram_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """Polynomial hashes of every n-gram of ``ids`` (uint64, wrapping)."""
    h = ids
    for j in range(1, n):
        h = h[:-1] * _PRIME + ids[j:]          # (uint64 arrays wrap silently)
    return h


# The compiled kernels of filters/_native/quality.pyx replace these pure-Python references when
# they are built (tests/filters/test_native.py checks each pair gives the same result).
def _ngram_fractions_native(ids, csum, los, his, scale):
    """``_ngram_fractions_ranges`` by the kernel, but for the rows it is unsure of (see
    ``_ngram_doc`` in quality.pyx: which of several n-grams sharing a hash counts is numpy's argsort
    order), which come from the reference."""
    out, unsure = _KERNELS.ngram_fractions_ranges(ids, csum, los, his, scale)
    if unsure.size:
        out[unsure] = PY_KERNELS["ngram_fractions_ranges"](ids, csum, los[unsure], his[unsure], scale)
    return out


PY_KERNELS = {"token_hashes": _token_hashes, "cumulated_at": _cumulated_at, "char_pass": _char_pass,
              "ngram_fractions_ranges": _ngram_fractions_ranges, "find_hashes": _find_hashes_in,
              "match_phrases": _match_phrases, "span_repeats": _span_repeats, "block_stats": _block_stats,
              "find_hashes_groups": _find_hashes_groups, "keys_in": _keys_in}
_KERNELS = native("quality")
if _KERNELS is not None:
    _token_hashes = _KERNELS.token_hashes
    _cumulated_at = _KERNELS.cumulated_at
    _char_pass = _KERNELS.char_pass
    _ngram_fractions_ranges = _ngram_fractions_native
    _find_hashes_in = _KERNELS.find_hashes
    _match_phrases = _KERNELS.match_phrases
    _span_repeats = _KERNELS.span_repeats
    _block_stats = _KERNELS.block_stats
    _find_hashes_groups = _KERNELS.find_hashes_groups
    _keys_in = _KERNELS.keys_in


@lru_cache(maxsize=8)
def _default_scorer(config: QualityConfig) -> QualityScorer:
    return QualityScorer(config)


def score_document(text: str, lang: str | None, paragraphs: list[tuple[int, int]] | None = None, *,
                   repeat_counts: dict[int, int] | None = None, model_score: float | None = None,
                   config: QualityConfig = DEFAULT, count: Count = None, timings: dict | None = None) -> DocQuality:
    """Convenience wrapper: ``QualityScorer(config).score(...)`` with the scorer built once per
    config. Beam DoFns should build a ``QualityScorer`` in ``setup`` instead."""
    return _default_scorer(config).score(text, lang, paragraphs, repeat_counts=repeat_counts,
                                         model_score=model_score, count=count, timings=timings)


def with_overrides(config: QualityConfig, **per_lang: LangRules) -> QualityConfig:
    """A copy of ``config`` with per-language rule overrides added (``zh=LangRules(...)``)."""
    return replace(config, overrides=tuple(dict(config.overrides, **per_lang).items()))

