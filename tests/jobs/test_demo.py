import json

from pipeline.cli import main


def test_demo_runs_and_reports_every_stage(tmp_path, capsys):
    assert main(["demo", "--output", str(tmp_path), "--docs", "120"]) == 0
    out = capsys.readouterr().out
    assert "Thresher demo finished" in out and "[ingest]" in out
    stats = json.loads((tmp_path / "run" / "ingest" / "stats" / "ingest.json").read_text())
    assert stats["balanced"]
    assert stats["errors_by_reason"] == {"invalid_json": 1, "truncated_stream": 1}
    assert f"records in: {stats['records']}   kept: {stats['docs']}" in out
