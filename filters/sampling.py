"""Token estimates and sampling weights for a target data mixture (pure Python + numpy, no Beam).

In: per-bucket statistics (``BucketStats``: source, language, quality tier, docs, chars, tokens), a
``MixtureConfig`` and per-document quality scores / dedup cluster sizes. Out: a ``BucketPlan`` per
bucket (target share of the token budget, target tokens, epochs, Megatron-style blend weight),
per-document weights and fractional repeats, and deterministic integer copies per document.

Token counts
------------
``estimate_tokens(text, lang)`` counts the code points of a text per script class in one vectorised
numpy pass and divides by a characters-per-token ratio per script (``CHARS_PER_TOKEN``). The ratios
are rounded, approximate figures for the byte-level BPE vocabularies of current LLMs (between
GPT-4's cl100k_base and the larger multilingual vocabularies of Llama 3 / Qwen 2 / Gemma), from
public tokenizer statistics: OpenAI's rule of thumb of ~4 characters of English per token;
the per-language "tokenization premium" measurements on parallel FLORES-200 text (Petrov et al.,
2023, "Language Model Tokenizers Introduce Unfairness Between Languages"), which put Latin-script
European languages at ~1.2-1.5x the English token count, Cyrillic ~1.5-2x, Greek, Hebrew and Arabic
~2x, Devanagari and other Brahmic scripts 2.5-5x; and the common observation that Chinese costs
~0.6-1 token per Han character (1-1.5 characters per token) and Japanese/Korean ~1 token per character
in those vocabularies. When the language is known and listed in ``resources/chars_per_token.tsv``
(``lang_chars_per_token()``: languages with 30+ documents in the calibration corpora), that measured
ratio replaces the ratio of the language's own script: it was fitted by ``benchmarks/bench_tokens.py``
against byte-level BPE tokenizers trained on make_corpus.py corpora of real web text, where
per-language bucket errors fell from up to ~90% (Georgian, Armenian) to under 25% on held-out
corpora. A tokenizer trained on another mixture compresses differently: when the exact figure
matters, name a tokenizer (``load_token_counter``).

Script-neutral code points (whitespace, digits, punctuation, ASCII symbols, CJK punctuation) are
shared out among the letter scripts of the text in proportion to their letter counts (a space or a
comma costs what the surrounding words cost per character); a text with no letter at all uses
``COMMON_CHARS_PER_TOKEN`` (3: digits merge in runs of up to 3, punctuation runs merge).

Mixture planning (``plan_buckets``)
-----------------------------------
Selected data: buckets with tokens > 0 whose tier multiplier is > 0 (tiers not named in
``tier_multipliers`` have multiplier 1). Budget ``B`` = ``token_budget`` or, when None, the selected
tokens (one pass at natural weight).

1. Source shares ``S_s``: a source named in ``source_ratios`` gets its ratio; the sources not named
   share the remainder ``1 - sum(ratios)`` in proportion to their selected tokens. When every source
   with data is named and the ratios sum to less than 1, the ratios are renormalised to sum to 1.
   A named source with ratio > 0 and no selected data is infeasible.
2. Language shares inside a source: ``p_l ∝ n_l ** alpha`` with ``n_l`` the selected tokens of
   language ``l`` in that source and ``alpha = language_temperature`` (1 keeps natural shares; small
   alpha flattens towards uniform across languages).
3. Bucket shares inside a (source, language): ``∝ tokens_b * tier_multiplier_b`` (renormalised).
   So a bucket's natural share is ``S_s * p_l|s * tokens_b m_b / sum(tokens m)`` in (s, l).
4. Epoch cap, by hierarchical water-filling. Each bucket can give at most
   ``cap_b = max_epochs * tokens_b`` tokens. Targets are allocated top-down, at each level with
   ``x_i = min(cap_i, lambda * w_i)`` where ``w_i`` are the preferred shares of step 2 or 3, ``cap_i``
   the summed caps below and ``lambda`` set so that the level's total is met. That is exactly
   "give the excess of a capped item to its uncapped siblings in proportion to their shares, repeat
   until nothing more is capped": a bucket's excess goes to the other tiers of the same (source,
   language); when the whole language is capped, to the other languages of the same source. Source
   targets are never moved between named sources (their ratios are the contract); the unnamed sources
   are one pool that water-fills among themselves in proportion to their sizes.
5. ``InfeasibleMixture`` (a ``ValueError``) names the binding cap: the budget above
   ``max_epochs * selected tokens``, a named source whose ratio demands more than ``max_epochs`` times
   its tokens, or the unnamed-source pool in the same situation; the message gives the source, its
   buckets' tokens, ``max_epochs`` and the demanded tokens.
Output: ``target_tokens`` are integers summing to ``round(B)`` (largest remainder, never above a
bucket's cap), ``target_share`` = the exact share of ``B``, ``epochs = target_tokens / tokens``,
``weight = target_share``. Excluded buckets get share 0.

Documents
---------
``doc_weights``: ``q ** quality_exponent / cluster_size ** cluster_size_exponent`` (quality below 0
is 0; missing/NaN quality takes the mean of the given scores; ``cluster_size`` < 1 counts as 1), i.e.
quality up-weighting and Baichuan-2-style frequency down-weighting of near-duplicate clusters.
``doc_repeats``: ``repeats_i = c * w_i`` with ``sum(tokens_i * repeats_i) = bucket target`` (optional
``max_repeats`` caps one document's repeats with the same water-filling).
``realize_copies``: integer copies by systematic sampling along a hash order of (id, seed): each
document gets ``floor`` or ``ceil`` of its (rescaled) repeats and the total is ``round(sum(repeats))``
exactly, independent of input order.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Protocol, Sequence

import numpy as np
import xxhash

__all__ = [
    "CHARS_PER_TOKEN", "COMMON_CHARS_PER_TOKEN", "SCRIPTS", "script_counts", "estimate_tokens",
    "estimate_tokens_many", "TokenCounter", "load_token_counter", "heuristic_token_counter",
    "MixtureConfig", "BucketStats", "BucketPlan", "InfeasibleMixture", "plan_buckets", "waterfill",
    "doc_weights", "doc_repeats", "realize_copies", "hash_order_key",
]

# --------------------------------------------------------------------------- token estimates

SCRIPTS = ("common", "latin", "greek", "cyrillic", "hebrew", "arabic", "indic", "sea", "han", "kana",
           "hangul", "other")
_IDX = {name: i for i, name in enumerate(SCRIPTS)}

# Characters per token of running text in each script (spaces and punctuation included via sharing).
CHARS_PER_TOKEN: dict[str, float] = {
    "latin": 3.3,      # non-English Latin-script languages (fr, de, es, pl, vi...): 1.2-1.5x English
    "greek": 2.0,
    "cyrillic": 2.6,
    "hebrew": 2.2,
    "arabic": 2.3,     # also Persian, Urdu (Arabic script)
    "indic": 1.6,      # Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada, Malayalam, Sinhala
    "sea": 1.6,        # Thai, Lao, Myanmar, Khmer (no spaces between words)
    "han": 1.25,       # ~0.8 token per Han character
    "kana": 1.1,
    "hangul": 1.3,
    "other": 1.0,      # other scripts, emoji, symbols: byte-level fallback, ~1 token per character
}
ENGLISH_LATIN_CHARS_PER_TOKEN = 4.0  # Latin script when lang is 'en' or None (English-like default)
COMMON_CHARS_PER_TOKEN = 3.0        # texts with no letter at all

# (first code point, class) sorted; a code point belongs to the last range starting at or before it.
_RANGES: list[tuple[int, str]] = [
    (0x0000, "common"), (0x0041, "latin"), (0x005B, "common"), (0x0061, "latin"), (0x007B, "common"),
    (0x00AA, "latin"), (0x00AB, "common"), (0x00B5, "latin"), (0x00B6, "common"), (0x00BA, "latin"),
    (0x00BB, "common"), (0x00C0, "latin"), (0x00D7, "common"), (0x00D8, "latin"), (0x00F7, "common"),
    (0x00F8, "latin"), (0x02B0, "common"), (0x0370, "greek"), (0x0400, "cyrillic"), (0x0530, "other"),
    (0x0590, "hebrew"), (0x0600, "arabic"), (0x0700, "other"), (0x0750, "arabic"), (0x0780, "other"),
    (0x08A0, "arabic"), (0x0900, "indic"), (0x0E00, "sea"), (0x0F00, "other"), (0x1000, "sea"),
    (0x10A0, "other"), (0x1100, "hangul"), (0x1200, "other"), (0x1780, "sea"), (0x1800, "other"),
    (0x1C80, "cyrillic"), (0x1C90, "other"), (0x1E00, "latin"), (0x1F00, "greek"), (0x2000, "common"),
    (0x2070, "other"), (0x2C60, "latin"), (0x2C80, "other"), (0x2DE0, "cyrillic"), (0x2E00, "common"),
    (0x2E80, "han"), (0x2FE0, "other"), (0x3000, "common"), (0x3040, "kana"), (0x3100, "other"),
    (0x3130, "hangul"), (0x3190, "other"), (0x31F0, "kana"), (0x3200, "other"), (0x3400, "han"),
    (0x4DC0, "other"), (0x4E00, "han"), (0xA000, "other"), (0xA640, "cyrillic"), (0xA6A0, "other"),
    (0xA720, "latin"), (0xA800, "other"), (0xA960, "hangul"), (0xA980, "other"), (0xAC00, "hangul"),
    (0xD800, "other"), (0xF900, "han"), (0xFB00, "latin"), (0xFB07, "other"), (0xFB1D, "hebrew"),
    (0xFB50, "arabic"), (0xFE00, "common"), (0xFE70, "arabic"), (0xFF00, "common"), (0xFF21, "latin"),
    (0xFF3B, "common"), (0xFF41, "latin"), (0xFF5B, "common"), (0xFF66, "kana"), (0xFFA0, "hangul"),
    (0xFFE0, "common"), (0x10000, "other"), (0x20000, "han"), (0x31350, "other"),
]
_STARTS = np.array([s for s, _ in _RANGES], dtype=np.uint32)
_CLASS = np.array([_IDX[c] for _, c in _RANGES], dtype=np.intp)
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def script_counts(text: str) -> np.ndarray:
    """Code points of ``text`` per script class, an int array indexed like ``SCRIPTS``."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    cls = _CLASS[np.searchsorted(_STARTS, cps, side="right") - 1]
    return np.bincount(cls, minlength=len(SCRIPTS))


