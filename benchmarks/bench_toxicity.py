"""Benchmark of the toxicity classifier (filters.toxicity / filters.classifier) on COLD.

Usage: .venv/bin/python benchmarks/bench_toxicity.py [--model benchmarks/out/toxicity_cold.bin]

Trains on cold_train (threshold tuned on a 10% hash split of train, never on dev), reports
accuracy / F1 (offensive class) on cold_dev, model size and single-thread throughput, next to the
keyword rule (LDNOOBW zh list: any hit = offensive), a character 1-3-gram model (the issue's
reference setup) and the same settings quantised. As COLD's test comments are unlike train/dev (the
issue's character model: ~89% on dev here, 80.2% on test), held-out accuracy is estimated by
cross-topic accuracy: train on two of COLD's topics (race, gender, region), test on the dev comments
of the third, averaged. Training is single-threaded (deterministic). Writes benchmarks/results/toxicity.md.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from filters import classifier  # noqa: E402
from filters.blocklist import WordBlocklist  # noqa: E402
from filters.toxicity import COLD_PARAMS, ToxicityScorer, default_cold_paths, train_cold  # noqa: E402

SHARED = Path(os.environ.get("THRESHER_SHARED", REPO.parent / "shared")).resolve()


def machine() -> str:
    cpu, ram = "unknown", "unknown"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
        mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
        ram = f"{mem / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    return f"nproc={os.cpu_count()}, CPU {cpu}, RAM {ram}, Python {platform.python_version()}"


def read_cold(path) -> list[tuple[str, str, str]]:
    """(text, label, topic) rows of a COLD CSV (plain or .xz)."""
    import csv
    import io
    import lzma
    raw = lzma.open(path, "rt", encoding="utf-8-sig").read() if str(path).endswith(".xz") else \
        open(path, encoding="utf-8-sig").read()
    return [(r["TEXT"], r["label"], r["topic"]) for r in csv.DictReader(io.StringIO(raw)) if (r["TEXT"] or "").strip()]


def cross_topic(train_rows, dev_rows, params: dict, out_dir: Path) -> dict:
    """Accuracy (threshold 0.5) on each topic's dev comments of a model trained on the other topics."""
    res = {}
    for topic in sorted({t for _, _, t in dev_rows}):
        path = out_dir / f"xtopic_{topic}.bin"
        fit = [(x, lab) for x, lab, t in train_rows if t != topic]
        test = [(x, lab) for x, lab, t in dev_rows if t == topic]
        res[topic] = classifier.train(fit, test, path, {**params, "positive_label": "1"})["dev"]["accuracy"]
        for f in (path, Path(str(path) + ".json")):
            f.unlink(missing_ok=True)
    res["mean"] = sum(res.values()) / len(res)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=str(REPO / "benchmarks" / "out" / "toxicity_cold.bin"))
    ap.add_argument("--results", default=str(REPO / "benchmarks" / "results" / "toxicity.md"))
    args = ap.parse_args()
    train_path, dev_path = default_cold_paths(SHARED / "data")

    t0 = time.perf_counter()
    m = train_cold(train_path, dev_path, args.model)
    train_s = time.perf_counter() - t0
    dev = classifier.read_examples(dev_path, "TEXT", "label")
    texts = [t for t, _ in dev]

    scorer = ToxicityScorer(args.model)
    at_half = scorer.clf.evaluate(dev, "1", 0.5)
    best = 0.0
    for _ in range(3):  # single thread (fastText predict runs in the calling thread), best of 3
        t0 = time.perf_counter()
        for i in range(0, len(texts), 512):
            scorer.score_batch(texts[i:i + 512])
        best = max(best, len(texts) / (time.perf_counter() - t0))
    mean_chars = sum(map(len, texts)) / len(texts)

    kw = WordBlocklist.from_ldnoobw_dir(SHARED / "data" / "safety" / "ldnoobw", langs=["zh"])
    kw_pred = ["1" if kw.scan(t, lang="zh").hits else "0" for t in texts]
    kw_m = classifier.binary_metrics([lab for _, lab in dev], kw_pred, "1")

    ref_path = str(Path(args.model).with_name("toxicity_ref_ngram3.bin"))
    ref_params = {**COLD_PARAMS, "wordNgrams": 3, "epoch": 5, "lr": 0.1, "dim": 100, "bucket": 2_000_000}
    ref = classifier.train(train_path, dev, ref_path, ref_params)
    quant_params = {**COLD_PARAMS, "quantize": True}
    quant = classifier.train(train_path, dev, ref_path, quant_params)
    old_params = {**COLD_PARAMS, "dim": 50, "lr": 0.5, "bucket": 2_000_000, "quantize": True}
    old = classifier.train(train_path, dev, ref_path, old_params)
    os.remove(ref_path)
    os.remove(ref_path + ".json")
    train_rows, dev_rows = read_cold(train_path), read_cold(dev_path)
    out_dir = Path(args.model).parent
    xt = {name: cross_topic(train_rows, dev_rows, {k: v for k, v in p.items() if k not in ("text_col", "label_col")}, out_dir)
          for name, p in (("this", COLD_PARAMS), ("quant", quant_params), ("old", old_params), ("ref", ref_params))}

    d = m["dev"]
    cmd = "cd /work/main && .venv/bin/python benchmarks/bench_toxicity.py " + " ".join(sys.argv[1:])
    tune = m.get("tune_split", {})
    L = ["# Toxicity classifier benchmark (COLD)", "",
         f"- Command: `{cmd.strip()}`", f"- Machine: {machine()}",
         f"- Date: {datetime.datetime.now().isoformat(timespec='seconds')}",
         "- Timings are on a shared 2-core machine with other jobs running: noisy; throughput is single-thread.",
         f"- Data: cold_train ({m['n_train']} texts) for training; threshold tuned on a deterministic 10% crc32 "
         f"split of train ({tune.get('held')} texts; model fitted on the other {tune.get('fit')}); cold_dev "
         f"({d['n']} texts) used only for the figures below.",
         f"- Model: fastText supervised, text = NFKC + lower case, one token per CJK character, word tokens "
         f"otherwise; wordNgrams={m['params']['wordNgrams']} (character 1-4-grams on Chinese), dim={m['params']['dim']}, "
         f"epoch={m['params']['epoch']}, lr={m['params']['lr']}, bucket={m['params']['bucket']:,}, not quantised. "
         f"Training+tuning took {train_s:.0f} s with 1 thread.", "",
         "| figure | value | target |", "|---|---|---|",
         f"| dev accuracy (threshold {m['threshold']}) | {d['accuracy']:.2%} | >= 81% |",
         f"| dev F1, offensive class | {d['f1']:.3f} (P {d['precision']:.3f}, R {d['recall']:.3f}) | >= 0.77 |",
         f"| dev accuracy / F1 at threshold 0.5 | {at_half['accuracy']:.2%} / {at_half['f1']:.3f} | — |",
         f"| model file | {m['model_bytes'] / 2 ** 20:.2f} MiB | <= 20 MB |",
         f"| throughput, 1 thread, batches of 512 | {best:,.0f} texts/s (mean {mean_chars:.0f} chars/text) | >= 5,000 texts/s |",
         "", "Comparison (dev at threshold 0.5; cross-topic = mean accuracy on each topic's dev comments of a "
         "model trained on the other two topics' train comments, the estimate for held-out comments):", "",
         "| system | model file | dev accuracy | dev F1 (offensive) | cross-topic accuracy (race / gender / region) |",
         "|---|---|---|---|---|",
         f"| keyword rule, LDNOOBW zh list (any hit = offensive) | — | {kw_m['accuracy']:.2%} | {kw_m['f1']:.3f} | — |"]
    for name, label, res in (("this", "this model: dim 16, 250k buckets, not quantised", m),
                             ("quant", "the same, quantised (cutoff 100k, dsub 2, retrain)", quant),
                             ("old", "session 1-3 default: dim 50, 2M buckets, lr 0.5, quantised", old),
                             ("ref", "fastText chars 1-3 (wordNgrams 3, dim 100, 5 epochs, lr 0.1), not quantised", ref)):
        x = xt[name]
        dd = at_half if name == "this" else res["dev"]
        L.append(f"| {label} | {res['model_bytes'] / 2 ** 20:.1f} MiB | {dd['accuracy']:.2%} | {dd['f1']:.3f} | "
                 f"{x['mean']:.2%} ({x['race']:.1%} / {x['gender']:.1%} / {x['region']:.1%}) |")
    L += ["", f"The tuning split of train gave {tune.get('held_metrics', {}).get('accuracy', 0):.2%} accuracy at the "
          "chosen threshold. Reference figures and design notes (not measured by this run): benchmarks/NOTES.md.", ""]
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text("\n".join(L), encoding="utf-8")
    print("\n".join(L))


if __name__ == "__main__":
    main()
