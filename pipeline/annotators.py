"""Adapters from pure scorers in ``filters/`` to annotate-stage columns.

An annotator has a ``name``, ``setup()`` (load models: called once per worker in DoFn.setup) and
``annotate(rows, count)``, which adds its columns to each row dict of a batch in place.
"""
from __future__ import annotations

from pipeline.config import Config


class LidAnnotator:
    """lang, lang_score, lang_script, lang_mix, lang_detector and paragraph language spans."""
    name = "lid"

    def __init__(self, config):
        self.config = config
        self.identifier = None

    def setup(self):
        import dataclasses
        from filters.langid import LanguageIdentifier
        from pipeline.fs import local_copy
        cfg = self.config
        if cfg.fasttext_model:
            cfg = dataclasses.replace(cfg, fasttext_model=local_copy(cfg.fasttext_model))
        self.identifier = LanguageIdentifier(cfg)

    def annotate(self, rows, count):
        texts = [r["text"] for r in rows]  # paragraphs: filters.segment.paragraph_spans (the default)
        for row, result in zip(rows, self.identifier.annotate_batch(texts, count=count, score_key="lang_score")):
            row["lang"] = result.lang
            row["lang_score"] = float(result.lang_score)
            row["lang_script"] = result.lang_script
            row["lang_detector"] = result.detector
            row["lang_mix"] = sorted(result.lang_mix.items())
            row["paragraphs"] = result.paragraphs  # {start, end, lang, lang_score (a float)} each




class QualityAnnotator:
    """quality_score, quality_tier, quality_failed_rules, quality_signals, sentence spans and
    paragraph scores (after LID: uses each document's language and paragraph spans)."""
    name = "quality"

    def __init__(self, config, model_path=None):
        self.config, self.model_path = config, model_path
        self.scorer = self.model = None
        self.timings: dict[str, float] = {}   # CPU seconds per signal group, summed over batches

    def setup(self):
        from filters.quality import QualityScorer
        self.scorer = QualityScorer(self.config)
        if self.model_path:
            from filters.classifier import TextClassifier
            from pipeline.fs import local_copy
            self.model = TextClassifier(local_copy(self.model_path, sidecars=(".json",)))

    def annotate(self, rows, count):
        model_scores = None
        if self.model is not None:
            model_scores = self.model.predict_proba([r["text"] for r in rows], "hq", count=count)
        scored = self.scorer.score_batch([r["text"] for r in rows], [r.get("lang") for r in rows],
                                         [r.get("paragraphs") for r in rows],     # dicts with start / end
                                         model_scores=model_scores, count=count, timings=self.timings)
        for row, q in zip(rows, scored):
            row["quality_score"] = float(q.quality_score)
            row["quality_tier"] = q.quality_tier
            row["quality_failed_rules"] = list(q.failed_rules)
            row["quality_signals"] = q.signals
            row["sentences"] = q.sentences
            paragraphs = row.get("paragraphs")
            if paragraphs is None:
                row["paragraphs"] = [dict(p) for p in q.paragraphs]
            else:
                for p, scored_p in zip(paragraphs, q.paragraphs):
                    p["score"], p["flags"] = scored_p["score"], scored_p["flags"]