def _base_lang(lang: str | None) -> str | None:
    return lang.split("-")[0].split("_")[0].lower() if lang else None


@functools.lru_cache(maxsize=1)
def lang_chars_per_token() -> dict[str, tuple[tuple[str, ...], float]]:
    """{language: (its scripts, characters per token)} from ``resources/chars_per_token.tsv`` (read once)."""
    table = {}
    for line in (Path(__file__).resolve().parent / "resources" / "chars_per_token.tsv").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, scripts, ratio, _ = line.split("\t")
            table[lang] = (tuple(scripts.split("+")), float(ratio))
    return table


@functools.lru_cache(maxsize=512)
def _ratios(lang: str | None) -> np.ndarray:
    """Characters per token of each script class for a document of language ``lang``."""
    r = np.array([COMMON_CHARS_PER_TOKEN] + [CHARS_PER_TOKEN[s] for s in SCRIPTS[1:]])
    base = _base_lang(lang)
    if base is None or base == "en":
        r[_IDX["latin"]] = ENGLISH_LATIN_CHARS_PER_TOKEN
    calibrated = lang_chars_per_token().get(base) if base else None
    for script in calibrated[0] if calibrated else ():
        if script in _IDX:
            r[_IDX[script]] = calibrated[1]
    r.flags.writeable = False
    return r


