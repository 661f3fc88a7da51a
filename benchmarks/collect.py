"""Assemble benchmarks/RESULTS.md from the sections each benchmark wrote to benchmarks/results/.

    .venv/bin/python benchmarks/collect.py
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["ingest", "lid", "minhash", "dedup", "semantic", "quality", "safety", "toxicity", "annotate", "manifest",
         "speed", "profile", "startup", "scaling", "scale", "cluster"]


def main() -> None:
    sections = sorted((HERE / "results").glob("*.md"),
                      key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem))
    parts = ["# Benchmark results\n",
             "Each section is written by `benchmarks/bench_<name>.py` and says the command, machine and date.\n"
             "The machine is shared (2 cores): timings taken while other work ran are marked as such.\n"]
    parts += [p.read_text(encoding="utf-8").strip() + "\n" for p in sections]
    (HERE / "RESULTS.md").write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'} from {len(sections)} section(s)")


if __name__ == "__main__":
    main()
