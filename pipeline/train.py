"""``thresher train toxicity|quality``: fastText classifiers that annotate can use.

toxicity: a labelled CSV/JSONL (text + label columns) -> a 16.5 MB unquantised model (``--param
quantize=1`` quantises it: 3 MB, but 1-2 points less accurate on comments unlike the training set);
the decision threshold is tuned on a split of the training file, the dev file only reports.
quality: files of good (--positive) and bad (--negative) examples -> model scoring P(hq).
Example files are CSV or JSONL with a text column, or plain text with one example per line.
"""
from __future__ import annotations

import json
from pathlib import Path

from filters import classifier

QUALITY_LABELS = ("hq", "lq")


def parse_params(pairs: list[str]) -> dict:
    """['bucket=200000', 'lr=0.3'] -> {'bucket': 200000, 'lr': 0.3} (numbers parsed, else strings)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param takes KEY=VALUE, got {pair!r}")
        for cast in (int, float):
            try:
                out[key] = cast(value)
                break
            except ValueError:
                continue
        else:
            out[key] = value
    return out


def train_toxicity(train: str, dev: str | None, output: str, text_col: str = "TEXT", label_col: str = "label",
                   positive_label: str = "1", params: dict | None = None) -> dict:
    from filters.toxicity import train_cold
    return train_cold(train, dev, output, {"text_col": text_col, "label_col": label_col,
                                           "positive_label": positive_label, **(params or {})})


def _texts(path: str, text_col: str) -> list[str]:
    name = path.lower()
    if any(name.endswith(s) for s in (".csv", ".jsonl", ".json", ".csv.xz", ".jsonl.gz", ".jsonl.zst", ".jsonl.xz",
                                      ".csv.gz")):
        return [t for t, _ in classifier.read_examples(path, text_col, text_col) if t.strip()]
    return [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def train_quality(positive: list[str], negative: list[str], output: str, text_col: str = "text",
                  dev_fraction: int = 10, params: dict | None = None) -> dict:
    """Train the quality classifier (labels hq/lq); 1 in ``dev_fraction`` examples held out to report."""
    examples = [(t, "hq") for p in positive for t in _texts(p, text_col)]
    examples += [(t, "lq") for n in negative for t in _texts(n, text_col)]
    if not any(lab == "hq" for _, lab in examples) or not any(lab == "lq" for _, lab in examples):
        raise ValueError("quality training needs both positive and negative examples")
    import zlib
    fit = [e for e in examples if zlib.crc32(e[0].encode()) % dev_fraction]
    held = [e for e in examples if not zlib.crc32(e[0].encode()) % dev_fraction]
    return classifier.train(fit, held or None, output, {"positive_label": "hq", **(params or {})})


def on_any_filesystem(train_fn, inputs: list[str | None], output: str, *args, **kwargs) -> dict:
    """Run ``train_fn(*local inputs, local output, ...)`` for inputs and an output on any Beam
    FileSystems path: remote inputs are copied to the local cache, a remote model (and its
    ``.json``) is written locally then uploaded."""
    import os
    import tempfile

    from pipeline import fs
    local_inputs = [[fs.local_copy(p) for p in x] if isinstance(x, list) else fs.local_copy(x) for x in inputs]
    if not fs.is_remote(output):
        return train_fn(*local_inputs, output, *args, **kwargs)
    with tempfile.TemporaryDirectory() as tmp:
        local_out = os.path.join(tmp, output.rstrip("/").rsplit("/", 1)[-1])
        metrics = train_fn(*local_inputs, local_out, *args, **kwargs)
        for suffix in ("", ".json"):
            if os.path.exists(local_out + suffix):
                with open(local_out + suffix, "rb") as f:
                    fs.write_bytes(output + suffix, f.read())
    return metrics


def print_metrics(metrics: dict) -> None:
    print(json.dumps({k: v for k, v in metrics.items() if k != "params"}, indent=1, default=str))