def estimate_tokens(text: str, lang: str | None = None) -> int:
    """Estimated token count of ``text`` (0 for an empty text, else at least 1). ``lang`` (ISO code)
    picks the ratio of its own script: the calibrated one of ``lang_chars_per_token()`` when listed,
    else English or None -> 4.0 chars/token for Latin, other languages 3.3, other scripts as
    ``CHARS_PER_TOKEN``."""
    if not text:
        return 0
    ratios = _ratios(lang)
    n = len(text)
    if text.isascii():  # fast path: letters are all Latin, so everything shares the Latin ratio
        est = n / (ratios[_IDX["latin"]] if _ASCII_LETTER.search(text) else COMMON_CHARS_PER_TOKEN)
    else:
        counts = script_counts(text)
        letters = counts[1:].sum()
        if letters == 0:
            est = n / COMMON_CHARS_PER_TOKEN
        else:
            est = float((counts[1:] / ratios[1:]).sum()) * n / float(letters)
    return max(1, int(round(est)))


def estimate_tokens_many(texts: Iterable[str], langs: Iterable[str | None] | None = None) -> list[int]:
    """``estimate_tokens`` over many texts (``langs`` parallel to ``texts``, or None)."""
    texts = list(texts)
    langs = [None] * len(texts) if langs is None else list(langs)
    if len(langs) != len(texts):
        raise ValueError("texts and langs differ in length")
    return [estimate_tokens(t, l) for t, l in zip(texts, langs)]


class TokenCounter(Protocol):
    """Callable: list of texts -> token count per text."""

    def __call__(self, texts: Sequence[str]) -> list[int]: ...


def heuristic_token_counter(lang: str | None = None) -> TokenCounter:
    """A ``TokenCounter`` backed by ``estimate_tokens`` with one language for all texts."""
    def count(texts: Sequence[str]) -> list[int]:
        return [estimate_tokens(t, lang) for t in texts]
    return count


def _missing(package: str, path: str) -> ImportError:
    return ImportError(f"counting tokens with {path!r} needs the optional package {package!r}: "
                       f"pip install {package}")


def load_token_counter(path: str | Path) -> TokenCounter:
    """A ``TokenCounter`` for a real tokenizer file: a Hugging Face ``tokenizer.json`` (or a directory
    holding one; needs the ``tokenizers`` package) or a SentencePiece ``.model`` (needs
    ``sentencepiece``). Special tokens (BOS/EOS) are not counted. Raises ImportError naming the
    package when it is missing, FileNotFoundError / ValueError for a bad path."""
    p = Path(path)
    if p.is_dir():
        p = p / "tokenizer.json"
    if not p.exists():
        raise FileNotFoundError(f"tokenizer file {str(p)!r} does not exist")
    if p.suffix == ".json":
        try:
            from tokenizers import Tokenizer
        except ImportError:
            raise _missing("tokenizers", str(p)) from None
        tok = Tokenizer.from_file(str(p))

        def count_hf(texts: Sequence[str]) -> list[int]:
            return [len(e.ids) for e in tok.encode_batch(list(texts), add_special_tokens=False)]
        return count_hf
    if p.suffix == ".model":
        try:
            import sentencepiece
        except ImportError:
            raise _missing("sentencepiece", str(p)) from None
        sp = sentencepiece.SentencePieceProcessor(model_file=str(p))

        def count_sp(texts: Sequence[str]) -> list[int]:
            return [len(ids) for ids in sp.encode(list(texts))]
        return count_sp
    raise ValueError(f"unknown tokenizer file {str(p)!r}: expected a tokenizer.json (Hugging Face "
                     f"tokenizers) or a .model (SentencePiece)")


# --------------------------------------------------------------------------- mixture config and plan

class InfeasibleMixture(ValueError):
    """The mixture's targets cannot be met within ``max_epochs``; the message names the binding cap."""


