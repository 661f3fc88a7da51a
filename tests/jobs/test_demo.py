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
