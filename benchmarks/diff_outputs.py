"""Outputs unchanged beyond the golden corpus (issue 21): ``thresher run`` with two revisions of the
code on a multilingual corpus built from ../shared, every table and stats file compared.

The golden test (tests/jobs/test_outputs_unchanged.py) pins one make_corpus.py corpus, which holds a
handful of languages. A speed change that is exact there can still move a result in a script or a
segmentation path that corpus never reaches (Thai substring stop words, CJK units, dotted ordinals,
U+0130, text with no sentence at all...). This check covers those kinds of text:

- lingua test sentences of all 75 languages, joined into documents of 1 to 12 sentences, one per
  line or run together, plus documents that mix two languages line by line;
- single words and word pairs as tiny documents (empty and one-unit edge cases);
- the real web pages of ``web_pages/pages_public.jsonl.xz``;
- COLD comments (Chinese) six to a document, and c4zh duplicated-line samples;
- a seeded 300-document make_corpus.py corpus (planted duplicates, spam, PII) with its ``--bad``
  shards (malformed and hostile records).

    .venv/bin/python benchmarks/diff_outputs.py --baseline REV [--seed 1] [--config FILE | --embeddings]

``--embeddings`` trains a static embedding model on the check corpus once (this checkout's
``thresher train embeddings``) and runs both revisions with it, semantic duplicates, topics and a
semantic dedup policy on.

REV is checked out (detached) into benchmarks/out/diff-base-<rev>; both runs use this virtualenv,
the baseline's code first on PYTHONPATH. Exits 1 and prints the differing tables when outputs
differ. Nothing is written to results/: this is a check, not a measurement.
"""
from __future__ import annotations

import argparse
import ast
import csv
import json
import lzma
import os
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, REPO, SHARED, build_corpus  # noqa: E402


def _lid_rows(path: Path) -> dict[str, list[str]]:
    by_lang: dict[str, list[str]] = {}
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            lang, _, text = line.rstrip("\n").partition("\t")
            if text:
                by_lang.setdefault(lang, []).append(text)
    return by_lang