@dataclass(frozen=True)
class MixtureConfig:
    """Target mixture (see the module docstring for how each knob acts)."""

    source_ratios: dict = field(default_factory=dict)     # source -> token share of the budget
    language_temperature: float = 1.0                       # alpha in (0, 1]: p_l ∝ n_l ** alpha
    tier_multipliers: dict = field(default_factory=dict)  # tier -> multiplier (unnamed: 1, 0 excludes)
    quality_exponent: float = 0.0                           # gamma: document weight q ** gamma
    cluster_size_exponent: float = 0.0                      # beta: document weight / cluster_size ** beta
    max_epochs: float = 4.0                                 # cap on epochs of any bucket (inf: no cap)
    token_budget: int | None = None                         # tokens of one pass; None: natural size
    seed: int = 0
    topic_cap: float | None = None                          # max share of one topic in its language's mixture
                                                            # tokens (topics from dedup's embeddings); None: no cap
    topic_size_exponent: float = 0.0                        # document weight x (topic size / mean size) ** -this

    def __post_init__(self):
        def real(name, v):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
                raise ValueError(f"mixture.{name} must be a number, got {v!r}")
            return float(v)

        ratios = {}
        for k, v in dict(self.source_ratios or {}).items():
            v = real(f"source_ratios[{k!r}]", v)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"mixture.source_ratios[{k!r}] = {v} is not in [0, 1]")
            ratios[str(k)] = v
        if sum(ratios.values()) > 1.0 + 1e-9:
            raise ValueError(f"mixture.source_ratios sum to {sum(ratios.values()):.6g} > 1")
        mults = {}
        for k, v in dict(self.tier_multipliers or {}).items():
            v = real(f"tier_multipliers[{k!r}]", v)
            if not 0.0 <= v < math.inf:
                raise ValueError(f"mixture.tier_multipliers[{k!r}] = {v} must be finite and >= 0")
            mults[str(k)] = v
        object.__setattr__(self, "source_ratios", ratios)
        object.__setattr__(self, "tier_multipliers", mults)
        alpha = real("language_temperature", self.language_temperature)
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"mixture.language_temperature = {alpha} is not in (0, 1]")
        for name in ("quality_exponent", "cluster_size_exponent"):
            v = real(name, getattr(self, name))
            if not 0.0 <= v < math.inf:
                raise ValueError(f"mixture.{name} = {v} must be finite and >= 0")
        if self.topic_cap is not None and not 0.0 < real("topic_cap", self.topic_cap) < 1.0:
            raise ValueError(f"mixture.topic_cap = {self.topic_cap} must be in (0, 1) or None")
        if not 0.0 <= real("topic_size_exponent", self.topic_size_exponent) < math.inf:
            raise ValueError(f"mixture.topic_size_exponent = {self.topic_size_exponent} must be finite and >= 0")
        if not real("max_epochs", self.max_epochs) > 0:
            raise ValueError(f"mixture.max_epochs = {self.max_epochs} must be > 0")
        if self.token_budget is not None:
            if isinstance(self.token_budget, bool) or not isinstance(self.token_budget, int) \
                    or self.token_budget <= 0:
                raise ValueError(f"mixture.token_budget = {self.token_budget!r} must be a positive int or None")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"mixture.seed = {self.seed!r} must be an int")

    def multiplier(self, tier: str) -> float:
        """Tier multiplier (1 for a tier not named)."""
        return self.tier_multipliers.get(tier, 1.0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping) -> "MixtureConfig":
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown mixture keys: {sorted(unknown)}")
        return cls(**d)


@dataclass(frozen=True)
class BucketStats:
    """Natural size of one bucket (one source x language x quality tier)."""

    name: str
    source: str
    lang: str
    tier: str
    docs: int
    chars: int
    tokens: int


@dataclass(frozen=True)
class BucketPlan(BucketStats):
    """A bucket's stats plus its place in the mixture."""

    target_share: float = 0.0   # share of the budget's tokens
    target_tokens: int = 0      # tokens of this bucket in one pass over the mixture
    epochs: float = 0.0         # target_tokens / tokens
    weight: float = 0.0         # Megatron-style blend weight (= target_share)


def waterfill(total: float, weights: Sequence[float], caps: Sequence[float]) -> np.ndarray:
    """Split ``total`` as ``x_i = min(cap_i, lam * w_i)`` with ``sum(x) = total`` (items of weight 0
    get 0). Requires ``total <= sum(caps of items with w > 0)``; raises ValueError otherwise."""
    w = np.asarray(weights, dtype=float)
    c = np.asarray(caps, dtype=float)
    x = np.zeros_like(w)
    if total <= 0:
        return x
    live = w > 0
    if c[live].sum() < total * (1 - 1e-12):
        raise ValueError(f"cannot place {total} under caps summing to {c[live].sum()}")
    free = live.copy()
    remaining = float(total)
    while True:
        wf = w[free].sum()
        if wf <= 0:
            break
        lam = remaining / wf
        over = free & (lam * w > c)
        if not over.any():
            x[free] = lam * w[free]
            break
        x[over] = c[over]
        remaining -= c[over].sum()
        free &= ~over
    return x


def _fmt(n: float) -> str:
    return f"{n:,.0f}" if math.isfinite(n) else str(n)


