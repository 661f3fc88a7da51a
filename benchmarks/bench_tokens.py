"""Token estimates against a real BPE tokenizer trained on the corpus itself (issue 16).

For each make_corpus.py corpus given: train a byte-level BPE (Hugging Face `tokenizers`, vocabulary
--vocab) on the corpus's own texts, count every document's tokens with it, and compare, per
language bucket (gold language), the tokens `filters.sampling.estimate_tokens` gives with the real
ones. Then leave-one-corpus-out: per-language characters-per-token fitted on the other corpora are
applied to the held-out one, to see whether a calibrated table would transfer.

Usage: .venv/bin/python benchmarks/bench_tokens.py --corpus DIR [--corpus DIR ...] [--vocab 32000] [--min-docs 10]
Writes benchmarks/results/tokens.md.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import read_raw_docs, write_section  # noqa: E402

from filters.sampling import estimate_tokens  # noqa: E402


def load(corpus: Path) -> list[tuple[str, str]]:
    """[(gold language, text)] of a corpus's documents with text."""
    truth = {}
    for line in open(corpus / "truth.jsonl", encoding="utf-8"):
        t = json.loads(line)
        truth[t["id"]] = t
    out = []
    for doc_id, doc in sorted(read_raw_docs(corpus).items()):
        t = truth.get(doc_id)
        text = doc.get("text")
        if t and isinstance(text, str) and text.strip() and t.get("langs"):
            out.append((t["langs"][0], text))
    return out


def train_bpe(texts: list[str], vocab: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def letters_by_script(text: str) -> collections.Counter:
    """Letters of ``text`` per script class (filters.sampling.SCRIPTS, the script-neutral class left out)."""
    from filters.sampling import SCRIPTS, script_counts
    counts = script_counts(text)
    return collections.Counter({SCRIPTS[i]: int(c) for i, c in enumerate(counts) if i and c})


def native_scripts(letters: collections.Counter, share: float = 0.15) -> str:
    """The scripts holding at least ``share`` of a language's letters, most first, joined by '+'
    (Japanese: kana+han)."""
    total = sum(letters.values()) or 1
    return "+".join(s for s, n in letters.most_common() if n / total >= share)


def write_table(runs: list[dict], path: Path, command: str) -> None:
    """Per-language characters per real token over every run (languages with 30+ documents)."""
    total = collections.defaultdict(lambda: [0, 0, 0, collections.Counter()])
    for run in runs:
        for lang, v in run["langs"].items():
            t = total[lang]
            t[0] += v[0]
            t[1] += v[1]
            t[2] += v[2]
            t[3].update(run["scripts"][lang])
    rows = [(lang, native_scripts(t[3]), t[1] / t[2], t[0]) for lang, t in sorted(total.items()) if t[0] >= 30]
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Characters per token of each language's own script, measured against byte-level BPE tokenizers\n"
                "# (32k vocabulary) trained on make_corpus.py corpora of real web text (derived, do not edit: re-run\n"
                f"# `{command}`).\n"
                "# Format: lang<TAB>scripts<TAB>chars_per_token<TAB>documents measured; scripts: those holding 15%+ of\n"
                "# the language's letters. filters.sampling.estimate_tokens uses the ratio for these scripts in a\n"
                "# document of that language; other scripts keep the per-script ratios.\n")
        for lang, script, ratio, docs in rows:
            f.write(f"{lang}\t{script}\t{ratio:.3f}\t{docs}\n")


def measure(corpus: Path, vocab: int) -> dict:
    docs = load(corpus)
    t0 = time.perf_counter()
    tok = train_bpe([t for _, t in docs], vocab)
    real = [len(e.ids) for e in tok.encode_batch([t for _, t in docs], add_special_tokens=False)]
    per_lang = collections.defaultdict(lambda: [0, 0, 0, 0])       # docs, chars, real, estimated
    scripts = collections.defaultdict(collections.Counter)
    for (lang, text), r in zip(docs, real):
        scripts[lang].update(letters_by_script(text))
        row = per_lang[lang]
        row[0] += 1
        row[1] += len(text)
        row[2] += r
        row[3] += estimate_tokens(text, lang)
    return {"name": corpus.name, "docs": len(docs), "seconds": time.perf_counter() - t0, "langs": dict(per_lang),
            "scripts": dict(scripts)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", action="append", required=True)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--min-docs", type=int, default=10, help="buckets (languages) with fewer documents are listed apart")
    ap.add_argument("--write-table", help="write the per-language table fitted on these corpora to this path")
    ap.add_argument("--results", default="tokens", help="name of the results section (benchmarks/results/NAME.md)")
    args = ap.parse_args()
    runs = [measure(Path(c), args.vocab) for c in args.corpus]
    command = "benchmarks/bench_tokens.py " + " ".join(sys.argv[1:])
    if args.write_table:
        write_table(runs, Path(args.write_table), command)
        print(f"wrote {args.write_table}")
        return
    table = Path(__file__).resolve().parent.parent / "filters" / "resources" / "chars_per_token.tsv"
    import re
    fitted = next((m.group(1) for line in open(table, encoding="utf-8")
                   for m in [re.search(r"`([^`]*--write-table[^`]*)`", line)] if m), "?")
    lines = [f"Byte-level BPE, vocabulary {args.vocab}, trained on each corpus's own texts; a bucket is a gold "
             f"language with at least {args.min_docs} documents (the manifest's buckets split these by source and "
             f"quality tier). Error = estimated / real tokens - 1. The current estimate uses the shipped per-language "
             f"table `filters/resources/chars_per_token.tsv`, fitted by `{fitted}`: corpora listed there are not "
             "held out. Leave-one-out: the table refitted on the other corpora of this run only.", "",
             "| corpus | docs | buckets | current estimate: max abs error | mean abs error | worst buckets | "
             "leave-one-out per-language table: max abs error | mean abs error |",
             "|---|---|---|---|---|---|---|---|"]
    for k, run in enumerate(runs):
        big = {lang: v for lang, v in run["langs"].items() if v[0] >= args.min_docs}
        err = {lang: v[3] / v[2] - 1 for lang, v in big.items()}
        worst = sorted(err.items(), key=lambda kv: -abs(kv[1]))[:4]
        # per-language chars/token fitted on the other corpora
        fit = collections.defaultdict(lambda: [0, 0])
        for other in runs[:k] + runs[k + 1:]:
            for lang, v in other["langs"].items():
                fit[lang][0] += v[1]
                fit[lang][1] += v[2]
        loo = {lang: (v[1] / (fit[lang][0] / fit[lang][1])) / v[2] - 1 for lang, v in big.items() if fit[lang][1]}
        mean = sum(map(abs, err.values())) / max(1, len(err))
        lines.append(
            f"| {run['name']} | {run['docs']} | {len(big)} | {max(map(abs, err.values())):.0%} | {mean:.0%} | "
            + ", ".join(f"{lang} {e:+.0%}" for lang, e in worst) + " | "
            + (f"{max(map(abs, loo.values())):.0%} | {sum(map(abs, loo.values())) / len(loo):.0%} |" if loo and len(runs) > 1
               else "- | - |"))
    lines += ["", "Per bucket, first corpus (docs, characters per real token, current estimate's error):", "",
              ", ".join(f"{lang} {v[0]} {v[1] / v[2]:.2f} {v[3] / v[2] - 1:+.0%}"
                        for lang, v in sorted(runs[0]["langs"].items(), key=lambda kv: -kv[1][0])
                        if v[0] >= args.min_docs)]
    path = write_section(args.results, "Token estimates against a BPE trained on the corpus (issue 16)", command,
                         "\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
