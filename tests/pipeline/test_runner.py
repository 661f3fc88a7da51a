"""Runner plumbing: options, progress lines, completion markers, per-stage config hashes and stable
CamelCase step labels in every stage's pipeline graph (built, never run)."""
from __future__ import annotations

import dataclasses
import io
import json
import re
import time
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import StandardOptions

from pipeline import runner
from pipeline.annotate import build_annotate
from pipeline.stages import STAGES
from pipeline.config import Config, config_from_dict
from schemas import SCHEMA_VERSION
from pipeline.dedup import build_dedup
from pipeline.ingest import build_ingest
from pipeline.manifest import build_manifest
from pipeline.runner import InputFile, RowGroup, beam_options, note_progress, progress_interval, run_job

CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
OUR_MODULES = ("pipeline.", "filters.", "schemas.")

_FILES = [InputFile("/corpus/raw/a.jsonl.zst", 40_000, "/corpus/raw/"),
          InputFile("/corpus/raw/b.warc.gz", 90_000, "/corpus/raw/")]
_ITEMS = [RowGroup("/run/ingest/docs/part-00000-of-00002.parquet", 0, 500, "part-00000-of-00002-rg00000.parquet"),
          RowGroup("/run/ingest/docs/part-00001-of-00002.parquet", 0, 480, "part-00001-of-00002-rg00000.parquet")]

# One builder per registered stage; a stage added to stages.STAGES must be added here too.
BUILDERS = {
    "ingest": lambda p, cfg: build_ingest(p, _FILES, "/run/ingest", cfg),
    "annotate": lambda p, cfg: build_annotate(p, _ITEMS, "/run/annotate", cfg),
    "dedup": lambda p, cfg: build_dedup(p, _ITEMS, "/run/dedup", cfg),
    "manifest": lambda p, cfg: build_manifest(p, _ITEMS, {"clusters": _ITEMS[:1], "repeats": _ITEMS[1:]},
                                              "/run/manifest", cfg, {"inputs": {}, "seed": 0}),
}


def our_labels(pipeline: beam.Pipeline) -> list[str]:
    """Full labels of every transform Thresher names: top-level steps and the steps inside
    Thresher's own composite transforms (the insides of Beam's built-ins are Beam's business)."""
    labels = []

    def walk(node):
        for part in node.parts:
            labels.append(part.full_label)
            if type(part.transform).__module__.startswith(OUR_MODULES):
                walk(part)

    walk(pipeline.transforms_stack[0])
    return labels


def built(stage: str, config: Config | None = None) -> beam.Pipeline:
    pipeline = beam.Pipeline(options=beam_options([], stage))
    BUILDERS[stage](pipeline, config or Config())
    return pipeline


def test_every_chain_stage_has_a_label_check():
    assert [s.name for s in STAGES] == list(BUILDERS)[: len(STAGES)]
    assert set(BUILDERS) == {s.name for s in STAGES}


@pytest.mark.parametrize("stage", list(BUILDERS))
def test_step_labels_are_camel_case_and_stable(stage):
    pipeline = built(stage)
    labels = our_labels(pipeline)
    assert len(labels) >= 5
    bad = [label for label in labels if not all(CAMEL.match(part) for part in label.split("/"))]
    assert not bad, f"auto-generated or non-CamelCase step labels in {stage}: {bad}"
    assert len(set(labels)) == len(labels)
    # the portable graph (what PortableRunner, Flink and Dataflow receive) names the top-level
    # steps by these labels, never ``ref_AppliedPTransform_...``
    proto = pipeline.to_runner_api()
    root = proto.components.transforms[proto.root_transform_ids[0]]
    names = [proto.components.transforms[t].unique_name for t in root.subtransforms]
    assert names == [label for label in labels if "/" not in label]
    # the same graph comes out of another build, with other settings
    other = config_from_dict({"dedup": {"min_repeat_docs": 3}, "ingest": {"shard_target_mb": 1}})
    assert our_labels(built(stage, other)) == labels