def plan_buckets(stats: Sequence[BucketStats], config: MixtureConfig) -> list[BucketPlan]:
    """Target share, tokens, epochs and weight per bucket (same order as ``stats``); see the module
    docstring. Raises InfeasibleMixture naming the binding cap."""
    _check_buckets(stats)
    n = len(stats)
    tokens = np.array([float(s.tokens) for s in stats])
    mult = np.array([config.multiplier(s.tier) for s in stats])
    selected = (tokens > 0) & (mult > 0)
    me = float(config.max_epochs)
    caps = np.where(selected, me * tokens, 0.0)
    natural = float(tokens[selected].sum())
    budget = float(config.token_budget) if config.token_budget is not None else natural
    target = np.zeros(n)
    if budget > 0:
        if natural == 0:
            raise InfeasibleMixture(f"token_budget {_fmt(budget)} demanded but no bucket has selected tokens")
        if budget > me * natural * (1 + 1e-12):
            raise InfeasibleMixture(
                f"token_budget {_fmt(budget)} exceeds the cap max_epochs={me:g} x {_fmt(natural)} selected "
                f"tokens = {_fmt(me * natural)} over all buckets")
        sources: dict[str, list[int]] = {}
        for i, s in enumerate(stats):
            if selected[i]:
                sources.setdefault(s.source, []).append(i)
        src_target = _source_targets(stats, sources, tokens, caps, budget, config)
        _language_targets(stats, sources, src_target, tokens, mult, caps, float(config.language_temperature), target)
    share = target / budget if budget > 0 else target
    base = _integer_targets(target, budget, selected, caps, [s.name for s in stats])
    out = []
    for i, s in enumerate(stats):
        tt = int(base[i])
        out.append(BucketPlan(name=s.name, source=s.source, lang=s.lang, tier=s.tier, docs=s.docs, chars=s.chars,
                              tokens=s.tokens, target_share=float(share[i]), target_tokens=tt,
                              epochs=tt / s.tokens if s.tokens > 0 else 0.0, weight=float(share[i])))
    return out


def _check_buckets(stats: Sequence[BucketStats]) -> None:
    names = [s.name for s in stats]
    if len(set(names)) != len(names):
        raise ValueError("bucket names must be unique")
    for s in stats:
        if s.tokens < 0 or s.docs < 0 or s.chars < 0:
            raise ValueError(f"bucket {s.name!r} has negative counts")


def _source_targets(stats, sources: dict[str, list[int]], tokens, caps, budget: float,
                    config: MixtureConfig) -> dict[str, float]:
    """Tokens per source: named sources get their ratio of the budget, the others share the rest
    in proportion to their size (water-filled under their caps). Raises InfeasibleMixture."""
    me = float(config.max_epochs)
    ratios = dict(config.source_ratios)
    for src, r in ratios.items():
        if r > 0 and src not in sources:
            raise InfeasibleMixture(f"source {src!r} has ratio {r:g} (demands {_fmt(r * budget)} tokens) "
                                    f"but no selected tokens")
    named = [s for s in sources if s in ratios]
    unnamed = [s for s in sources if s not in ratios]
    rest = max(0.0, 1.0 - sum(ratios.values()))
    if not unnamed and named:
        tot = sum(ratios[s] for s in named)
        if tot <= 0:
            raise InfeasibleMixture("every source with data has source ratio 0: nothing to sample")
        ratios = {s: ratios[s] / tot for s in named}
        rest = 0.0
    src_target: dict[str, float] = {s: ratios[s] * budget for s in named}

    def describe(srcs):
        parts = [f"{stats[i].name} {_fmt(tokens[i])} tokens" for s in srcs for i in sources[s]]
        return ", ".join(parts[:8]) + (f", ... ({len(parts)} buckets)" if len(parts) > 8 else "")

    for s in named:
        cap_s = caps[sources[s]].sum()
        if src_target[s] > cap_s * (1 + 1e-12):
            raise InfeasibleMixture(
                f"source {s!r} ratio {ratios[s]:g} demands {_fmt(src_target[s])} tokens but max_epochs="
                f"{me:g} caps it at {_fmt(cap_s)} ({_fmt(tokens[sources[s]].sum())} tokens: {describe([s])})")
    if unnamed and rest > 0:
        pool = rest * budget
        sizes = [tokens[sources[s]].sum() for s in unnamed]
        cap_u = [caps[sources[s]].sum() for s in unnamed]
        if pool > sum(cap_u) * (1 + 1e-12):
            raise InfeasibleMixture(
                f"sources not in source_ratios ({', '.join(repr(s) for s in unnamed)}) share the remainder "
                f"{rest:g} = {_fmt(pool)} tokens but max_epochs={me:g} caps them at {_fmt(sum(cap_u))} "
                f"({_fmt(sum(sizes))} tokens: {describe(unnamed)})")
        for s, x in zip(unnamed, waterfill(pool, sizes, cap_u)):
            src_target[s] = float(x)
    return src_target


