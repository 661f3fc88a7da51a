"""Decisions a data engineer checks first (issue 16), end to end through `thresher run` with the
default config (shipped safety lists on):

1. the Common Crawl samples in ../shared/data/cc_formats: how each named page is decided;
2. a make_corpus.py corpus: per document kind, what was kept, which of the new signals fired
   (encoding damage, gambling/contact spam, bad-word flags, site-boilerplate cuts) and how many
   characters each cut reason removed.

Usage: .venv/bin/python benchmarks/bench_handoff.py [--corpus DIR] [--docs 3000] [--seed 1]
Writes benchmarks/results/handoff.md (then run benchmarks/collect.py).
"""
from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, SHARED, build_corpus, write_section  # noqa: E402

import pyarrow.dataset as ds  # noqa: E402

EXE = str(REPO / ".venv" / "bin" / "thresher")
# (label, URL substring, what the issue asks for)
CC_CASES = [
    ("gambling page", "044545.com", "not kept high; gambling_spam"),
    ("mojibake page", "003338.cn", "not kept; encoding_damage"),
    ("porn page", "0513mt.com", "rejected: badwords"),
    ("research blog, 71,749 chars", "amyxzhang.wordpress.com", "kept"),
    ("health information page", "advocatesaz.org/tag/good-cholesterol", "kept"),
    ("shop pages (site boilerplate)", "uraharajuku.st", "kept pages lose the shared lines"),
    ("personal page, a bullet list under a heading", "soldaini.net/facts", "kept with its list"),
]


def run(inputs: list[str], out: Path) -> float:
    cmd = [EXE, "run", *[a for i in inputs for a in ("--input", i)], "--output", str(out), "--force",
           "--json", "--progress_interval=0"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def tables(out: Path) -> tuple[dict, dict, dict]:
    """({id: annotated row}, {id: curated row}, {id: rejection reason})."""
    cols = ["id", "url", "text", "quality_score", "quality_tier", "quality_failed_rules", "badword_score"]
    annotated = {r["id"]: r for r in ds.dataset(out / "annotate" / "docs").to_table(columns=cols).to_pylist()}
    curated = {r["id"]: r for r in ds.dataset(out / "manifest" / "curated").to_table(
        columns=["id", "bucket", "text", "cuts"]).to_pylist()}
    rejected = {r["id"]: r["reason"] for r in ds.dataset(out / "manifest" / "rejected").to_table().to_pylist()}
    return annotated, curated, rejected


def cc_section(out: Path) -> list[str]:
    seconds = run([str(SHARED / "data" / "cc_formats" / "*")], out)
    annotated, curated, rejected = tables(out)
    lines = [f"### Common Crawl samples (`../shared/data/cc_formats`, {len(annotated)} documents, {seconds:.0f} s)", "",
             "| page | wanted | documents | decision | quality | failed rules | bad-word score | site-boilerplate chars cut |",
             "|---|---|---|---|---|---|---|---|"]
    for label, needle, wanted in CC_CASES:
        ids = sorted(i for i, r in annotated.items() if needle in (r["url"] or ""))
        decisions = collections.Counter(
            f"kept {curated[i]['bucket']}" if i in curated else f"rejected {rejected.get(i, '?')}" for i in ids)
        rules = collections.Counter(rule for i in ids for rule in annotated[i]["quality_failed_rules"] or [])
        cut = sum(c["end"] - c["start"] for i in ids if i in curated for c in curated[i]["cuts"]
                  if c["reason"] == "site_boilerplate")
        quality = sorted(round(annotated[i]["quality_score"] or 0, 2) for i in ids)
        lines.append(f"| {label} (`{needle}`) | {wanted} | {len(ids)} | "
                     f"{', '.join(f'{d} x{n}' if n > 1 else d for d, n in decisions.items())} | "
                     f"{quality[0] if len(quality) == 1 else f'{quality[0]}-{quality[-1]}' if quality else '-'} | "
                     f"{', '.join(sorted(rules)) or '-'} | "
                     f"{max((annotated[i]['badword_score'] or 0) for i in ids) if ids else '-'} | {cut:,} |")
    return lines


def corpus_section(corpus: Path, out: Path) -> list[str]:
    seconds = run([str(corpus / "raw" / "*")], out)
    annotated, curated, rejected = tables(out)
    truth = {json.loads(line)["id"]: json.loads(line) for line in open(corpus / "truth.jsonl", encoding="utf-8")}
    watched = ("encoding_damage", "gambling_spam", "contact_farm")
    by_kind: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for doc_id, row in annotated.items():
        t = truth.get(doc_id.split("~")[0].split("#")[0])
        kind = (t or {}).get("kind", "unknown")
        if t and t.get("badwords"):
            kind += " (planted bad words)"
        c = by_kind[kind]
        c["docs"] += 1
        c["kept"] += doc_id in curated
        c["rejected badwords"] += rejected.get(doc_id) == "badwords"
        for rule in watched:
            c[rule] += rule in (row["quality_failed_rules"] or [])
        if doc_id in curated:
            c["site chars"] += sum(x["end"] - x["start"] for x in curated[doc_id]["cuts"]
                                   if x["reason"] == "site_boilerplate")
    stats = json.loads((out / "manifest" / "stats" / "manifest.json").read_text())
    lines = [f"### make_corpus.py corpus (`{corpus.name}`, {len(annotated)} annotated documents, {seconds:.0f} s)", "",
             "| kind | docs | kept | rejected for bad words | " + " | ".join(watched) + " | site-boilerplate chars cut |",
             "|---|---|---|---|" + "---|" * len(watched) + "---|"]
    for kind in sorted(by_kind, key=lambda k: -by_kind[k]["docs"]):
        c = by_kind[kind]
        lines.append(f"| {kind} | {c['docs']} | {c['kept']} | {c['rejected badwords']} | "
                     + " | ".join(str(c[r]) for r in watched) + f" | {c['site chars']:,} |")
    lines += ["", "Characters cut by reason: " + ", ".join(f"{k} {v:,}" for k, v in
                                                         sorted(stats.get("cut_chars_by_reason", {}).items())),
              "Rejected by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.get("rejected_by_reason", {}).items())),
              "Redactions: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.get("redactions_by_type", {}).items()))]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", help="a make_corpus.py output (default: build one)")
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    corpus = Path(args.corpus) if args.corpus else build_corpus(args.docs, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="bench_handoff_") as tmp:
        body = cc_section(Path(tmp) / "cc") + [""] + corpus_section(corpus, Path(tmp) / "corpus")
    command = "benchmarks/bench_handoff.py " + " ".join(sys.argv[1:])
    path = write_section("handoff", "Hand-off decisions on crawl pages and make_corpus documents (issue 16)",
                         command.strip(), "\n".join(body))
    print("\n".join(body))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