class SafetyAnnotator:
    """pii, badword_*, url_category, toxicity_score (and paragraph toxicity)."""
    name = "safety"

    def __init__(self, config):
        self.config = config
        self.words = self.urls = self.toxicity = None

    def setup(self):
        from filters.blocklist import WordBlocklist, load_allow_terms, load_term_weights
        from filters.urlfilter import UrlBlocklist
        c = localized_safety(self.config)
        words = None
        weights = load_term_weights(c.badword_weights) if c.badword_weights != "" else None
        allow = load_allow_terms(c.badword_allow) if c.badword_allow != "" else ()
        for d in c.ldnoobw_dirs:
            part = WordBlocklist.from_ldnoobw_dir(d, term_weights=weights, short_weight=c.badword_short_weight,
                                                  allow_terms=allow)
            words = part if words is None else words.merge(part)
        for d in c.category_dirs:
            part = WordBlocklist.from_category_dir(d, categories=list(c.categories) if c.categories else None,
                                                   exclude=tuple(c.exclude_categories), weight=c.category_weight)
            words = part if words is None else words.merge(part)
        self.words = words
        urls = None
        if c.url_dir:
            urls = UrlBlocklist.from_ut1_dir(c.url_dir, categories=c.url_categories, allow=c.url_allow_categories)
        if c.url_host_files:
            urls = urls or UrlBlocklist(allow=c.url_allow_categories)
            for category, path in sorted(c.url_host_files.items()):
                urls.add_host_file(category, path)
        self.urls = urls
        if c.toxicity_model:
            from filters.toxicity import ToxicityScorer
            self.toxicity = ToxicityScorer(c.toxicity_model)

    def annotate(self, rows, count):
        from filters.pii import find_pii
        pii, words, urls = self.config.pii, self.words, self.urls
        min_share = self.config.badword_min_lang_share
        for row in rows:
            text = row["text"]
            row["pii"] = find_pii(text, count=count) if pii else []
            if words is not None:
                lang = row.get("lang") or "und"
                mix = row.get("lang_mix")
                langs = sorted({lang, *[m for m, share in mix if share >= min_share]}) if mix else [lang]
                found = words.scan(text, langs, count=count)
                row.update(badword_count=found.hits, badword_distinct=found.distinct,
                           badword_score=float(found.score), badword_max_weight=float(found.max_weight),
                           badword_ratio=float(found.hit_ratio), badword_categories=list(found.categories),
                           badword_spans=[{"start": s["start"], "end": s["end"], "category": s["category"]}
                                          for s in found.spans] if found.spans else [])
            else:
                row.update(badword_count=0, badword_distinct=0, badword_score=0.0, badword_max_weight=0.0,
                           badword_ratio=0.0,
                           badword_categories=[],
                           badword_spans=[])
            url = row.get("url")
            row["url_category"] = urls.category(url, count=count) if urls is not None and url else None
        if self.toxicity is not None:
            langs = self.config.toxicity_langs
            scored = [r for r in rows if langs is None or r.get("lang") in langs]
            if len(scored) < len(rows):
                count("toxicity_skipped_lang", len(rows) - len(scored))
            scores = self.toxicity.score_batch([r["text"] for r in scored], count=count) if scored else []
            for row, score in zip(scored, scores):
                row["toxicity_score"] = float(score)
            if self.config.toxicity_paragraphs:
                texts, where = [], []
                for row in rows:
                    for p in row.get("paragraphs") or []:
                        if langs is None or p.get("lang") in langs:
                            texts.append(row["text"][p["start"]:p["end"]])
                            where.append(p)
                for p, score in zip(where, self.toxicity.score_batch(texts) if texts else []):
                    p["toxicity"] = float(score)


class EmbeddingAnnotator:
    """embedding: the document's unit vector (float16) from a static embedding model; null when the
    document has no token the model knows. ``schema(base)`` adds the column and its dimension."""
    name = "embedding"

    def __init__(self, model: str):
        self.model = model
        self.embedder = None

    def setup(self):
        from filters.embedding import Embedder
        from pipeline.fs import local_copy
        self.embedder = Embedder(local_copy(self.model))

    def schema(self, base):
        from schemas import with_embedding
        return with_embedding(base, self.embedder.dim, self.embedder.model_id)

    def annotate(self, rows, count):
        import numpy as np
        vectors, mask = self.embedder.embed([r["text"] for r in rows], [r.get("lang") for r in rows], count=count)
        half = vectors.astype(np.float16)
        for row, vec, ok in zip(rows, half, mask.tolist()):
            row["embedding"] = vec if ok else None


def localized_safety(c):
    """The safety config with every list and model path readable by ``filters/``: ``builtin:``
    names resolved to the shipped lists, gs://, s3://... files and folders copied once per worker
    machine."""
    import dataclasses
    from filters.paths import resolve_resource
    from pipeline.fs import local_copy

    def local(path, **kw):
        return local_copy(resolve_resource(path), **kw)
    return dataclasses.replace(
        c, ldnoobw_dirs=tuple(local(d) for d in c.ldnoobw_dirs),
        category_dirs=tuple(local(d) for d in c.category_dirs),
        url_dir=local(c.url_dir),
        url_host_files={k: local(v) for k, v in c.url_host_files.items()},
        badword_weights=local(c.badword_weights), badword_allow=local(c.badword_allow),
        toxicity_model=local(c.toxicity_model, sidecars=(".json",)))


def build_annotators(config: Config) -> list:
    """The annotators the config enables, in dependency order (language first)."""
    a = config.annotate
    annotators = [LidAnnotator(a.lid), QualityAnnotator(a.quality, a.quality_model), SafetyAnnotator(a.safety)]
    if a.embedding_model:
        annotators.append(EmbeddingAnnotator(a.embedding_model))
    return annotators
