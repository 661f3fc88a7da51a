"""Where the CPU time of ingest, annotate and dedup goes (issue 21): each stage job runs in this
process under cProfile (FnApiRunner, one in-process worker, so the DoFns are profiled too).

Per stage it reports the wall and CPU time, the top functions by own time, and the time per
document of each rule family, taken as the cumulative time of the functions that implement it
(LID, each quality rule family, each safety filter, shingling + MinHash, LSH banding, connected
components, Parquet reads and writes). The import and pipeline-construction cost is measured
apart: the first stage pays the imports.

Usage: .venv/bin/python benchmarks/bench_profile.py [--corpus DIR] [--docs 3000] [--top 12] [--label before]
Writes benchmarks/results/profile.md (a section per --label, so "before" and "after" sit side by side).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import RESULTS, build_corpus, machine  # noqa: E402

# family -> [(file suffix, function name)] whose cumulative times add up to the family's time
FAMILIES = {
    "annotate": [
        ("LID (fastText, langdetect, lingua)", [("pipeline/annotators.py", "annotate", "LidAnnotator")]),
        ("quality: all of score_batch (segmentation, classes, spans; holds the rule families below)",
         [("filters/quality.py", "score_batch")]),
        ("quality: Gopher quality", [("filters/quality.py", "_gopher_quality")]),
        ("quality: Gopher repetition", [("filters/quality.py", "_gopher_repetition")]),
        ("quality: C4", [("filters/quality.py", "_c4")]),
        ("quality: FineWeb", [("filters/quality.py", "_fineweb")]),
        ("quality: content rules (URLs, boilerplate, encoding, spam)", [("filters/quality.py", "_content_rules")]),
        ("safety: word lists", [("filters/blocklist.py", "scan")]),
        ("safety: PII", [("filters/pii.py", "find_pii")]),
        ("safety: URL lists", [("filters/urlfilter.py", "category")]),
        ("Parquet read + write", [("pyarrow/parquet/core.py", "read_row_group"), ("pipeline/beam_io.py", "write_parquet")]),
    ],
    "dedup": [
        ("shingling + MinHash signatures", [("filters/minhash.py", "signatures")]),
        ("exact and unit hashes (paragraphs, sentences, site lines)", [("filters/dedup_text.py", "_doc_hashes_chunk"),
                                                                      ("filters/dedup_text.py", "_doc_hashes_chunk_native"),
                                                                      ("filters/dedup_text.py", "_units_chunk_arrays")]),
        ("segmentation for repetition units", [("filters/segment.py", "paragraph_spans"),
                                               ("filters/segment.py", "sentence_spans")]),
        ("LSH banding", [("filters/minhash.py", "band_key_matrix"), ("pipeline/dedup.py", "b_bit_sketches")]),
        ("connected components", [("pipeline/components.py", "*")]),
        ("Parquet read + write", [("pyarrow/parquet/core.py", "read_row_group"), ("pipeline/beam_io.py", "write_parquet"),
                                  ("pipeline/beam_io.py", "write_arrow_shard"), ("pipeline/dedup.py", "_write_signatures")]),
    ],
    "ingest": [
        ("reading and decompressing", [("pipeline/input_formats.py", "read_records")]),
        ("text normalisation", [("filters/normalize.py", "_clean_text_native|clean_text")]),
        ("Parquet write (rows to Arrow, spill files, shard compaction)",
         [("pipeline/beam_io.py", "_flush"), ("pipeline/beam_io.py", "read_spill"),
          ("pipeline/beam_io.py", "write_table_parquet"), ("pipeline/beam_io.py", "write_parquet")]),
    ],
}


def _family_seconds(stats: pstats.Stats, suffix: str, func: str) -> float:
    """Cumulative seconds of the functions named ``func`` in files ending with ``suffix``; '*' sums
    the own time of every function of the file (its functions call each other)."""
    total = 0.0
    for (filename, _, name), (_, _, tt, ct, _) in stats.stats.items():
        if filename.replace("\\", "/").endswith(suffix):
            if func == "*":
                total += tt
            elif name == func:
                total += ct
    return total


def _class_line_ranges(filename: str) -> dict[str, tuple[int, int]]:
    src = Path(filename).read_text(encoding="utf-8").splitlines()
    starts = [(i + 1, m.group(1)) for i, line in enumerate(src) for m in [re.match(r"class (\w+)", line)] if m]
    ends = [s for s, _ in starts[1:]] + [len(src) + 1]
    return {name: (s, e) for (s, name), e in zip(starts, ends)}


def family_table(stats: pstats.Stats, stage: str, docs: int) -> list[str]:
    rows = []
    for label, patterns in FAMILIES.get(stage, []):
        seconds = 0.0
        for pattern in patterns:
            if len(pattern) > 2:     # a method of one class
                for (filename, line, name), (_, _, tt, ct, _) in stats.stats.items():
                    if filename.replace("\\", "/").endswith(pattern[0]) and name == pattern[1]:
                        lo, hi = _class_line_ranges(filename).get(pattern[2], (0, 0))
                        if lo <= line < hi:
                            seconds += ct
            elif "|" in pattern[1]:   # alternatives, the first calling the others: the outermost
                seconds += max(_family_seconds(stats, pattern[0], name) for name in pattern[1].split("|"))
            else:
                seconds += _family_seconds(stats, pattern[0], pattern[1])
        rows.append(f"| {label} | {seconds:.2f} | {1e3 * seconds / max(1, docs):.3f} |")
    return rows


def top_own(stats: pstats.Stats, n: int) -> list[str]:
    entries = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:n]
    out = []
    for (filename, line, name), (cc, nc, tt, ct, _) in entries:
        short = re.sub(r".*/(site-packages|lib/python3\.\d+)/", "", filename)
        short = short.replace(str(Path(__file__).resolve().parent.parent) + "/", "")
        out.append(f"| `{short}:{line}` {name} | {tt:.2f} | {ct:.2f} | {nc} |")
    return out


def run_stage(args: list[str]) -> tuple[pstats.Stats, float, float]:
    from pipeline.cli import main
    profiler = cProfile.Profile()
    t0, c0 = time.perf_counter(), time.process_time()
    profiler.enable()
    code = main(args)
    profiler.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if code != 0:
        raise SystemExit(f"thresher {' '.join(args)} failed ({code})")
    return pstats.Stats(profiler, stream=io.StringIO()), wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", help="a make_corpus.py output (default: build a 3,000-document one)")
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--label", default="current", help="section label, e.g. before / after")
    args = ap.parse_args()
    corpus = Path(args.corpus) if args.corpus else build_corpus(args.docs)
    t_import = time.perf_counter()
    import pipeline.cli  # noqa: F401  (the imports every stage job pays once: the CLI imports the
    import pipeline.runner  # noqa: F401  runner, and with it Beam, once its arguments are parsed)
    import_s = time.perf_counter() - t_import
    beam = ["--direct_num_workers=1", "--progress_interval=0"]
    body = [f"- imports of `pipeline.cli` and `pipeline.runner` (Beam; paid once per process): {import_s:.2f} s", ""]
    with tempfile.TemporaryDirectory(prefix="bench_profile_") as tmp:
        out = Path(tmp)
        jobs = [("ingest", ["ingest", "--input", str(corpus / "raw" / "*"), "--output", str(out / "ingest")]),
                ("annotate", ["annotate", "--input", str(out / "ingest"), "--output", str(out / "annotate")]),
                ("dedup", ["dedup", "--input", str(out / "annotate"), "--output", str(out / "dedup")])]
        for stage, cli_args in jobs:
            stats, wall, cpu = run_stage(cli_args + beam)
            stage_stats = json.loads((out / stage / "stats" / f"{stage}.json").read_text())
            docs = stage_stats.get("docs") or stage_stats.get("records") or 0
            body += [f"### {stage}: {docs} documents, {wall:.1f} s wall, {cpu:.1f} s CPU "
                     f"({docs / max(cpu, 1e-9):.0f} documents per CPU-second, start-up included)", "",
                     "| rule family | CPU s (cumulative) | ms per document |", "|---|---|---|",
                     *family_table(stats, stage, docs), "",
                     f"Top {args.top} functions by own time:", "",
                     "| function | own s | cumulative s | calls |", "|---|---|---|---|",
                     *top_own(stats, args.top), ""]
    command = "benchmarks/bench_profile.py " + " ".join(sys.argv[1:])
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    section = (f"<!-- profile {args.label} -->\n### Profile: {args.label}\n\n- command: `{command.strip()}`\n"
               f"- machine: {machine()}\n- date: {now}\n- corpus: {corpus.name}\n\n" + "\n".join(body).strip() + "\n")
    path = RESULTS / "profile.md"
    old = path.read_text(encoding="utf-8") if path.exists() else \
        "## Where the time goes: cProfile of ingest, annotate and dedup (issue 21)\n"
    kept = re.sub(rf"<!-- profile {re.escape(args.label)} -->.*?(?=<!-- profile |\Z)", "", old, flags=re.S)
    path.write_text(kept.rstrip() + "\n\n" + section, encoding="utf-8")
    print(section)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
