"""``thresher train toxicity|quality|embeddings``: fastText classifiers and the static embedding model
that annotate can use.

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


def sample_annotated(input_dir: str, max_docs: int, seed: int = 0) -> tuple[list[str], list]:
    """Texts of a deterministic sample of about ``max_docs`` documents of a stage's docs/ table:
    a document is in when a hash of (seed, id) falls below max_docs / total, so the same corpus
    and seed give the same sample whatever its sharding; returned in id order. Reads one row group
    at a time (id, text and lang columns) and keeps only the sampled texts; -> (texts, languages)."""
    import pyarrow.parquet as pq
    import xxhash
    from apache_beam.io.filesystems import FileSystems

    from pipeline.runner import match_inputs
    pattern = input_dir if input_dir.endswith(".parquet") else FileSystems.join(input_dir, "docs", "*.parquet")
    files = sorted(f.path for f in match_inputs([pattern]))
    total = 0
    for path in files:
        with FileSystems.open(path) as stream:
            total += pq.ParquetFile(stream).metadata.num_rows
    cut = min(1.0, max_docs / max(1, total)) * 2.0 ** 64
    picked = []
    for path in files:
        with FileSystems.open(path) as stream:
            pf = pq.ParquetFile(stream)
            for i in range(pf.metadata.num_row_groups):
                cols = [c for c in ("id", "text", "lang") if c in pf.schema_arrow.names]
                t = pf.read_row_group(i, columns=cols)
                langs = t.column("lang").to_pylist() if "lang" in cols else [None] * t.num_rows
                for doc_id, text, lang in zip(t.column("id").to_pylist(), t.column("text").to_pylist(), langs):
                    if xxhash.xxh64_intdigest(doc_id.encode("utf-8"), seed=seed) < cut:
                        picked.append((doc_id, text, lang))
    picked.sort(key=lambda p: p[0])
    return [p[1] for p in picked], [p[2] for p in picked]


def train_embeddings(input_dir: str, output: str, dim: int = 64, max_docs: int = 20_000, seed: int = 0,
                     params: dict | None = None) -> dict:
    """``thresher train embeddings``: a static embedding model folder from a corpus sample (any
    FileSystems paths; a remote output folder is written locally, then uploaded file by file).
    ``params``: keyword arguments of ``filters.embedding.train_static_model`` (min_count,
    hashed_dim, window, max_vocab, max_doc_tokens, sif_a, lexical_sif_a, semantic_scale)."""
    import os
    import tempfile

    from filters.embedding import train_static_model
    from pipeline import fs
    allowed = {"min_count", "hashed_dim", "window", "max_vocab", "max_doc_tokens", "sif_a", "lexical_sif_a", "semantic_scale",
               "min_lang_docs"}
    unknown = sorted(set(params or {}) - allowed)
    if unknown:
        raise ValueError(f"unknown --param {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    texts, langs = sample_annotated(input_dir, max_docs, seed)
    kwargs = dict(params or {}, dim=dim, langs=langs, seed=seed)
    if not fs.is_remote(output):
        return train_static_model(texts, output, **kwargs)
    with tempfile.TemporaryDirectory() as tmp:
        meta = train_static_model(texts, tmp, **kwargs)
        for name in sorted(os.listdir(tmp)):
            with open(os.path.join(tmp, name), "rb") as f:
                fs.write_bytes(output.rstrip("/") + "/" + name, f.read())
    return meta


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
