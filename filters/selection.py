"""Selection: one annotated document (plus its cluster and repetition rows) in, a decision out.

Thresholds apply here, never at annotate time, so a new threshold re-runs only the manifest.
Rules in order; the first that fails names the rejection reason:

  lang_und, lang_not_selected, lang_score_low   language (per-language minimum scores)
  duplicate                                     dedup policy ``representatives`` (``downweight``
                                                multiplies a non-representative's weight instead)
  semantic_duplicate                            dedup policy ``semantic_representatives``: MinHash
                                                duplicates go as above, then only the representative
                                                of each semantic (embedding) cluster is kept;
                                                ``semantic_downweight`` keeps the semantic cluster and
                                                multiplies each member's weight by size**-exponent
  url_blocked                                   URL list category (``url_block_categories``)
  badwords, toxic                               safety policy ``drop`` (``downweight`` multiplies
                                                the document weight instead; ``keep`` ignores)
  quality_low                                   quality_score below the language's minimum
  pii                                           pii policy ``drop`` and the document holds PII
  too_short_after_cuts                          what is left after cuts is below ``min_chars``

Kept documents get their text cut (sentences and paragraphs scored below the cuts, paragraphs and
sentences repeated in at least ``cut_repeated_min_docs`` documents, paragraphs scored toxic) and
PII redacted with typed placeholders (``<EMAIL>``...), in one pass over the original offsets.
Every cut and redaction is returned with its reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from filters.blocklist import badword_flagged
from filters.counting import Count, no_count
from filters.quality import DEFAULT as QUALITY_DEFAULT

_BLANKS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t]{2,}")


@dataclass(frozen=True)
class SelectionConfig:
    """Named, per-language thresholds and policies (see module docstring)."""
    drop_und: bool = True
    languages: Optional[tuple[str, ...]] = None      # keep only these (None: every language)
    min_lang_score: float = 0.5
    lang_min_score: dict[str, float] = field(default_factory=dict)     # per-language overrides
    min_quality: float = 0.3
    lang_min_quality: dict[str, float] = field(default_factory=dict)   # per-language overrides
    dedup_policy: str = "representatives"            # representatives | downweight | keep |
                                                     # semantic_representatives | semantic_downweight
    semantic_downweight_exponent: float = 1.0        # semantic_downweight: weight x semantic_cluster_size**-this
    url_block_categories: Optional[tuple[str, ...]] = None   # None: every blocking category
    badword_policy: str = "drop"                     # drop | downweight | keep
    badword_min_score: float = 2.0                   # badword_score (weighted distinct entries) that flags a doc
    badword_weak_only_min_score: float = 2.5         # ... when every entry found is weak (weight < 1)
    badword_density_chars: int = 50_000              # longer docs need min_score per this many chars (0: off)
    badword_min_distinct: int = 2                    # ... on annotations without badword_score: distinct entries
    badword_max_ratio: float = 0.0                   # ... and more than this share of words (0: any)
    toxicity_policy: str = "downweight"              # drop | downweight | keep (needs a model)
    toxicity_threshold: float = 0.8
    downweight_factor: float = 0.1                   # weight multiplier of down-weighted documents
    pii_policy: str = "redact"                       # redact | drop | keep
    cut_sentence_below: float = QUALITY_DEFAULT.sentence_cut    # cut sentences scored below (0: no cut)
    cut_paragraph_below: float = QUALITY_DEFAULT.paragraph_cut  # cut paragraphs scored below (0: no cut)
    cut_repeated_min_docs: int = 10                  # cut units held by this many documents (0: off)
    cut_site_lines_min_pages: int = 3                # cut lines repeated on this many pages of the host (0: off)
    site_lines_max_frac: float = 0.8                 # ... unless they would cut more of the text than this
                                                     # (near-copies of one page share all lines: dedup's job)
    cut_toxic_paragraphs_above: Optional[float] = None
    min_chars: int = 50                              # reject when less text than this is left

    def __post_init__(self):
        for name, allowed in (("dedup_policy", ("representatives", "downweight", "keep", "semantic_representatives",
                                                "semantic_downweight")),
                              ("badword_policy", ("drop", "downweight", "keep")),
                              ("toxicity_policy", ("drop", "downweight", "keep")),
                              ("pii_policy", ("redact", "drop", "keep"))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")
        for name in ("min_lang_score", "min_quality", "toxicity_threshold", "downweight_factor",
                     "cut_sentence_below", "cut_paragraph_below", "site_lines_max_frac"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]; got {getattr(self, name)!r}")
        if self.semantic_downweight_exponent < 0:
            raise ValueError("semantic_downweight_exponent must be >= 0")
        if self.cut_repeated_min_docs < 0 or self.cut_site_lines_min_pages < 0 or self.min_chars < 0 or self.badword_min_distinct < 1 or \
                self.badword_min_score <= 0 or self.badword_weak_only_min_score <= 0 or self.badword_density_chars < 0:
            raise ValueError("cut_repeated_min_docs, min_chars and badword_density_chars must be >= 0, "
                             "badword_min_distinct >= 1, badword_min_score and badword_weak_only_min_score > 0")

    def __hash__(self):
        """Every field counts (dict fields are unhashable, so hash their sorted JSON form)."""
        import json
        from dataclasses import asdict
        return hash(json.dumps(asdict(self), sort_keys=True, default=str))


@dataclass
class Decision:
    """keep or the rejection ``reason``; for kept documents the final ``text``, ``cuts`` and
    ``redactions`` (offsets in the annotated text) and the weight multiplier from policies."""
    keep: bool
    reason: Optional[str] = None
    detail: str = ""
    text: str = ""
    cuts: list = field(default_factory=list)
    redactions: list = field(default_factory=list)
    weight_factor: float = 1.0
    actions: list = field(default_factory=list)


def _reject(reason: str, detail: str = "") -> Decision:
    return Decision(keep=False, reason=reason, detail=detail)


def select(doc: dict, cluster: Optional[dict], repeats: Optional[dict], cfg: SelectionConfig,
           count: Count = no_count) -> Decision:
    """Apply the rules to one annotated document (a dict of schemas.ANNOTATED columns). Counts
    ``badwords.flagged`` for a document over the bad-word thresholds, whatever the policy does."""
    lang = doc.get("lang") or "und"
    if lang == "und" and cfg.drop_und:
        return _reject("lang_und")
    if cfg.languages is not None and lang not in cfg.languages:
        return _reject("lang_not_selected", lang)
    min_score = cfg.lang_min_score.get(lang, cfg.min_lang_score)
    if (doc.get("lang_score") or 0.0) < min_score:
        return _reject("lang_score_low", f"{lang} {doc.get('lang_score', 0.0):.3f} < {min_score}")
    weight, actions = 1.0, []
    if cluster is not None and cluster.get("cluster_size", 1) > 1:
        if not cluster.get("is_representative", True):
            if cfg.dedup_policy in ("representatives", "semantic_representatives", "semantic_downweight"):
                kept = cluster.get("representative_id") or cluster.get("cluster_id")
                return _reject("duplicate", f"{cluster.get('match')} duplicate of {kept} "
                                            f"(cluster of {cluster.get('cluster_size')})")
            if cfg.dedup_policy == "downweight":
                weight *= cfg.downweight_factor
                actions.append("downweight:duplicate")
    semantic_size = (cluster or {}).get("semantic_cluster_size") or 1
    if semantic_size > 1:
        if cfg.dedup_policy == "semantic_representatives" and \
                cluster.get("semantic_representative_id") not in (None, doc.get("id")):
            return _reject("semantic_duplicate", f"semantic duplicate of {cluster['semantic_representative_id']} "
                                                 f"(cluster of {semantic_size})")
        if cfg.dedup_policy == "semantic_downweight" and cfg.semantic_downweight_exponent > 0:
            weight *= semantic_size ** -cfg.semantic_downweight_exponent
            actions.append("downweight:semantic_cluster")
    category = doc.get("url_category")
    if category and (cfg.url_block_categories is None or category in cfg.url_block_categories):
        return _reject("url_blocked", category)
    score = doc.get("badword_score")
    flagged = badword_flagged(score, doc.get("badword_max_weight"), len(doc.get("text") or ""),
                              cfg.badword_min_score, cfg.badword_weak_only_min_score,
                              cfg.badword_density_chars) if score is not None else \
        (doc.get("badword_distinct") or 0) >= cfg.badword_min_distinct
    if flagged and (doc.get("badword_ratio") or 0.0) > cfg.badword_max_ratio:
        count("badwords.flagged")
        detail = ",".join(doc.get("badword_categories") or [])
        if cfg.badword_policy == "drop":
            return _reject("badwords", detail)
        if cfg.badword_policy == "downweight":
            weight *= cfg.downweight_factor
            actions.append("downweight:badwords")
    tox = doc.get("toxicity_score")
    if tox is not None and tox >= cfg.toxicity_threshold:
        if cfg.toxicity_policy == "drop":
            return _reject("toxic", f"{tox:.3f}")
        if cfg.toxicity_policy == "downweight":
            weight *= cfg.downweight_factor
            actions.append("downweight:toxic")
    min_quality = cfg.lang_min_quality.get(lang, cfg.min_quality)
    if (doc.get("quality_score") or 0.0) < min_quality:
        return _reject("quality_low", f"{doc.get('quality_score', 0.0):.3f} < {min_quality}")
    pii = doc.get("pii") or []
    if pii and cfg.pii_policy == "drop":
        return _reject("pii", ",".join(sorted({p["type"] for p in pii})))

    text = doc["text"]
    cuts = _cuts(doc, repeats, cfg)
    redactions = [] if cfg.pii_policy != "redact" else \
        [p for p in pii if not any(c["start"] <= p["start"] and p["end"] <= c["end"] for c in cuts)]
    final = apply_edits(text, cuts, redactions)
    if len(final) < cfg.min_chars:
        return _reject("too_short_after_cuts", f"{len(final)} characters left of {len(text)}")
    if cuts:
        actions.append("cut")
    if redactions:
        actions.append("redact")
    return Decision(keep=True, text=final, cuts=cuts, redactions=redactions, weight_factor=weight, actions=actions)


def _cuts(doc: dict, repeats: Optional[dict], cfg: SelectionConfig) -> list[dict]:
    """Merged, non-overlapping cut spans with the reason of the first rule that cut each."""
    spans = []
    if cfg.cut_paragraph_below > 0:
        spans += [(p["start"], p["end"], "low_quality_paragraph") for p in doc.get("paragraphs") or []
                  if p.get("score") is not None and p["score"] < cfg.cut_paragraph_below]
    if cfg.cut_toxic_paragraphs_above is not None:
        spans += [(p["start"], p["end"], "toxic_paragraph") for p in doc.get("paragraphs") or []
                  if p.get("toxicity") is not None and p["toxicity"] >= cfg.cut_toxic_paragraphs_above]
    if cfg.cut_sentence_below > 0:
        spans += [(s["start"], s["end"], "low_quality_sentence") for s in doc.get("sentences") or []
                  if s["score"] < cfg.cut_sentence_below]
    if repeats and cfg.cut_repeated_min_docs > 0:
        spans += [(u["start"], u["end"], "repeated") for u in (repeats.get("paragraphs") or []) +
                  (repeats.get("sentences") or []) if u["count"] >= cfg.cut_repeated_min_docs]
    if repeats and cfg.cut_site_lines_min_pages > 0:
        spans += _site_boilerplate(doc.get("text") or "", repeats.get("site_lines") or [], cfg)
    spans.sort(key=lambda s: (s[0], -s[1]))
    merged: list[dict] = []
    for start, end, reason in spans:
        if merged and start <= merged[-1]["end"]:
            merged[-1]["end"] = max(merged[-1]["end"], end)
        else:
            merged.append({"start": start, "end": end, "reason": reason})
    return merged


def _site_boilerplate(text: str, lines: list[dict], cfg: SelectionConfig) -> list[tuple[int, int, str]]:
    """Lines repeated on at least ``cut_site_lines_min_pages`` pages of the document's host (each
    with its newline, so a block of them is one cut); none when together they would take more than
    ``site_lines_max_frac`` of the text (the page is then a near-copy of others, which dedup handles)."""
    n = len(text)
    cut = [(u["start"], min(u["end"] + 1, n), "site_boilerplate") for u in lines
           if u["count"] >= cfg.cut_site_lines_min_pages]
    if not cut or sum(e - s for s, e, _ in cut) > cfg.site_lines_max_frac * max(1, n):
        return []
    return cut


def apply_edits(text: str, cuts: list[dict], redactions: list[dict], placeholder: str = "<{TYPE}>") -> str:
    """Text with cut spans removed and PII spans replaced by typed placeholders; tidy whitespace."""
    edits = [(c["start"], c["end"], "") for c in cuts]
    edits += [(r["start"], r["end"], placeholder.format(TYPE=r["type"].upper())) for r in redactions]
    edits.sort()
    out, pos = [], 0
    for start, end, replacement in edits:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    result = "".join(out)
    if cuts:
        result = "\n".join(line.strip() for line in result.split("\n"))
        result = _SPACES.sub(" ", _BLANKS.sub("\n\n", result)).strip()
    return result
