"""Generic fastText text classifier: training from CSV/JSONL and batch scoring.

Used for toxicity (``filters.toxicity``) and for quality classification; label names are data.

Preprocessing (``preprocess``) works for spaced and unspaced scripts alike: text is NFKC-normalised
and lower-cased, every CJK / Thai / kana / hangul character becomes its own token, runs of other
letters and digits become word tokens, and punctuation marks become single tokens. fastText's word
n-grams (``wordNgrams``) then act as character n-grams over Chinese text and as word n-grams over
spaced text. Character tokens with wordNgrams=4 reach ~90% accuracy on COLD dev (see
benchmarks/results/toxicity.md), need no segmentation dictionary (jieba was not needed) and score
well over 10k short texts/s on one thread.

A trained model is one ``.ftz``/``.bin`` file plus a sidecar ``<model>.json`` holding the
preprocessing name, the labels and an optional decision threshold.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import lzma
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator

import fasttext
from filters.counting import Count, no_count
from filters.scripts import UNSPACED_BLOCKS, char_class




# Characters written without spaces between words (filters.scripts.UNSPACED_BLOCKS: CJK ideographs,
# kana, hangul, Thai, Lao, Khmer, Myanmar, Tibetan). Each becomes one token.
_UNSPACED = char_class(UNSPACED_BLOCKS)
_TOKEN = re.compile(rf"[{_UNSPACED}]|[^\W{_UNSPACED}]+|[^\w\s]", re.UNICODE)

DEFAULT_PARAMS = {
    "lr": 0.5,
    "epoch": 10,
    "wordNgrams": 4,
    "dim": 50,
    "minn": 0,
    "maxn": 0,
    "minCount": 1,
    "bucket": 2_000_000,
    "loss": "softmax",
    "thread": 1,
    "seed": 1,
    "verbose": 0,
}
# Quantisation settings (fastText's ``quantize``): cutoff keeps that many words+ngrams, qnorm/qout
# as documented by fastText. Output is a compressed .ftz model.
DEFAULT_QUANTIZE = {"cutoff": 100_000, "retrain": True, "qnorm": True, "dsub": 2}


def preprocess(text: str) -> str:
    """Normalise ``text`` into one line of space-separated tokens (see module docstring)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_TOKEN.findall(text))


def _open_text(path: str | os.PathLike):
    p = str(path)
    if p.endswith(".xz"):
        return lzma.open(p, "rt", encoding="utf-8-sig", newline="")
    if p.endswith(".gz"):
        return gzip.open(p, "rt", encoding="utf-8-sig", newline="")
    if p.endswith(".zst"):
        import zstandard

        fh = open(p, "rb")
        return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8-sig", newline="")
    return open(p, "r", encoding="utf-8-sig", newline="")


def read_examples(path: str | os.PathLike, text_col: str = "text", label_col: str = "label") -> list[tuple[str, str]]:
    """Read ``(text, label)`` pairs from a CSV or JSONL file (optionally .xz/.gz/.zst compressed).

    The format is taken from the name (``.jsonl``/``.json`` inside the name means JSONL, otherwise
    CSV with a header row). Rows with an empty text or label are skipped. Labels are strings.
    """
    name = os.path.basename(str(path)).lower()
    out: list[tuple[str, str]] = []
    with _open_text(path) as fh:
        if ".jsonl" in name or ".json" in name:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                rec = json.loads(line)
                text, label = rec.get(text_col), rec.get(label_col)
                if text is None or label is None or str(text).strip() == "":
                    continue
                out.append((str(text), str(label)))
        else:
            for rec in csv.DictReader(fh):
                text, label = rec.get(text_col), rec.get(label_col)
                if text is None or label is None or text.strip() == "" or str(label).strip() == "":
                    continue
                out.append((text, str(label).strip()))
    return out


def _label_token(label: str) -> str:
    return "__label__" + re.sub(r"\s+", "_", label.strip())