def test_beam_options_defaults_and_progress_interval(monkeypatch):
    monkeypatch.delenv(runner.PROGRESS_ENV, raising=False)
    opts = beam_options([], "ingest")
    assert opts.view_as(StandardOptions).runner == "FnApiRunner"
    assert progress_interval(opts) == runner.DEFAULT_PROGRESS_INTERVAL
    assert progress_interval(beam_options(["--progress_interval=0"], "x")) == 0
    assert progress_interval(beam_options(["--progress_interval=2.5"], "x")) == 2.5
    monkeypatch.setenv(runner.PROGRESS_ENV, "7")
    assert progress_interval(beam_options([], "x")) == 7
    assert progress_interval(beam_options(["--progress_interval=1"], "x")) == 1   # the flag wins
    opts = beam_options(["--runner=PortableRunner", "--job_endpoint=localhost:1"], "x")
    assert opts.view_as(StandardOptions).runner == "PortableRunner"


def test_beam_flags_after_a_bare_double_dash_are_not_ignored():
    from pipeline.cli import build_parser
    _, rest = build_parser().parse_known_args(["ingest", "--input", "x", "--output", "y", "--",
                                               "--runner=PortableRunner", "--job_endpoint=localhost:1"])
    assert "--" in rest
    opts = beam_options(rest, "ingest")
    assert opts.view_as(StandardOptions).runner == "PortableRunner"
    assert opts.get_all_options()["job_endpoint"] == "localhost:1"


class _SlowDocs(beam.DoFn):
    def __init__(self):
        self.docs = Metrics.counter("toy", "docs")

    def process(self, x):
        time.sleep(0.12)
        self.docs.inc()
        note_progress("toy", 1)
        yield x


def _toy(p):
    p | "Docs" >> beam.Create(list(range(10))) | "Work" >> beam.ParDo(_SlowDocs())


def test_run_job_prints_progress_and_counters(tmp_path):
    log = io.StringIO()
    out = run_job("toy", _toy, beam_options(["--progress_interval=0.25"], "toy"), log=log)
    text = log.getvalue()
    progress = re.findall(r"^\[toy\] (\d+) docs, ([\d.]+) docs/s, \d+s elapsed$", text, re.M)
    assert progress, text
    counts = [int(n) for n, _ in progress]
    assert counts == sorted(counts) and 0 < counts[-1] <= 10 and float(progress[-1][1]) > 0
    assert re.search(r"^\[toy\] finished in [\d.]+s: 10 docs", text, re.M)
    assert "  toy.docs = 10" in text
    assert out["counters"]["toy.docs"] == 10 and out["elapsed_s"] > 0


def test_progress_interval_zero_is_quiet(tmp_path):
    log = io.StringIO()
    run_job("toy", _toy, beam_options(["--progress_interval=0"], "toy"), log=log)
    text = log.getvalue()
    assert not re.search(r"docs/s, \d+s elapsed|running, \d+s elapsed", text), text
    assert "toy.docs = 10" in text     # the end-of-job counters are always printed


def test_heartbeat_without_progress_reports(tmp_path):
    def build(p):
        p | "Docs" >> beam.Create([1, 2]) | "Wait" >> beam.Map(lambda x: time.sleep(0.4) or x)
    log = io.StringIO()
    run_job("quiet", build, beam_options(["--progress_interval=0.2"], "q"), log=log)
    assert re.search(r"^\[quiet\] running, \d+s elapsed$", log.getvalue(), re.M), log.getvalue()


def test_worker_side_progress_lines(monkeypatch):
    """Outside a driver-watched stage (a worker process), note_progress prints its own share."""
    monkeypatch.setenv(runner.PROGRESS_ENV, "0.05")
    log = io.StringIO()
    note_progress("workerstage", 3, log=log)
    assert log.getvalue() == ""                      # nothing before one interval has passed
    time.sleep(0.08)
    note_progress("workerstage", 4, log=log)
    assert re.search(r"^\[workerstage\] worker \d+: 7 docs, [\d.]+ docs/s", log.getvalue(), re.M)
    monkeypatch.setenv(runner.PROGRESS_ENV, "0")
    log = io.StringIO()
    time.sleep(0.08)
    note_progress("workerstage", 1, log=log)
    assert log.getvalue() == ""
    assert runner.progress_docs("workerstage") == 8


