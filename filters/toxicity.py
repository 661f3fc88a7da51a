"""Toxicity scoring: a thin layer over ``filters.classifier`` for offensive-language models.

The reference model is trained on COLD (Chinese offensive comments, columns ``TEXT``/``label``,
label ``1`` = offensive) with ``train_cold``; ``ToxicityScorer(model_path).score_batch(texts)``
returns P(offensive) in [0, 1]. Nothing is downloaded or trained at import time.
"""
from __future__ import annotations

import os
import zlib
from pathlib import Path


from filters import classifier
from filters.counting import Count


# Character tokens with 1-4-grams, 16 dimensions over 250k hash buckets, NOT quantised: a 16.5 MB
# model. fastText's quantisation (product quantisation, with or without feature pruning) cost 0.4-0.9
# points of dev accuracy and 1.3-1.8 points of cross-topic accuracy (train on two COLD topics, test on
# the third), the measure used here for held-out comments; see benchmarks/results/toxicity.md.
COLD_PARAMS = {"text_col": "TEXT", "label_col": "label", "positive_label": "1", "wordNgrams": 4, "epoch": 10,
               "lr": 0.25, "dim": 16, "bucket": 250_000, "quantize": False}


def _split(examples, mod: int = 10):
    """Deterministic hash split: (train part, held-out part of about 1/mod)."""
    a, b = [], []
    for ex in examples:
        (b if zlib.crc32(ex[0].encode("utf-8")) % mod == 0 else a).append(ex)
    return a, b


def tune_threshold(probs: list[float], labels: list[str], positive_label: str) -> float:
    """Threshold on P(positive) maximising accuracy (ties: closest to 0.5), over a 0.05 grid."""
    best, best_acc = 0.5, -1.0
    for k in range(4, 17):
        thr = k * 0.05
        acc = sum((p >= thr) == (lab == positive_label) for p, lab in zip(probs, labels)) / max(1, len(labels))
        if acc > best_acc + 1e-9 or (abs(acc - best_acc) <= 1e-9 and abs(thr - 0.5) < abs(best - 0.5)):
            best, best_acc = thr, acc
    return round(best, 2)


def train_cold(train_path, dev_path, output_path, params: dict | None = None, tune: bool = True) -> dict:
    """Train the toxicity model on COLD-format data and return the metrics dict of ``classifier.train``.

    With ``tune`` the decision threshold is chosen on a deterministic 10% hash split of the TRAIN
    file (a model trained on the other 90%), never on dev; the final model is then trained on all
    of train and evaluated on ``dev_path`` (may be None) at that threshold.
    """
    p = {**COLD_PARAMS, **(params or {})}
    examples = classifier.read_examples(train_path, p["text_col"], p["label_col"])
    thr = 0.5
    info = {}
    if tune:
        fit, held = _split(examples)
        tmp = str(output_path) + ".tune.ftz"
        classifier.train(fit, None, tmp, {**p, "quantize": False})
        clf = classifier.TextClassifier(tmp)
        probs = clf.predict_proba([t for t, _ in held], p["positive_label"])
        thr = tune_threshold(probs, [lab for _, lab in held], p["positive_label"])
        info = {"tune_split": {"fit": len(fit), "held": len(held), "threshold": thr,
                               "held_metrics": clf.evaluate(held, p["positive_label"], thr)}}
        for f in (tmp, tmp + ".json"):
            if os.path.exists(f):
                os.remove(f)
    dev = None
    if dev_path is not None:
        dev = classifier.read_examples(dev_path, p["text_col"], p["label_col"])
    metrics = classifier.train(examples, dev, output_path, {**p, "threshold": thr})
    metrics.update(info)
    return metrics


class ToxicityScorer:
    """Loads a toxicity model once; ``score_batch`` gives P(toxic) per text."""

    def __init__(self, model_path: str | os.PathLike, positive_label: str | None = None):
        self.clf = classifier.TextClassifier(model_path)
        self.positive_label = positive_label or self.clf.positive_label or "1"
        self.threshold = self.clf.threshold

    def score_batch(self, texts: list[str], count: Count | None = None) -> list[float]:
        """P(toxic) in [0, 1] for each text, in order; 0.0 for empty texts."""
        scores = self.clf.predict_proba(texts, self.positive_label)
        if count is not None:
            count("toxicity_texts", len(texts))
            count("toxicity_flagged", sum(1 for s in scores if s >= self.threshold))
        return scores

    def is_toxic_batch(self, texts: list[str]) -> list[bool]:
        """``score >= threshold`` (the threshold stored with the model) for each text."""
        return [s >= self.threshold for s in self.score_batch(texts)]


def default_cold_paths(shared_data: str | os.PathLike) -> tuple[Path, Path]:
    """(train, dev) paths of COLD under a shared data folder."""
    d = Path(shared_data) / "safety"
    return d / "cold_train.csv.xz", d / "cold_dev.csv"