def build_documents(seed: int) -> list[dict]:
    """The check corpus: a list of {id, text, url?} records (deterministic for ``seed``)."""
    rng = random.Random(seed)
    docs: list[dict] = []
    data = SHARED / "data"
    sentences = _lid_rows(data / "lid" / "lingua_sentences_public.tsv.xz")
    langs = sorted(sentences)
    for lang in langs:
        pool = sentences[lang]
        rng.shuffle(pool)
        i = 0
        for k in range(12):
            n = 1 + (k * 5) % 12
            chunk = pool[i:i + n]
            i += n
            if not chunk:
                break
            joiner = "\n" if k % 3 else ("  " if k % 2 else " ")
            docs.append({"id": f"lid:{lang}:{k}", "text": joiner.join(chunk)})
    for k in range(150):                          # two languages, line by line
        a, b = rng.sample(langs, 2)
        lines = [rng.choice(sentences[x]) for x in (a, b, a, b, a)[: 2 + k % 4]]
        docs.append({"id": f"mix:{a}-{b}:{k}", "text": "\n".join(lines)})
    for name in ("single-words", "word-pairs"):
        rows = _lid_rows(data / "lid" / f"lingua_{name}_public.tsv.xz")
        for lang in sorted(rows):
            for k, text in enumerate(rows[lang][:3]):
                docs.append({"id": f"{name}:{lang}:{k}", "text": text})
    with lzma.open(data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as fh:
        for line in fh:
            page = json.loads(line)
            if page.get("text"):
                docs.append({"id": f"page:{page['id']}", "text": page["text"], "url": page.get("url")})
    with open(data / "safety" / "cold_dev.csv", encoding="utf-8-sig") as fh:
        comments = [row.get("TEXT") or row.get("text") or "" for row in csv.DictReader(fh)]
    comments = [c for c in comments if c]
    for k in range(0, min(len(comments), 1200), 6):
        docs.append({"id": f"cold:{k}", "text": "\n".join(comments[k:k + 6])})
    with open(data / "web_zh" / "c4zh_duplicated_lines_samples.jsonl", encoding="utf-8") as fh:
        lines = [ast.literal_eval(x) for x in fh if x.strip()]   # Python list literals, one per line
    for k in range(0, len(lines), 8):
        docs.append({"id": f"c4zh:{k}", "text": "\n".join(str(x[1]) for x in lines[k:k + 8]),
                     "url": str(lines[k][0])})
    return docs


def write_corpus(seed: int) -> Path:
    """benchmarks/out/diff-corpus-s<seed>/raw: the check documents as JSONL; and a 300-document
    make_corpus.py corpus with its --bad shards."""
    out = OUT / f"diff-corpus-s{seed}"
    raw = out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    docs = build_documents(seed)
    with open(raw / "multilingual.jsonl", "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    bad = build_corpus(300, bad=True, seed=seed, out=OUT / f"corpus-300-bad-s{seed}")
    print(f"{len(docs)} documents in {raw}; with {bad}", file=sys.stderr)
    return out, bad


def checkout(rev: str) -> Path:
    """A detached worktree of ``rev`` under benchmarks/out (reused when it exists)."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=REPO, check=True, capture_output=True,
                         text=True).stdout.strip()
    path = OUT / f"diff-base-{sha}"
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), sha], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
    model = path / "filters" / "resources" / "lid.176.ftz"     # fetched by make setup, not in git
    if not model.exists():
        model.symlink_to(REPO / "filters" / "resources" / "lid.176.ftz")
    return path


def embedding_config(corpus: Path, seed: int) -> Path:
    """A config with an embedding model trained on the check corpus, topics and a semantic policy."""
    root = OUT / f"diff-emb-s{seed}"
    cfg = root / "emb.yaml"
    if not cfg.exists():
        exe = str(Path(sys.executable).parent / "thresher")
        for cmd in (["ingest", "--input", str(corpus / "raw"), "--output", str(root / "ingest")],
                    ["annotate", "--input", str(root / "ingest"), "--output", str(root / "annotate")],
                    ["train", "embeddings", "--input", str(root / "annotate"), "--output", str(root / "model"),
                     "--dim", "32", "--param", "min_count=2"]):
            subprocess.run([exe, *cmd], check=True, stdout=subprocess.DEVNULL, cwd=OUT)
        cfg.write_text(f"annotate:\n  embedding_model: {root / 'model'}\ndedup:\n  topics:\n    k: 3\n"
                       f"manifest:\n  selection:\n    dedup_policy: semantic_representatives\n")
    return cfg


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", required=True, help="git revision to compare with")
    p.add_argument("--seed", type=int, default=1)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--config", help="YAML config for both runs (default: built-in defaults)")
    how.add_argument("--embeddings", action="store_true", help="both runs with a trained embedding model")
    args = p.parse_args(argv)
    corpus, bad = write_corpus(args.seed)
    if args.embeddings:
        args.config = str(embedding_config(corpus, args.seed))
    base = checkout(args.baseline)
    inputs = ["--input", str(corpus / "raw"), "--input", str(bad / "raw"), "--input", str(bad / "bad")]
    config = ["--config", str(Path(args.config).resolve())] if args.config else []
    os.environ.setdefault("THRESHER_SHARED", str(SHARED))   # configs that name ../shared, from any directory
    script = str(REPO / "benchmarks" / "compare_outputs.py")
    snap = OUT / f"diff-snapshot-{base.name}-s{args.seed}{'-emb' if args.embeddings else ''}"
    # the baseline's packages first on the path; run from outside any checkout (the working directory
    # would come first otherwise), and check which code the child imports
    env = dict(os.environ, PYTHONPATH=str(base))
    where = subprocess.run([sys.executable, "-c", "import filters.quality as q; print(q.__file__)"], env=env,
                           cwd=OUT, check=True, capture_output=True, text=True).stdout.strip()
    if not where.startswith(str(base)):
        sys.exit(f"the baseline run would import {where}, not {base}")
    subprocess.run([sys.executable, script, "snapshot", *inputs, *config, "--out", str(snap),
                    "--run-dir", str(OUT / "diff-run")], check=True, env=env, cwd=OUT)
    proc = subprocess.run([sys.executable, script, "compare", *inputs, *config, "--baseline", str(snap),
                           "--run-dir", str(OUT / "diff-run")], cwd=OUT)
    print("outputs identical" if proc.returncode == 0 else "OUTPUTS DIFFER", file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