def test_config_hash_follows_only_the_sections_a_stage_reads():
    base = Config()
    hashes = {s.name: base.hash(s.sections) for s in STAGES}
    assert len(set(hashes.values())) == len(hashes)
    assert {s.name: Config().hash(s.sections) for s in STAGES} == hashes   # stable

    dedup_only = config_from_dict({"dedup": {"min_repeat_docs": 3}})
    changed = {s.name for s in STAGES if dedup_only.hash(s.sections) != hashes[s.name]}
    assert changed == {"dedup"}
    annotate_only = dataclasses.replace(base, annotate=dataclasses.replace(
        base.annotate, safety=dataclasses.replace(base.annotate.safety, pii=False)))
    changed = {s.name for s in STAGES if annotate_only.hash(s.sections) != hashes[s.name]}
    assert changed == {"annotate"}
    ingest_only = config_from_dict({"ingest": {"max_doc_chars": 5000}})
    changed = {s.name for s in STAGES if ingest_only.hash(s.sections) != hashes[s.name]}
    assert changed == {"ingest"}


def test_config_hash_sees_model_file_changes(tmp_path):
    model = tmp_path / "tox.ftz"
    model.write_bytes(b"x" * 10)
    cfg = dataclasses.replace(Config(), annotate=dataclasses.replace(
        Config().annotate, safety=dataclasses.replace(Config().annotate.safety, toxicity_model=str(model))))
    sections = next(s.sections for s in STAGES if s.name == "annotate")
    before = cfg.hash(sections)
    model.write_bytes(b"y" * 20)       # retrained model, same path
    assert cfg.hash(sections) != before
    assert json.dumps(before)          # plain string


def test_run_all_resume_logic_with_stand_in_stages(tmp_path):
    """chain.run_all's skip/re-run decisions, with a stand-in for run_stage that only writes files
    and the marker (as run_stage does: the stage's config hash plus the chain's fields)."""
    from pipeline.chain import run_all
    from pipeline.runner import write_marker
    from pipeline.stages import Stage

    calls, runs = [], []

    def stand_in_run(stage, inputs, out, config, options, marker=None, log=None):
        name = stage.name
        calls.append(name)
        assert inputs == {"dirs": {s: str(tmp_path / "out" / s) for s in ("first", "second", "third")}}
        (Path(out) / "stats").mkdir(parents=True, exist_ok=True)
        (Path(out) / "docs").mkdir(exist_ok=True)
        (Path(out) / "docs" / "part.parquet").write_text(f"{name} {len(calls)}")
        (Path(out) / "stats" / f"{name}.json").write_text(json.dumps({"docs": len(calls), "by_file": {}}))
        runs.append(name)
        write_marker(out, dict(marker, stage=name, run_id=f"{name}-{len(runs)}", schema_version=SCHEMA_VERSION,
                               config_hash=config.hash(stage.sections)))
        return {"docs": len(calls), "by_file": {}}

    def stage(name, section):
        return Stage(name, "", "", (section,), ("docs",), lambda p: None, from_args=lambda a: {},
                     from_chain=lambda raw, fmt, dirs: {"dirs": dirs})

    stages = [stage("first", "ingest"), stage("second", "annotate"), stage("third", "dedup")]
    src = tmp_path / "in.jsonl"
    src.write_text("{}\n")
    out = str(tmp_path / "out")

    def run(config=Config(), **kw):
        calls.clear()
        report = run_all([str(src)], out, config, None, stages=stages, log=None, run=stand_in_run, **kw)
        assert set(report) == {"first", "second", "third"}
        assert all("by_file" not in r for r in report.values())
        return list(calls), {k: r["skipped"] for k, r in report.items()}

    assert run() == (["first", "second", "third"], {"first": False, "second": False, "third": False})
    assert run() == ([], {"first": True, "second": True, "third": True})
    dedup_change = config_from_dict({"dedup": {"min_repeat_docs": 5}})
    assert run(dedup_change)[0] == ["third"]
    assert run(dedup_change)[0] == []
    assert run()[0] == ["third"]                       # back to the old settings: re-run again
    (tmp_path / "out" / "second" / runner.MARKER).unlink()          # killed during "second"
    assert run()[0] == ["second", "third"]
    src.write_text("{}\n{}\n")                          # the input changed (size)
    assert run()[0] == ["first", "second", "third"]
    assert run(force=True)[0] == ["first", "second", "third"]
    (tmp_path / "out" / "third" / "stats" / "third.json").unlink()   # outputs damaged
    assert run()[0] == ["third"]