def _language_targets(stats, sources: dict[str, list[int]], src_target: dict[str, float], tokens, mult, caps,
                      alpha: float, target: np.ndarray) -> None:
    """Within each source, tokens per language (temperature ``alpha`` over language sizes) and per
    bucket (size x tier multiplier), water-filled under the caps, into ``target``."""
    for s, idx in sources.items():
        t_s = src_target.get(s, 0.0)
        if t_s <= 0:
            continue
        langs: dict[str, list[int]] = {}
        for i in idx:
            langs.setdefault(stats[i].lang, []).append(i)
        lang_list = sorted(langs)
        n_l = np.array([tokens[langs[l]].sum() for l in lang_list])
        pref = n_l ** alpha
        cap_l = [caps[langs[l]].sum() for l in lang_list]
        for l, t_l in zip(lang_list, waterfill(min(t_s, sum(cap_l)), pref / pref.sum(), cap_l)):
            ii = langs[l]
            target[ii] = waterfill(min(t_l, caps[ii].sum()), tokens[ii] * mult[ii], caps[ii])


def _integer_targets(target: np.ndarray, budget: float, selected, caps, names: list[str]) -> np.ndarray:
    """Integer targets summing to round(budget), never above a bucket's cap (largest remainders first)."""
    base = np.floor(target + 1e-9)
    missing = int(round(budget)) - int(base.sum())
    if missing > 0:
        frac = target - base
        room = [i for i in range(len(target)) if selected[i] and base[i] + 1 <= caps[i] + 1e-9 and target[i] > 0]
        order = sorted(room, key=lambda i: (-frac[i], names[i]))
        for i in order[:missing]:
            base[i] += 1
    return base


# --------------------------------------------------------------------------- documents

def doc_weights(quality_scores: Sequence[float | None], cluster_sizes: Sequence[int | None],
                config: MixtureConfig) -> list[float]:
    """Per-document weight ``q ** quality_exponent / cluster_size ** cluster_size_exponent``."""
    if len(quality_scores) != len(cluster_sizes):
        raise ValueError("quality_scores and cluster_sizes differ in length")
    q = np.array([np.nan if v is None else float(v) for v in quality_scores], dtype=float)
    finite = np.isfinite(q)
    if not finite.all():
        q[~finite] = q[finite].mean() if finite.any() else 1.0
    q = np.clip(q, 0.0, None)
    cs = np.array([1.0 if v is None else float(v) for v in cluster_sizes], dtype=float)
    cs = np.where(np.isfinite(cs) & (cs >= 1.0), cs, 1.0)
    w = np.power(q, config.quality_exponent) / np.power(cs, config.cluster_size_exponent)
    return w.tolist()


def topic_weight(share: float, size: float, mean_size: float, config: MixtureConfig) -> float:
    """Weight factor of a document in a topic of ``size`` documents (``mean_size`` the mean over its
    language's topics): ``(size / mean_size) ** -topic_size_exponent``. (``topic_cap`` is not a
    per-document factor: it is solved on the mixture's tokens, ``topic_cap_scales``.)"""
    factor = 1.0
    if config.topic_size_exponent and size > 0 and mean_size > 0:
        factor *= (size / mean_size) ** -config.topic_size_exponent
    return factor


def topic_mixture_shares(targets: Mapping[str, float], weighted: Mapping[str, Mapping[str, float]],
                         factors: Mapping[str, float] | None = None) -> dict[str, float]:
    """Each topic's share of the mixture tokens of the buckets given (one language): in bucket b,
    a document's tokens in the mixture are ``target_b * w * tokens / sum over b of (w * tokens)``,
    so topic T holds ``sum_b target_b * f_T a_Tb / sum_T' f_T' a_T'b`` over ``sum_b target_b``
    (``weighted[b][T]`` = a_Tb, the weighted tokens of T in b; key "" = documents without a topic,
    factor 1; ``factors`` f_T, default 1)."""
    factors = factors or {}
    total = sum(t for b, t in targets.items() if sum(weighted.get(b, {}).values()) > 0)
    out: dict[str, float] = {}
    if total <= 0:
        return out
    for b, t in targets.items():
        w = weighted.get(b, {})
        denom = sum(factors.get(k, 1.0) * a for k, a in w.items())
        if denom <= 0:
            continue
        for k, a in w.items():
            out[k] = out.get(k, 0.0) + t * factors.get(k, 1.0) * a / denom / total
    return out


def topic_cap_scales(shares: Mapping[str, float], cap: float) -> dict[str, float]:
    """{topic: g}: how much each topic's tokens in its language's mixture are scaled (``shares`` from
    ``topic_mixture_shares``; key "" = documents without a topic) so that every topic above ``cap``
    holds exactly ``cap`` and everything else is scaled by one common factor, keeping its
    proportions; the language's total stays (``sum g * share = 1``). Capping lifts the others: a topic
    lifted over the cap is capped too. When the capped topics would be all there is, the cap cannot
    hold and they get equal shares instead (so a language's only topic is never capped). {} when no
    topic is above the cap."""
    topics = sorted(k for k, v in shares.items() if k and v > 0)
    capped: list[str] = []
    while True:
        rest = sum(v for k, v in shares.items() if k not in capped)
        room = 1.0 - cap * len(capped)
        u = room / rest if rest > 0 else 0.0
        over = [k for k in topics if k not in capped and shares[k] * u > cap + 1e-12]
        if not over:
            break
        capped = sorted(capped + over)
        if len(capped) == len(topics) and sum(v for k, v in shares.items() if not k) <= 0:
            if len(topics) == 1:
                return {}
            return {k: (1.0 / len(topics)) / shares[k] for k in topics}
    if not capped:
        return {}
    return {k: (cap / v if k in capped else u) for k, v in shares.items()}