def write_fasttext_file(examples: Iterable[tuple[str, str]], path: str) -> int:
    """Write examples in fastText's ``__label__X tokens`` format; return the number written."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for text, label in examples:
            fh.write(f"{_label_token(label)} {preprocess(text)}\n")
            n += 1
    return n


def binary_metrics(y_true: list[str], y_pred: list[str], positive_label: str) -> dict:
    """Accuracy and precision/recall/F1 of ``positive_label``."""
    tp = sum(1 for t, p in zip(y_true, y_pred) if t == positive_label and p == positive_label)
    fp = sum(1 for t, p in zip(y_true, y_pred) if t != positive_label and p == positive_label)
    fn = sum(1 for t, p in zip(y_true, y_pred) if t == positive_label and p != positive_label)
    correct = sum(1 for t, p in zip(y_true, y_pred) if t == p)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"n": len(y_true), "accuracy": correct / max(1, len(y_true)), "precision": prec, "recall": rec, "f1": f1}


def _examples(data) -> list[tuple[str, str]]:
    if isinstance(data, (str, os.PathLike)):
        return read_examples(data)
    return list(data)


def _train_and_save(path: str, params: dict, out: str) -> None:
    fasttext.train_supervised(input=path, **params).save_model(out)


def _train_supervised(path: str, params: dict):
    """fastText training. fastText sometimes stops with 'Encountered NaN' on small, repetitive
    data, depending on the state of the process it runs in (seen after unrelated numpy work in the
    same process); such a run is retried once in a fresh process, then with the learning rate
    halved (twice at most). ``params['lr']`` ends as the rate that worked."""
    import multiprocessing

    try:
        return fasttext.train_supervised(input=path, **params)
    except RuntimeError as exc:
        if "NaN" not in str(exc):
            raise
    for attempt in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "model.bin")
            proc = multiprocessing.get_context("spawn").Process(target=_train_and_save, args=(path, params, out))
            proc.start()
            proc.join()
            if proc.exitcode == 0 and os.path.exists(out):
                return fasttext.load_model(out)
        params["lr"] = params.get("lr", 0.1) / 2
    raise RuntimeError(f"fastText training diverged (NaN) even at lr={params['lr'] * 2:g}; lower lr or epoch")


def train(train_path, dev_path, output_path: str | os.PathLike, params: dict | None = None) -> dict:
    """Train a (by default quantised) fastText classifier and return a metrics dict.

    ``train_path``/``dev_path``: file paths (CSV or JSONL, see ``read_examples``) or lists of
    ``(text, label)`` pairs; ``dev_path`` may be None. ``params``: fastText ``train_supervised``
    arguments overriding ``DEFAULT_PARAMS``, plus these keys handled here:

    - ``text_col``/``label_col`` (default ``text``/``label``): column names in the files;
    - ``quantize`` (default True) and ``quantize_params`` (overrides ``DEFAULT_QUANTIZE``);
    - ``positive_label``: label for which precision/recall/F1 are reported;
    - ``threshold``: decision threshold on P(positive_label) stored with the model (default 0.5).

    Writes ``output_path`` and ``output_path + '.json'`` (metadata). Returned dict: ``labels``,
    ``n_train``, ``model_bytes``, ``params``, and when a dev set is given ``dev`` = accuracy,
    precision, recall, f1 (positive label; the first label in sorted order when not given).
    """
    params = dict(params or {})
    text_col = params.pop("text_col", "text")
    label_col = params.pop("label_col", "label")
    do_quantize = params.pop("quantize", True)
    qparams = {**DEFAULT_QUANTIZE, **params.pop("quantize_params", {})}
    positive = params.pop("positive_label", None)
    threshold = float(params.pop("threshold", 0.5))
    ft_params = {**DEFAULT_PARAMS, **params}

    def load(src):
        if isinstance(src, (str, os.PathLike)):
            return read_examples(src, text_col, label_col)
        return list(src)

    train_ex = load(train_path)
    if not train_ex:
        raise ValueError("no training examples")
    labels = sorted({lab for _, lab in train_ex})
    if positive is None:
        positive = labels[-1] if len(labels) == 2 else labels[0]
    output_path = str(output_path)
    Path(output_path).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tpath = os.path.join(tmp, "train.txt")
        write_fasttext_file(train_ex, tpath)
        model = _train_supervised(tpath, ft_params)
        if do_quantize:
            model.quantize(input=tpath, thread=ft_params.get("thread", 1), verbose=0, **qparams)
    model.save_model(output_path)
    meta = {"preprocess": "tokens-v1", "labels": labels, "positive_label": positive, "threshold": threshold,
            "params": ft_params, "quantized": bool(do_quantize)}
    with open(output_path + ".json", "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=1, ensure_ascii=False)
    result = {"labels": labels, "n_train": len(train_ex), "model_bytes": os.path.getsize(output_path),
              "params": ft_params, "positive_label": positive, "threshold": threshold}
    if dev_path is not None:
        dev_ex = load(dev_path)
        clf = TextClassifier(output_path)
        result["dev"] = clf.evaluate(dev_ex, positive, threshold)
    return result


class TextClassifier:
    """A trained fastText classifier loaded once (``model_path``), scored in batches."""

    def __init__(self, model_path: str | os.PathLike):
        self.model_path = str(model_path)
        self.model = fasttext.load_model(self.model_path)
        meta_path = self.model_path + ".json"
        self.meta = {}
        if os.path.exists(meta_path):
            with open(meta_path, encoding="utf-8") as fh:
                self.meta = json.load(fh)
        self.labels = [lab[len("__label__"):] for lab in self.model.get_labels()]
        self.threshold = float(self.meta.get("threshold", 0.5))
        self.positive_label = self.meta.get("positive_label")

    def predict_proba(self, texts: list[str], positive_label: str | None = None,
                      count: Count | None = None) -> list[float]:
        """P(``positive_label``) for each text, in order (0.0 for an empty text)."""
        positive_label = positive_label if positive_label is not None else self.positive_label
        if positive_label is None:
            raise ValueError("positive_label is required")
        count = count or no_count
        want = _label_token(positive_label)
        lines = [preprocess(t) if t else "" for t in texts]
        out = [0.0] * len(lines)
        idx = [i for i, l in enumerate(lines) if l]
        if idx:
            labs, probs = self.model.predict([lines[i] for i in idx], k=-1, threshold=0.0)
            for i, ls, ps in zip(idx, labs, probs):
                p = 0.0
                for lab, pr in zip(ls, ps):
                    if lab == want:
                        p = float(pr)
                        break
                out[i] = min(1.0, max(0.0, p))
        count("classifier_texts", len(texts))
        return out

    def predict(self, texts: list[str]) -> list[str]:
        """Most probable label for each text (the first label for an empty text)."""
        lines = [preprocess(t) for t in texts]
        labs, _ = self.model.predict(lines, k=1)
        return [ls[0][len("__label__"):] if ls else self.labels[0] for ls in labs]

    def evaluate(self, examples: list[tuple[str, str]], positive_label: str, threshold: float | None = None) -> dict:
        """Accuracy/precision/recall/F1 of ``positive_label`` at ``threshold`` (default: the stored one)."""
        thr = self.threshold if threshold is None else threshold
        probs = self.predict_proba([t for t, _ in examples], positive_label)
        other = next((lab for lab in self.labels if lab != positive_label), "__other__")
        pred = [positive_label if p >= thr else other for p in probs]
        return binary_metrics([lab for _, lab in examples], pred, positive_label)


def iter_batches(items: list, size: int) -> Iterator[list]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for i in range(0, len(items), size):
        yield items[i:i + size]
