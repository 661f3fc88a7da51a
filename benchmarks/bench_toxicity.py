"""Benchmark of the toxicity classifier (filters.toxicity / filters.classifier) on COLD.

Usage: .venv/bin/python benchmarks/bench_toxicity.py [--model benchmarks/out/toxicity_cold.ftz]

Trains on cold_train (threshold tuned on a 10% hash split of train, never on dev), reports
accuracy / F1 (offensive class) on cold_dev, model size and single-thread throughput, next to the
keyword rule (LDNOOBW zh list: any hit = offensive) and an unquantised character 1-3-gram model
(the issue's reference setup). Writes benchmarks/results/toxicity.md.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=str(REPO / "benchmarks" / "out" / "toxicity_cold.ftz"))
    ap.add_argument("--results", default=str(REPO / "benchmarks" / "results" / "toxicity.md"))
    args = ap.parse_args()
    train_path, dev_path = default_cold_paths(SHARED / "data")

    t0 = time.perf_counter()
    m = train_cold(train_path, dev_path, args.model, params={"thread": 2})
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
    ref = classifier.train(train_path, dev, ref_path, {**COLD_PARAMS, "wordNgrams": 3, "epoch": 5, "lr": 0.1,
                                                        "quantize": False, "thread": 2})
    os.remove(ref_path)
    os.remove(ref_path + ".json")

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
         f"epoch={m['params']['epoch']}, lr={m['params']['lr']}, quantised (cutoff 100k, dsub 2, retrain). "
         f"Training+tuning took {train_s:.0f} s with 2 threads.", "",
         "| figure | value | target |", "|---|---|---|",
         f"| dev accuracy (threshold {m['threshold']}) | {d['accuracy']:.2%} | >= 81% |",
         f"| dev F1, offensive class | {d['f1']:.3f} (P {d['precision']:.3f}, R {d['recall']:.3f}) | >= 0.77 |",
         f"| dev accuracy / F1 at threshold 0.5 | {at_half['accuracy']:.2%} / {at_half['f1']:.3f} | — |",
         f"| model file | {m['model_bytes'] / 2 ** 20:.2f} MiB | <= 20 MB |",
         f"| throughput, 1 thread, batches of 512 | {best:,.0f} texts/s (mean {mean_chars:.0f} chars/text) | >= 5,000 texts/s |",
         "", "Comparison on cold_dev:", "",
         "| system | accuracy | F1 (offensive) |", "|---|---|---|",
         f"| keyword rule, LDNOOBW zh list (any hit = offensive) | {kw_m['accuracy']:.2%} | {kw_m['f1']:.3f} |",
         f"| fastText chars 1-3 (wordNgrams 3, 5 epochs, lr 0.1), not quantised | {ref['dev']['accuracy']:.2%} | {ref['dev']['f1']:.3f} |",
         f"| this model (quantised) | {d['accuracy']:.2%} | {d['f1']:.3f} |", "",
         "Notes: the tuning split of train gave "
         f"{tune.get('held_metrics', {}).get('accuracy', 0):.2%} accuracy at the chosen threshold. Segmentation with "
         "jieba was not tried: it is not installed, and character tokens with word n-grams already exceed the "
         "targets while keeping the tokeniser dictionary-free and fast. The issue's reference figures (80.2% for "
         "fastText chars 1-3, ~81% for COLDetector) are much lower than what we measure on cold_dev here; COLD's "
         "dev split is drawn like train, so expect lower figures on COLD's harder test split or other sources.", ""]
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text("\n".join(L), encoding="utf-8")
    print("\n".join(L))


if __name__ == "__main__":
    main()