def test_index_shards_follow_the_number_of_documents():
    from pipeline.manifest import INDEX_ROWS_PER_SHARD, index_shards

    def groups(*rows):
        return [RowGroup(f"/a/part-{i}.parquet", 0, n, f"part-{i}-rg00000.parquet") for i, n in enumerate(rows)]
    assert index_shards([]) == 1 and index_shards(groups(500, 480)) == 1
    assert index_shards(groups(INDEX_ROWS_PER_SHARD, 1)) == 2
    assert index_shards(groups(*[100_000] * 25)) == 5     # 2.5M documents (was 1 whatever the size)


_ARENAS_CHILD = ("import os, subprocess, sys\n"
                 "from pipeline.process import limit_malloc_arenas\n"
                 "limit_malloc_arenas()\n"
                 "print(subprocess.run([sys.executable, '-c', 'import os; print(os.environ.get(\"MALLOC_ARENA_MAX\"))'],"
                 " capture_output=True, text=True).stdout.strip())\n")


@pytest.mark.parametrize("given, seen", [(None, "2"), ("6", "6")])
def test_malloc_arenas_reach_worker_processes_unless_the_user_set_them(given, seen):
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    if given is not None:
        env["MALLOC_ARENA_MAX"] = given
    out = subprocess.run([sys.executable, "-c", _ARENAS_CHILD], env=env, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True).stdout.strip()
    assert out == seen


_SETTLE_CHILD = ("import gc\n"
                 "from pipeline.annotate import shared_annotators\n"
                 "from pipeline.config import Config\n"
                 "from pipeline.process import GC_YOUNG_THRESHOLD, release_memory\n"
                 "before = gc.get_threshold()[0]\n"
                 "shared_annotators(Config())\n"
                 "frozen, young = gc.get_freeze_count(), gc.get_threshold()[0]\n"
                 "shared_annotators(Config())\n"                      # cached: no second freeze
                 "again = gc.get_freeze_count()\n"
                 "release_memory()\n"
                 "print(before, frozen, young == GC_YOUNG_THRESHOLD, again == frozen, gc.get_freeze_count())\n")


def test_annotate_setup_freezes_what_it_loaded_and_a_finished_stage_thaws_it():
    """Annotate's set-up moves its loaded tables out of the collector's way (gc.freeze, a larger
    youngest generation); release_memory (between stages of thresher run) thaws them."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", _SETTLE_CHILD], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True).stdout.split()
    before, frozen, young_raised, once, thawed = out
    assert before == "700" and int(frozen) > 10_000
    assert young_raised == "True" and once == "True" and thawed == "0"


def test_young_gc_threshold_is_raised_once_and_never_lowered():
    import gc
    from pipeline.process import GC_YOUNG_THRESHOLD, raise_young_gc_threshold
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        raise_young_gc_threshold()
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10)
        gc.set_threshold(50_000, 5, 5)
        raise_young_gc_threshold()
        assert gc.get_threshold() == (50_000, 5, 5)
    finally:
        gc.set_threshold(*saved)


def test_kernel_mode_names_what_the_filters_run():
    """kernel_mode: "compiled" with every filters/_native module built (make setup), "pure_python"
    with THRESHER_PURE_PYTHON=1 (as on a worker where the build had no compiler)."""
    import os
    import subprocess
    import sys

    from pipeline.process import kernel_mode

    assert kernel_mode() == "compiled"
    code = "from pipeline.process import kernel_mode; print(kernel_mode())"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "THRESHER_PURE_PYTHON": "1"},
                         capture_output=True, text=True, cwd=str(Path(__file__).resolve().parents[2]))
    assert out.stdout.strip() == "pure_python", out.stderr
