import json

from pipeline.cli import main


def test_demo_runs_every_stage_and_the_report_reconciles(tmp_path, capsys):
    assert main(["demo", "--output", str(tmp_path), "--docs", "150", "--progress_interval=0"]) == 0
    out = capsys.readouterr().out
    assert "Thresher demo finished" in out
    for stage in ("[ingest]", "[annotate]", "[dedup]", "[manifest]", "[report]"):
        assert stage in out
    run = tmp_path / "run"
    ingest = json.loads((run / "ingest" / "stats" / "ingest.json").read_text())
    manifest = json.loads((run / "manifest" / "stats" / "manifest.json").read_text())
    assert ingest["balanced"] and manifest["balanced"]
    assert ingest["errors_by_reason"] == {"invalid_json": 1, "truncated_stream": 1}
    assert f"records in: {ingest['records']}   kept: {ingest['docs']}" in out
    funnel = json.loads((run / "report" / "funnel.json").read_text())
    steps = funnel["steps"]
    # removals add up: input records minus everything removed is what was curated
    removed = sum(s.get("removed_docs", 0) for s in steps)
    assert steps[0]["docs"] == ingest["records"]
    assert steps[-1]["docs"] == manifest["kept"] == ingest["records"] - removed
    assert funnel["totals"]["curated_chars"] == sum(manifest["chars_after"].values())
    assert sum(funnel["mix"]["lang_before"].values()) == manifest["records"]
    assert (run / "report" / "funnel.png").stat().st_size > 10_000
    # tokens reconcile too: selection input minus rejections and cuts is what the index holds
    import pyarrow.parquet as pq
    manifest_steps = [s for s in steps if s["stage"] == "manifest"]
    assert manifest_steps[0]["tokens"] == sum(manifest["tokens_before"].values())
    removed_tokens = sum(s.get("removed_tokens") or 0 for s in manifest_steps)
    index_tokens = sum(pq.read_table(run / "manifest" / "index").column("tokens").to_pylist())
    assert funnel["totals"]["curated_tokens"] == index_tokens == manifest_steps[0]["tokens"] - removed_tokens
    # the demo plants contact details: their redaction is a step of its own, and the summary says so
    [redacted] = [s for s in manifest_steps if s["step"].startswith("redacted:")]
    assert manifest["redactions_by_type"].get("email", 0) > 0
    for kind, n in manifest["redactions_by_type"].items():
        assert f"{n} {kind}" in redacted["step"] and f"redacted {kind}: {n}" in out


def test_demo_counts_what_it_wrote_and_suggests_a_command_that_works(tmp_path, capsys):
    import os
    import shlex
    import subprocess

    assert main(["demo", "--output", str(tmp_path), "--docs", "60", "--progress_interval=0"]) == 0
    captured = capsys.readouterr()
    ingest = json.loads((tmp_path / "run" / "ingest" / "stats" / "ingest.json").read_text())
    assert f"({ingest['records']} input records in 3 files" in captured.err
    [command] = [line.strip() for line in captured.out.splitlines() if " execute --inplace " in line]
    env_part, rest = command.split(" ", 1)
    env = dict(os.environ, **dict([env_part.split("=", 1)]))
    subprocess.run(shlex.split(rest), env=env, check=True, capture_output=True, timeout=300)
    executed = json.loads((tmp_path / "inspect_manifest.ipynb").read_text())
    assert any(cell.get("outputs") for cell in executed["cells"] if cell["cell_type"] == "code")
