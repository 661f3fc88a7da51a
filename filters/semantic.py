"""Semantic duplicates and topics over unit document embeddings (``filters/embedding.py``).
No Beam import: arrays in, keys, pairs, centroids and assignments out.

Semantic duplicates: random-hyperplane LSH (Charikar 2002). One hyperplane bit agrees for two
unit vectors at cosine c with probability p(c) = 1 - arccos(c) / pi; ``bands`` bands of ``rows``
bits make them candidates with probability 1 - (1 - p(c)**rows)**bands. ``lsh_params`` derives
(bands, rows) from the cosine threshold like MinHash's parameters are derived from the Jaccard
threshold (weighted false-negative and false-positive areas under that curve), then candidates
are verified by their exact cosine, so false positives only cost a dot product.

Topics: spherical k-means (cosine k-means: centroids are renormalised means) fitted on a
deterministic sample, k-means++ seeding from a seeded generator, so the same sample and seed give
the same centroids; assignment is the nearest centroid by cosine.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class SemanticDedupConfig:
    """Semantic duplicates (only when the dedup input has an ``embedding`` column).
    threshold: cosine at or above which two documents are linked (None: off).
    max_bits: hyperplane bits per document that bands x rows may use; bands and rows are derived
    from the threshold unless both are given. min_rows: at least this many bits per band (keeps
    LSH buckets of unrelated documents small: about docs / 2**rows members).
    max_bucket_size: bucket members compared pairwise at most (the rest counted, not linked)."""
    threshold: Optional[float] = 0.9
    max_bits: int = 768
    min_rows: int = 12
    bands: Optional[int] = None
    rows: Optional[int] = None
    fn_weight: float = 0.9
    seed: int = 7
    max_bucket_size: int = 1000

    def __post_init__(self):
        if self.threshold is not None and not 0.0 < self.threshold < 1.0:
            raise ValueError("dedup.semantic.threshold must be in (0, 1) or null")
        if (self.bands is None) != (self.rows is None):
            raise ValueError("dedup.semantic.bands and rows go together (or both null: derived)")
        if self.rows is not None and not 1 <= self.rows <= 63:
            raise ValueError("dedup.semantic.rows must be in [1, 63]")
        if self.max_bits < 1 or not 1 <= self.min_rows <= 63 or self.max_bucket_size < 2:
            raise ValueError("dedup.semantic.max_bits and min_rows must be >= 1, max_bucket_size >= 2")
        if not 0.0 < self.fn_weight < 1.0:
            raise ValueError("dedup.semantic.fn_weight must be in (0, 1)")

    @property
    def params(self) -> tuple[int, int]:
        if self.bands is not None:
            return self.bands, self.rows
        return lsh_params(self.threshold or 0.9, self.max_bits, self.min_rows, self.fn_weight)


@dataclass(frozen=True)
class TopicConfig:
    """Topic clusters per language (only when the dedup input has embeddings).
    k: topics per language (0: derived, about sqrt(docs / 50) clamped to [2, max_k]; negative: off).
    sample_per_lang: documents per language the centroids are fitted on (chosen by a hash of id
    and seed, so the same ones every run). min_docs: languages with fewer sampled documents get
    one topic. summary_terms / summary_docs: top terms and nearest documents per topic in the stats.
    restarts: k-means runs per language, seeded (seed, 0), (seed, 1)...; the one with the highest
    total cosine to its centroids (the lowest spherical inertia) is kept."""
    k: int = 0
    max_k: int = 64
    sample_per_lang: int = 5000
    min_docs: int = 20
    iterations: int = 30
    seed: int = 0
    summary_terms: int = 8
    summary_docs: int = 3
    restarts: int = 10

    def __post_init__(self):
        if self.max_k < 1 or self.sample_per_lang < 1 or self.min_docs < 1 or self.iterations < 1 or self.restarts < 1:
            raise ValueError("dedup.topics.max_k, sample_per_lang, min_docs, iterations and restarts must be >= 1")

    @property
    def enabled(self) -> bool:
        return self.k >= 0


def bit_agreement(cosine):
    """P(one random hyperplane puts both vectors on the same side) at this cosine."""
    return 1.0 - np.arccos(np.clip(cosine, -1.0, 1.0)) / math.pi


def candidate_probability(cosine, bands: int, rows: int):
    return 1.0 - (1.0 - bit_agreement(cosine) ** rows) ** bands


@functools.lru_cache(maxsize=32)
def lsh_params(threshold: float, max_bits: int = 768, min_rows: int = 12, fn_weight: float = 0.9) -> tuple[int, int]:
    """(bands, rows) with bands * rows <= max_bits and rows >= min_rows minimising
    fn_weight * (missed area above the threshold) + (1 - fn_weight) * (candidate area between
    cosine 0 and the threshold)."""
    lo = np.linspace(0.0, threshold, 200)
    hi = np.linspace(threshold, 1.0, 200)
    best, best_err = None, math.inf
    for rows in range(min_rows, min(63, max_bits) + 1):
        for bands in range(1, max_bits // rows + 1):
            fp = np.trapezoid(candidate_probability(lo, bands, rows), lo)
            fn = np.trapezoid(1.0 - candidate_probability(hi, bands, rows), hi)
            err = fn_weight * fn + (1.0 - fn_weight) * fp
            if err < best_err - 1e-12:
                best, best_err = (bands, rows), err
    if best is None:
        raise ValueError(f"no LSH parameters with max_bits={max_bits} and min_rows={min_rows}")
    return best


def hyperplanes(dim: int, n: int, seed: int) -> np.ndarray:
    """n random unit normals in ``dim`` dimensions (float32 [n, dim]), the same for a seed."""
    planes = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return planes / np.linalg.norm(planes, axis=1, keepdims=True)


def band_keys(vectors: np.ndarray, planes: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """uint64 [n, bands] bucket keys: each band's ``rows`` sign bits, mixed with the band index
    (so equal bits in different bands are different buckets)."""
    bits = (np.asarray(vectors, dtype=np.float32) @ planes[: bands * rows].T) > 0
    bits = bits.reshape(len(bits), bands, rows)
    weights = np.uint64(1) << np.arange(rows, dtype=np.uint64)
    packed = (bits.astype(np.uint64) * weights).sum(axis=2, dtype=np.uint64)
    band = np.arange(bands, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = packed * np.uint64(0x9E3779B97F4A7C15) + (band + np.uint64(1)) * np.uint64(0xC2B2AE3D27D4EB4F)
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
    return h


def similar_pairs(vectors: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """(i, j), i < j, of the rows of ``vectors`` (unit) whose cosine is >= threshold."""
    v = np.asarray(vectors, dtype=np.float32)
    if len(v) < 2:
        return []
    sims = v @ v.T
    i, j = np.nonzero(np.triu(sims >= threshold - 1e-6, k=1))
    return list(zip(i.tolist(), j.tolist()))


# ---------------------------------------------------------------------------------------------
# Topics

def auto_k(n_docs: int, cfg: TopicConfig) -> int:
    if cfg.k > 0:
        return cfg.k
    return int(min(cfg.max_k, max(2, round(math.sqrt(n_docs / 50)))))


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


def spherical_kmeans(vectors: np.ndarray, k: int, seed: int = 0, iterations: int = 30,
                     restarts: int = 3) -> np.ndarray:
    """Centroids (float32 [k', dim] unit vectors, k' <= k when there are fewer distinct points) of
    cosine k-means; k-means++ seeding; the restart with the highest total cosine wins.
    Deterministic for the same rows in the same order and seed."""
    x = _unit(np.asarray(vectors, dtype=np.float64))
    n = len(x)
    if n == 0:
        return np.zeros((0, x.shape[1] if x.ndim == 2 else 0), dtype=np.float32)
    k = max(1, min(k, n))
    best, best_score = None, -math.inf
    for r in range(restarts):
        rng = np.random.default_rng([seed, r])
        centres = [x[rng.integers(n)]]
        dist = 1.0 - x @ centres[0]
        for _ in range(1, k):
            p = np.clip(dist, 0, None) ** 2
            if p.sum() <= 0:
                break
            c = x[rng.choice(n, p=p / p.sum())]
            centres.append(c)
            dist = np.minimum(dist, 1.0 - x @ c)
        c = np.stack(centres)
        labels = None
        for _ in range(iterations):
            sims = x @ c.T
            new = sims.argmax(axis=1)
            if labels is not None and np.array_equal(new, labels):
                break
            labels = new
            sums = np.zeros_like(c)
            np.add.at(sums, labels, x)
            empty = np.linalg.norm(sums, axis=1) == 0
            sums[empty] = c[empty]
            c = _unit(sums)
        score = float((x @ c.T).max(axis=1).sum())
        if score > best_score + 1e-9:
            best, best_score = c, score
    return best.astype(np.float32)


def assign(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(topic index, 1 - cosine to its centroid) of each row."""
    sims = np.asarray(vectors, dtype=np.float32) @ np.asarray(centroids, dtype=np.float32).T
    idx = sims.argmax(axis=1)
    return idx, (1.0 - sims[np.arange(len(idx)), idx]).astype(np.float32)


def top_terms(docs_tokens: list[list[str]], labels: np.ndarray, k: int, n_terms: int = 8,
              min_count: int = 3) -> list[list[str]]:
    """Per topic, the tokens most over-represented in its documents against all documents
    (document frequency ratio, smoothed, times log count), skipping digits, one-letter Latin
    tokens and tokens in more than a third of all documents (function words)."""
    from collections import Counter
    overall, per = Counter(), [Counter() for _ in range(k)]
    for toks, lab in zip(docs_tokens, labels.tolist()):
        s = {t for t in toks if not t.isdigit() and (len(t) > 1 or not t.isascii())}
        overall.update(s)
        per[lab].update(s)
    n_all = max(1, len(docs_tokens))
    sizes = np.bincount(labels, minlength=k)
    out = []
    for t in range(k):
        scored = []
        for tok, c in per[t].items():
            if c < min_count or overall[tok] > n_all / 3:
                continue
            lift = (c / max(1, sizes[t])) / ((overall[tok] + 1) / (n_all + 1))
            scored.append((-lift * math.log1p(c), tok))
        out.append([tok for _, tok in sorted(scored)[:n_terms]])
    return out