def topic_cap_factors(targets: Mapping[str, float], weighted: Mapping[str, Mapping[str, float]],
                      cap: float) -> dict[str, float]:
    """Weight factors {topic: f < 1} that bring every topic above ``cap`` of the mixture tokens of one
    language (``topic_mixture_shares``) down to exactly ``cap``, the other topics keeping factor 1
    (so inside each bucket their tokens keep their proportions, and bucket targets do not move).

    Capping one topic raises the others; one that then exceeds the cap is capped too. Each capped
    topic's factor is solved by bisection on log f with the others held (Gauss-Seidel sweeps until
    the shares agree to 1e-12). When the capped topics would be all there is (no topic left below
    the cap, no documents without a topic), the cap cannot hold: they get equal shares instead, so a
    language's only topic is never capped. Factors stay in [1e-9, 1]: where a bucket holds nothing
    but capped topics the cap may be out of reach, and the share comes as near as that allows
    (``topic_mixture_shares`` tells). Deterministic: topics are visited in sorted order."""
    topics = sorted({k for w in weighted.values() for k, a in w.items() if k and a > 0})
    others = sum(a for w in weighted.values() for k, a in w.items() if not k)
    factors: dict[str, float] = {}
    capped: list[str] = []
    for _ in range(len(topics) + 1):
        shares = topic_mixture_shares(targets, weighted, factors)
        over = [k for k in topics if k not in capped and shares.get(k, 0.0) > cap + 1e-12]
        if not over:
            break
        capped = sorted(capped + over)
        target = cap if (len(capped) < len(topics) or others > 0) else 1.0 / len(topics)
        for _sweep in range(100):
            worst = 0.0
            for k in capped:
                lo, hi = math.log(1e-9), 0.0
                for _bis in range(80):
                    mid = (lo + hi) / 2
                    if topic_mixture_shares(targets, weighted, {**factors, k: math.exp(mid)}).get(k, 0.0) > target:
                        hi = mid
                    else:
                        lo = mid
                new = math.exp((lo + hi) / 2)
                worst = max(worst, abs(math.log(new / factors.get(k, 1.0))))
                factors[k] = new
            if worst < 1e-12:
                break
        if target != cap:
            top = max(factors.values())
            factors = {k: f / top for k, f in factors.items()}
            break
    return {k: f for k, f in factors.items() if abs(f - 1.0) > 1e-12}


