"""Start-up cost (issue 21): what a command imports before it does any work. Each check runs in a
fresh interpreter, since this test process has imported everything already."""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("apache_beam", "pyarrow", "numpy", "yaml", "filters", "pipeline.runner", "pipeline.config")


def _modules_after(code: str) -> dict:
    """Run ``code`` in a new interpreter; returns {"exit": status or None, "loaded": heavy modules}."""
    probe = (
        "import json, sys\n"
        "status = None\n"
        "try:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "except SystemExit as exc:\n"
        "    status = exc.code\n"
        f"heavy = {HEAVY!r}\n"
        "loaded = sorted(h for h in heavy if any(m == h or m.startswith(h + '.') for m in sys.modules))\n"
        "sys.stdout = sys.__stdout__\n"
        "print('\\n' + json.dumps({'exit': status, 'loaded': loaded}))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_help_and_argument_errors_import_no_beam():
    assert _modules_after("import pipeline.cli") == {"exit": None, "loaded": []}
    assert _modules_after("from pipeline.cli import main\nmain(['--help'])") == {"exit": 0, "loaded": []}
    assert _modules_after("from pipeline.cli import main\nmain(['dedup', '--help'])") == {"exit": 0, "loaded": []}
    # a required argument missing, an unknown command
    assert _modules_after("from pipeline.cli import main\nmain(['dedup'])") == {"exit": 2, "loaded": []}
    assert _modules_after("from pipeline.cli import main\nmain(['nosuchstage'])") == {"exit": 2, "loaded": []}


def test_a_command_still_reports_a_bad_config_as_an_error(tmp_path):
    """Past the argument check the command imports what it needs and its errors read as before."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("dedup:\n  max_cc_rounds: 0\n")
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "dedup", "--input", str(tmp_path), "--output",
                           str(tmp_path / "out"), "--config", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "thresher dedup: error:" in proc.stderr and "max_cc_rounds" in proc.stderr


# ------------------------------------------------------------------ dedup: rounds bounded by the corpus size

EN = ("The river runs past the old mill where the farmers bring their grain every autumn. "
      "Children walk along the bank after school and count the boats that pass under the bridge. ")
DE = ("Der Fluss fliesst an der alten Muehle vorbei, wo die Bauern jeden Herbst ihr Getreide bringen. "
      "Die Kinder gehen nach der Schule am Ufer entlang und zaehlen die Boote unter der Bruecke. ")


def _dedup_input(tmp_path) -> str:
    """Four documents whose duplicate graph needs two rounds: 'b' and 'c' are exact copies (an exact
    edge b-c) and 'a' a near copy of both (a near-duplicate star a-b, a-c), so round 1 re-attaches
    c from b to a and only round 2 changes nothing."""
    from pipeline.beam_io import write_parquet
    from schemas import DOCUMENTS
    base = " ".join(f"{w}{i % 7}" for i, w in enumerate((EN * 4).split()))
    rows = [{"id": doc_id, "text": text, "source": "web", "source_file": "inline.jsonl", "position": i,
             "format": "jsonl", "notes": []}
            for i, (doc_id, text) in enumerate([("a", base.replace("river0", "stream0", 1)), ("b", base),
                                                ("c", base), ("d", DE * 4)])]
    write_parquet(str(tmp_path / "in" / "docs" / "part-00000-of-00001.parquet"), rows, DOCUMENTS)
    return str(tmp_path / "in")


def _run_dedup(input_dir, output, config=None):
    import io

    from pipeline.config import Config
    from pipeline.runner import beam_options, run_stage
    from pipeline.stages import BY_NAME
    log = io.StringIO()
    stats = run_stage(BY_NAME["dedup"], {"input": input_dir}, str(output), config or Config(),
                      beam_options(["--progress_interval=0"], "dedup"), log=log)
    return stats, log.getvalue()


def _clusters(output) -> list[tuple]:
    import pyarrow.parquet as pq
    rows = pq.read_table(str(output / "clusters")).to_pylist()
    return sorted((r["id"], r["cluster_id"], r["cluster_size"], r["match"]) for r in rows)


def test_dedup_bounds_its_rounds_by_the_document_count(tmp_path):
    from pipeline.runner import read_marker
    stats, log = _run_dedup(_dedup_input(tmp_path), tmp_path / "out")
    assert read_marker(str(tmp_path / "out"))["cc_rounds"] == 4   # ceil(log2(4)) + 2, below max_cc_rounds 12
    assert "re-running" not in log and "not_converged" not in log
    assert "dedup.components.rounds_with_changes = 1" in log      # the graph needs 2 rounds
    assert _clusters(tmp_path / "out") == [("a", "a", 3, "near"), ("b", "a", 3, "exact"), ("c", "a", 3, "exact"),
                                          ("d", "d", 1, "none")]
    assert stats["clusters"] == 2 and stats["duplicate_docs"] == 2


def test_dedup_reruns_with_every_round_when_the_bound_is_too_low(tmp_path, monkeypatch):
    """The bound is a guess that never decides a result: a graph it does not cover fails the job
    (NotConverged), which re-runs with dedup.max_cc_rounds and writes what that run writes."""
    import pipeline.dedup as dedup
    from pipeline.runner import read_marker
    input_dir = _dedup_input(tmp_path)
    full_stats, _ = _run_dedup(input_dir, tmp_path / "full")
    monkeypatch.setattr(dedup, "cc_rounds_for", lambda docs, config: 1)   # too few for this graph
    stats, log = _run_dedup(input_dir, tmp_path / "low")
    assert "[dedup] connected components needed more than the 1 rounds bounded for 4 documents: " \
           "re-running with dedup.max_cc_rounds = 12" in log
    marker = read_marker(str(tmp_path / "low"))
    assert marker["cc_rounds"] == 12 and "re-running" in marker["rerun"]
    assert _clusters(tmp_path / "low") == _clusters(tmp_path / "full")
    assert stats == full_stats
    assert "not_converged" not in log.split("re-running", 1)[1]


def test_dedup_at_its_configured_bound_still_counts_not_converged(tmp_path):
    """With max_cc_rounds itself too low there is nothing to re-run: as before, the job finishes,
    counts not_converged and keeps labels inside their components."""
    from pipeline.config import config_from_dict
    stats, log = _run_dedup(_dedup_input(tmp_path), tmp_path / "out", config_from_dict({"dedup": {"max_cc_rounds": 1}}))
    assert "re-running" not in log
    assert "dedup.components.not_converged = 1" in log
    assert {r[0]: r[1] for r in _clusters(tmp_path / "out")}["d"] == "d"


# ------------------------------------------------------------------ annotate: models once per process

def test_annotate_loads_its_models_once_per_process_and_config(tmp_path, monkeypatch):
    """Two AnnotateRowGroup instances (a runner's two worker threads) set up at once load the models
    once and share them; each has its own annotator objects (per-batch timings); another config
    loads its own."""
    import dataclasses
    import threading
    from collections import OrderedDict

    import pipeline.annotate as annotate
    from pipeline.config import Config
    monkeypatch.setattr(annotate, "_shared", OrderedDict())
    builds = []
    real = annotate.build_annotators
    monkeypatch.setattr(annotate, "build_annotators", lambda config: builds.append(config) or real(config))
    config = Config()
    fns = [annotate.AnnotateRowGroup(config, str(tmp_path / "out"), {}) for _ in range(2)]
    threads = [threading.Thread(target=fn.setup) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1
    (lid_a, quality_a, safety_a), (lid_b, quality_b, safety_b) = (fn.annotators for fn in fns)
    assert lid_a is not lid_b and lid_a.identifier is lid_b.identifier
    assert quality_a.scorer is quality_b.scorer and quality_a.timings is not quality_b.timings
    assert safety_a.urls is safety_b.urls and safety_a.words is safety_b.words
    other = dataclasses.replace(config, annotate=dataclasses.replace(
        config.annotate, lid=dataclasses.replace(config.annotate.lid, fasttext_threshold=0.9)))
    fn = annotate.AnnotateRowGroup(other, str(tmp_path / "out"), {})
    fn.setup()
    assert len(builds) == 2 and fn.annotators[0].identifier is not lid_a.identifier
