"""The ingest job end to end through the CLI entry point, on make_corpus.py output."""
import json
import socket
import subprocess
import sys
import time
from collections import Counter

import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.cli import main
from schemas import DOCUMENTS, ERRORS, REJECTED, validate_table


def raw_records(corpus):
    rows = []
    for path in sorted((corpus / "raw").glob("*.jsonl.zst")):
        with open(path, "rb") as f:
            data = zstandard.ZstdDecompressor().stream_reader(f).read()
        rows += [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    return rows


def ingest(inputs, out, *extra):
    args = ["ingest", "--output", str(out)]
    for i in inputs:
        args += ["--input", str(i)]
    assert main(args + list(extra)) == 0
    return json.loads((out / "stats" / "ingest.json").read_text())


@pytest.fixture(scope="module")
def ingested_3000(corpus_3000, tmp_path_factory):
    out = tmp_path_factory.mktemp("ingest3000")
    stats = ingest([corpus_3000 / "raw"], out)
    return out, stats


def test_every_nonempty_document_kept_with_its_id(corpus_3000, ingested_3000):
    out, stats = ingested_3000
    raw = raw_records(corpus_3000)
    assert stats["files_by_kernels"] == {"compiled": stats["files"]}     # clean_text's kernel ran on every file
    docs = pq.read_table(out / "docs")
    validate_table(docs, DOCUMENTS)
    nonempty = {r["id"] for r in raw if r["text"].strip()}
    assert set(docs.column("id").to_pylist()) == nonempty
    by_id = {r["id"]: r for r in raw}
    for row in docs.slice(0, 200).to_pylist():
        assert row["url"] == by_id[row["id"]]["url"] and row["source"] == "web"
        assert row["date"].strftime("%Y-%m-%d") == by_id[row["id"]]["date"]
    rejected = pq.read_table(out / "rejected")
    validate_table(rejected, REJECTED)
    empty_ids = {r["id"] for r in raw if not r["text"].strip()}
    assert set(rejected.column("id").to_pylist()) == empty_ids
    assert set(rejected.column("reason").to_pylist()) == {"empty_text"}
    assert stats["records"] == len(raw) == stats["docs"] + stats["rejected"] + stats["errors"]
    assert stats["balanced"] and stats["errors"] == 0


def test_bad_inputs_accounted_per_file(corpus_small, tmp_path):
    stats = ingest([corpus_small / "bad" / "*.jsonl*"], tmp_path)
    per_file = {k.rsplit("/", 1)[-1]: v for k, v in stats["by_file"].items()}
    assert per_file["malformed_json.jsonl"]["docs"] == 100
    assert per_file["malformed_json.jsonl"]["errors"] + per_file["malformed_json.jsonl"]["rejected"] == 8
    assert per_file["invalid_utf8.jsonl"]["docs"] == 50
    for name in ("truncated.jsonl.gz", "truncated.jsonl.zst"):
        assert per_file[name]["errors"] == 1 and 0 < per_file[name]["docs"] < 150
    assert per_file["garbage.jsonl.gz"] == {"records": 1, "docs": 0, "rejected": 0, "errors": 1}
    assert per_file["empty.jsonl"]["records"] == 0
    assert per_file["huge_doc.jsonl"]["docs"] == 3
    for counts in per_file.values():
        assert counts["records"] == counts["docs"] + counts["rejected"] + counts["errors"]
    assert stats["balanced"]
    errors = pq.read_table(tmp_path / "errors")
    validate_table(errors, ERRORS)
    assert errors.num_rows == stats["errors"]
    assert Counter(errors.column("reason").to_pylist())["truncated_stream"] == 2
    docs = pq.read_table(tmp_path / "docs")
    assert docs.num_rows == stats["doc_rows"]
    assert len(set(docs.column("id").to_pylist())) == docs.num_rows   # repeated ids were made unique
    assert max(len(t) for t in docs.column("text").to_pylist()) <= 1_000_000


def test_real_warc_and_wet_files(shared_data, tmp_path):
    stats = ingest([shared_data / "cc_formats" / "*.warc.gz", shared_data / "cc_formats" / "*.wet.gz"], tmp_path)
    assert stats["balanced"] and stats["docs"] >= 16 + 29 + 22 + 15 + 1 + 1
    assert stats["errors_by_reason"].get("truncated_stream", 0) + \
        stats["errors_by_reason"].get("truncated_record", 0) == 1
    assert stats["ignored_by_reason"]["warc_request"] >= 17


def test_same_input_same_output(corpus_small, tmp_path):
    a = ingest([corpus_small / "raw"], tmp_path / "a")
    b = ingest([corpus_small / "raw"], tmp_path / "b", "--direct_num_workers=2",
               "--direct_running_mode=multi_threading")
    assert {k: v for k, v in a.items()} == {k: v for k, v in b.items()}
    names = sorted(p.name for p in (tmp_path / "a" / "docs").glob("*.parquet"))
    assert names == sorted(p.name for p in (tmp_path / "b" / "docs").glob("*.parquet"))
    for name in names:
        assert pq.read_table(tmp_path / "a" / "docs" / name).equals(pq.read_table(tmp_path / "b" / "docs" / name))


def test_rerun_replaces_stale_shards(corpus_small, tmp_path):
    stale = tmp_path / "docs" / "part-00099-of-00100.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    ingest([corpus_small / "raw"], tmp_path)
    assert not stale.exists()


def test_cli_reports_bad_arguments_clearly(tmp_path, capsys):
    assert main(["ingest", "--input", str(tmp_path / "nothing*.jsonl"), "--output", str(tmp_path / "o")]) == 2
    assert "matches no file" in capsys.readouterr().err
    cfg = tmp_path / "c.yaml"
    cfg.write_text("ingest:\n  max_doc_char: 10\n")
    assert main(["ingest", "--input", str(tmp_path), "--output", str(tmp_path / "o"), "--config", str(cfg)]) == 2
    assert "unknown key(s) in ingest: max_doc_char" in capsys.readouterr().err


def test_console_script_runs(corpus_small, tmp_path):
    exe = __import__("shutil").which("thresher") or str(__import__("pathlib").Path(sys.executable).parent / "thresher")
    proc = subprocess.run([exe, "ingest", "--input", str(corpus_small / "raw" / "part-00000.jsonl.zst"),
                           "--output", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["balanced"] and summary["docs"] > 50
    assert "ingest.records" in proc.stderr          # counters printed at the end


def _free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_portable_runner_matches_default(corpus_small, tmp_path):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("localhost", port)) == 0:
                    break
            time.sleep(0.5)
        default = ingest([corpus_small / "raw"], tmp_path / "default")
        portable = ingest([corpus_small / "raw"], tmp_path / "portable", "--runner=PortableRunner",
                          f"--job_endpoint=localhost:{port}", "--environment_type=LOOPBACK")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert default == portable
    a = pq.read_table(tmp_path / "default" / "docs").sort_by("id")
    b = pq.read_table(tmp_path / "portable" / "docs").sort_by("id")
    assert a.num_rows > 300 and a.equals(b)