def topic_cap_plan(targets: Mapping[str, float], weighted: Mapping[str, Mapping[str, float]], cap: float,
                   limits: Mapping[str, float] | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """The topic cap for the buckets of one language: (new bucket targets, {topic: weight factor}).

    ``topic_cap_scales`` says how much each topic's mixture tokens scale; a bucket's proportional
    target is the sum of its topics' scaled tokens (``target_b * sum_T g_T a_Tb / sum_T a_Tb``, so
    the language's total is unchanged), and inside the bucket the capped topics' documents weigh
    ``g_T / g_others`` (< 1) against the others' 1. Every topic then keeps its own spread over the
    buckets (tiers), the capped ones hold exactly ``cap`` and the others keep their proportions.

    ``limits`` (a bucket's most tokens: max_epochs x its tokens) may forbid that plan: a small
    bucket of other topics beside a capped topic that fills the language would need many epochs.
    The targets then move from the old ones towards the proportional ones only as far as every
    limit allows (the largest such step, the total still unchanged), and the capped topics' factors
    are solved on those targets (``topic_cap_factors``): the cap still holds, the other topics'
    proportions hold inside each bucket only. Targets are floats; ({targets}, {}) when nothing is
    capped."""
    shares = topic_mixture_shares(targets, weighted)
    g = topic_cap_scales(shares, cap)
    if not g:
        return dict(targets), {}
    ref = max(g.values())   # the others' common scale (a capped topic's g_T = cap / share < it)
    new_targets = {}
    for b, t in targets.items():
        w = weighted.get(b, {})
        total = sum(w.values())
        new_targets[b] = t * sum(g.get(k, 1.0) * a for k, a in w.items()) / total if total > 0 else float(t)
    step = 1.0
    for b, t in new_targets.items():
        limit = (limits or {}).get(b, math.inf)
        if t > limit * (1 + 1e-12):
            step = min(step, max(0.0, (limit - targets[b]) / (t - targets[b])))
    if step >= 1.0:
        return new_targets, {k: v / ref for k, v in g.items() if abs(v / ref - 1.0) > 1e-12}
    moved = {b: targets[b] + step * (new_targets[b] - targets[b]) for b in targets}
    return moved, topic_cap_factors(moved, weighted, cap)


def topic_table(sizes: Mapping[str, int], cutoffs: Mapping[str, float] | None = None) -> dict:
    """{topic id "<lang>:<k>": count} -> {topic: {"size", "share" (of its language), "mean_size"
    (of its language's topics), "cutoff" (pruning distance, when given)}}."""
    by_lang: dict = {}
    for topic, n in sizes.items():
        by_lang.setdefault(topic.rsplit(":", 1)[0], []).append(n)
    out = {}
    for topic, n in sizes.items():
        lang_sizes = by_lang[topic.rsplit(":", 1)[0]]
        out[topic] = {"size": n, "share": n / sum(lang_sizes), "mean_size": sum(lang_sizes) / len(lang_sizes),
                      "cutoff": (cutoffs or {}).get(topic)}
    return out


def doc_repeats(tokens: Sequence[int], weights: Sequence[float], bucket_target_tokens: float,
                max_repeats: float | None = None) -> list[float]:
    """Fractional repeats ``∝ weights`` with ``sum(tokens_i * repeats_i) == bucket_target_tokens``.
    All-zero weights fall back to uniform. ``max_repeats`` caps one document (water-filling);
    InfeasibleMixture when the capped documents cannot reach the target."""
    t = np.asarray(tokens, dtype=float)
    w = np.asarray(weights, dtype=float)
    if t.shape != w.shape:
        raise ValueError("tokens and weights differ in length")
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and >= 0")
    target = float(bucket_target_tokens)
    if target <= 0 or len(t) == 0:
        if target > 0:
            raise InfeasibleMixture(f"bucket target {_fmt(target)} tokens but the bucket has no documents")
        return [0.0] * len(t)
    if (t * w).sum() <= 0:
        w = np.ones_like(w)
        if t.sum() <= 0:
            raise InfeasibleMixture(f"bucket target {_fmt(target)} tokens but its documents have 0 tokens")
    if max_repeats is None:
        return (w * (target / (t * w).sum())).tolist()
    # x_i = tokens_i * repeats_i = min(tokens_i * max_repeats, lam * tokens_i * w_i)
    live = t * w > 0
    if (t[live] * max_repeats).sum() < target * (1 - 1e-12):
        raise InfeasibleMixture(f"bucket target {_fmt(target)} tokens exceeds max_repeats={max_repeats:g} x "
                                f"{_fmt(t[live].sum())} tokens of its weighted documents")
    x = waterfill(target, t * w, t * max_repeats)
    return np.divide(x, t, out=np.zeros_like(x), where=t > 0).tolist()


def hash_order_key(doc_id: str, seed: int) -> int:
    """64-bit order key of a document id under a seed (xxh3_64 of id and seed)."""
    return xxhash.xxh3_64_intdigest(f"{doc_id}\x1f{seed}".encode("utf-8", "surrogatepass"))


def _diffuse_copies(r: np.ndarray, t: np.ndarray, order: np.ndarray, seed: int) -> list[int]:
    """floor(r) copies plus one more where the running token error, started at a seeded offset,
    reaches half the document's tokens (walking ``order``)."""
    base = np.floor(r)
    frac = r - base
    out = base.astype(np.int64)
    error = (xxhash.xxh3_64_intdigest(f"offset\x1f{seed}".encode()) / 2.0 ** 64 - 0.5) * float(t.max() or 1.0) * 0.5
    for i in order:
        if frac[i] <= 0.0:
            continue
        error += frac[i] * t[i]
        if error >= 0.5 * t[i]:
            out[i] += 1
            error -= t[i]
    return out.tolist()


def realize_copies(ids: Sequence[str], repeats: Sequence[float], seed: int,
                   tokens: Sequence[int] | None = None) -> list[int]:
    """Integer copies per document (input order) from fractional ``repeats``: systematic sampling with
    one offset per seed along the order of ``hash_order_key(id, seed)``, after rescaling repeats so
    they sum to ``round(sum(repeats))``. Each document gets floor or ceil of its rescaled repeats, the
    total is exactly ``round(sum(repeats))``, and the result does not depend on the input order.

    With ``tokens``, the rounding is done in token space instead (error diffusion along the same
    hash order): each document still gets floor or ceil of its repeats, and the realized tokens
    ``sum(copies * tokens)`` stay within one largest document of ``sum(repeats * tokens)``,
    which is what keeps a bucket's token share on target when document sizes vary."""
    n = len(ids)
    if len(repeats) != n:
        raise ValueError("ids and repeats differ in length")
    if n == 0:
        return []
    r = np.asarray(repeats, dtype=float)
    if (r < 0).any() or not np.isfinite(r).all():
        raise ValueError("repeats must be finite and >= 0")
    s = float(r.sum())
    total = int(round(s))
    if total == 0:
        return [0] * n
    keys = np.fromiter((hash_order_key(i, seed) for i in ids), dtype=np.uint64, count=n)
    order = np.lexsort((r, keys))  # by key, ties (same id) by repeats
    if len(np.unique(keys)) != n:  # 64-bit collision or duplicate ids: order ties by id too
        order = np.array(sorted(range(n), key=lambda i: (int(keys[i]), str(ids[i]), float(r[i]))))
    if tokens is not None:
        return _diffuse_copies(r, np.asarray(tokens, dtype=float), order, seed)
    cum = np.cumsum(r[order] * (total / s))
    cum[-1] = total
    u = xxhash.xxh3_64_intdigest(f"offset\x1f{seed}".encode()) / 2.0 ** 64  # in [0, 1)
    points = np.ceil(cum - u)
    points[-1] = total
    copies_sorted = np.diff(np.concatenate(([0.0], points))).astype(np.int64)
    out = np.empty(n, dtype=np.int64)
    out[order] = copies_sorted
    return out.tolist()
