"""`thresher run` on other runners and resumed runs.

* PortableRunner with a local job server and an EXTERNAL worker pool (separate processes) gives
  the same tables and stats as the default FnApiRunner.
* Resume: finished stages are skipped, a config change re-runs only the stages it affects and the
  ones after them, a killed run restarts where it stopped, ``--force`` redoes everything.
* Flink and Dataflow: the pipeline is built with their options (Dataflow: offline ``--dry_run``
  job with a staged sdist and worker requirements), never submitted.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.runner import MARKER

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
QUIET = "--progress_interval=0"
TIMING_KEYS = re.compile(r"seconds|ms_per|elapsed")


def corpus_inputs(corpus: Path) -> list[str]:
    return ["--input", str(corpus / "raw"), "--input", str(corpus / "bad" / "*.jsonl*")]


def thresher_run(capsys, corpus, out, *extra) -> dict:
    """`thresher run` in-process; returns the printed report."""
    capsys.readouterr()
    assert main(["run", *corpus_inputs(corpus), "--output", str(out), QUIET, "--json", *map(str, extra)]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out)


def _canon(value):
    """JSON-able, NaN-safe form of a row value (NaN == NaN here)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    return value


def table(directory: Path) -> list[dict]:
    """Every row of a Parquet table directory, sorted by id (then by content)."""
    rows = []
    for f in sorted(directory.glob("*.parquet")):
        rows += [_canon(r) for r in pq.read_table(f).to_pylist()]
    return sorted(rows, key=lambda r: (str(r.get("id")), json.dumps(r, sort_keys=True, default=str)))


def stats(path: Path) -> dict:
    data = json.loads(path.read_text())
    return {k: v for k, v in data.items() if not TIMING_KEYS.search(k)}


def _row_diff(rows: list[dict], other: list[dict], limit: int = 5) -> str:
    """The first differing (id, column, value, other value) of two tables, for failure messages."""
    if len(rows) != len(other):
        return f"{len(rows)} rows vs {len(other)}"
    out = []
    for r, o in zip(rows, other):
        for col in sorted(set(r) | set(o)):
            x, y = r.get(col), o.get(col)
            if x != y:
                if isinstance(x, dict) and isinstance(y, dict):
                    x, y = ({k: v for k, v in d.items() if x.get(k) != y.get(k)} for d in (x, y))
                out.append(f"{r.get('id')}.{col}: {str(x)[:200]} != {str(y)[:200]}")
        if len(out) >= limit:
            break
    return "; ".join(out)


def assert_same_outputs(a: Path, b: Path) -> None:
    compared = 0
    for stage in ("ingest", "annotate", "dedup", "manifest"):
        subs = sorted(p.name for p in (a / stage).iterdir() if p.is_dir())
        assert subs == sorted(p.name for p in (b / stage).iterdir() if p.is_dir())
        for sub in subs:
            if sub == "stats":
                for f in sorted((a / stage / sub).glob("*.json")):
                    assert stats(f) == stats(b / stage / sub / f.name), f"{stage}/{sub}/{f.name} differs"
                continue
            rows, other = table(a / stage / sub), table(b / stage / sub)
            assert rows == other, f"{stage}/{sub} differs: {_row_diff(rows, other)}"
            compared += len(rows)
    assert compared > 1000


def tree_state(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in root.rglob("*") if p.is_file()}


def marker(out: Path, stage: str) -> dict:
    return json.loads((out / stage / MARKER).read_text())


@pytest.fixture(scope="module")
def reference(corpus_small, tmp_path_factory):
    """`thresher run` on the default runner (FnApiRunner)."""
    out = tmp_path_factory.mktemp("runners") / "default"
    assert main(["run", *corpus_inputs(corpus_small), "--output", str(out), QUIET]) == 0
    return out


# --- PortableRunner + external worker pool ----------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("localhost", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"port {port} of {proc.args} not open after {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def portable_services(tmp_path_factory):
    """A local job server and an external SDK worker pool, as subprocesses; always stopped."""
    logs = tmp_path_factory.mktemp("portable_logs")
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               THRESHER_PROGRESS_INTERVAL="0")
    job_port, pool_port = free_port(), free_port()
    commands = {
        "job_server": ([sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
                        "--port", str(job_port)], job_port),
        "worker_pool": ([sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
                         f"--service_port={pool_port}"], pool_port),
    }
    procs = []
    try:
        for name, (cmd, port) in commands.items():
            log = logs / f"{name}.log"
            proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=REPO)
            procs.append(proc)
            wait_for_port(port, proc, log)
        yield {"job_port": job_port, "pool_port": pool_port, "logs": logs}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_portable_runner_with_external_worker_pool_matches_default(corpus_small, reference, portable_services,
                                                                  tmp_path, capsys):
    out = tmp_path / "portable"
    report = thresher_run(capsys, corpus_small, out, "--runner=PortableRunner",
                          f"--job_endpoint=localhost:{portable_services['job_port']}",
                          "--environment_type=EXTERNAL",
                          f"--environment_config=localhost:{portable_services['pool_port']}")
    assert [s for s, r in report.items() if r["skipped"]] == []
    assert report["ingest"]["docs"] > 300 and report["ingest"]["errors"] > 0
    assert_same_outputs(reference, out)
    # the work really ran in the pool's worker processes, not in this one
    assert "worker" in (portable_services["logs"] / "worker_pool.log").read_text().lower()


# --- resume ------------------------------------------------------------------------------------

def skipped(report: dict) -> dict:
    return {stage: r["skipped"] for stage, r in report.items()}


@pytest.mark.slow
def test_resume_skips_finished_stages_and_reruns_what_changed(corpus_small, reference, tmp_path, capsys):
    out = tmp_path / "run"
    first = thresher_run(capsys, corpus_small, out)
    assert skipped(first) == {"ingest": False, "annotate": False, "dedup": False, "manifest": False}
    assert_same_outputs(reference, out)

    # nothing changed: every stage is skipped, nothing is rewritten, the report is the same
    before = tree_state(out)
    started = time.monotonic()
    again = thresher_run(capsys, corpus_small, out)
    assert skipped(again) == {"ingest": True, "annotate": True, "dedup": True, "manifest": True}
    assert time.monotonic() - started < 10
    assert tree_state(out) == before
    assert {s: {k: v for k, v in r.items() if k != "skipped"} for s, r in again.items()} == \
        {s: {k: v for k, v in r.items() if k != "skipped"} for s, r in first.items()}

    # a manifest-only setting (a new threshold) re-runs the manifest alone
    manifest_cfg = tmp_path / "manifest.yaml"
    manifest_cfg.write_text("manifest:\n  selection:\n    min_quality: 0.6\n")
    report = thresher_run(capsys, corpus_small, out, "--config", manifest_cfg)
    assert skipped(report) == {"ingest": True, "annotate": True, "dedup": True, "manifest": False}
    assert report["manifest"]["kept"] < first["manifest"]["kept"]

    # a dedup-only setting: ingest and annotate stay, dedup (and the manifest after it) re-run
    dedup_cfg = tmp_path / "dedup.yaml"
    dedup_cfg.write_text("dedup:\n  min_repeat_docs: 3\n")
    ingest_marker, annotate_marker = marker(out, "ingest"), marker(out, "annotate")
    report = thresher_run(capsys, corpus_small, out, "--config", dedup_cfg)
    assert skipped(report) == {"ingest": True, "annotate": True, "dedup": False, "manifest": False}
    assert marker(out, "ingest") == ingest_marker and marker(out, "annotate") == annotate_marker
    assert report["dedup"]["repeated_paragraphs"] <= first["dedup"]["repeated_paragraphs"]
    assert report["dedup"]["docs_with_repeats"] < first["dedup"]["docs_with_repeats"]
    assert skipped(thresher_run(capsys, corpus_small, out, "--config", dedup_cfg)) == \
        {"ingest": True, "annotate": True, "dedup": True, "manifest": True}

    # a run killed during a stage (its marker never written) resumes with that stage
    (out / "dedup" / MARKER).unlink()
    report = thresher_run(capsys, corpus_small, out, "--config", dedup_cfg)
    assert skipped(report) == {"ingest": True, "annotate": True, "dedup": False, "manifest": False}

    # an annotate setting re-runs annotate and everything after it
    annotate_cfg = tmp_path / "annotate.yaml"
    annotate_cfg.write_text("annotate:\n  safety:\n    pii: false\n")
    dedup_run = marker(out, "dedup")["run_id"]
    report = thresher_run(capsys, corpus_small, out, "--config", annotate_cfg)
    assert skipped(report) == {"ingest": True, "annotate": False, "dedup": False, "manifest": False}
    assert marker(out, "ingest") == ingest_marker
    assert marker(out, "annotate")["run_id"] != annotate_marker["run_id"]
    assert marker(out, "dedup")["run_id"] != dedup_run

    # --force redoes everything; back on the default settings the outputs equal the reference
    report = thresher_run(capsys, corpus_small, out, "--force")
    assert skipped(report) == {"ingest": False, "annotate": False, "dedup": False, "manifest": False}
    assert marker(out, "ingest")["run_id"] != ingest_marker["run_id"]
    assert_same_outputs(reference, out)


@pytest.mark.slow
def test_until_stops_after_the_named_stage_and_a_full_run_carries_on(corpus_small, reference, tmp_path, capsys):
    out = tmp_path / "run"
    report = thresher_run(capsys, corpus_small, out, "--until", "annotate")
    assert skipped(report) == {"ingest": False, "annotate": False}
    assert sorted(p.name for p in out.iterdir()) == ["annotate", "ingest"]   # no dedup, manifest or report
    report = thresher_run(capsys, corpus_small, out)
    assert skipped(report) == {"ingest": True, "annotate": True, "dedup": False, "manifest": False}
    assert_same_outputs(reference, out)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["run", *corpus_inputs(corpus_small), "--output", str(out), QUIET, "--until", "tokenize"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.slow
def test_killed_run_restarts_without_redoing_finished_stages(corpus_small, reference, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "pipeline.cli", "run", *corpus_inputs(corpus_small), "--output", str(out), QUIET]
    log = tmp_path / "killed.log"
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "ingest" / MARKER).exists() and "chain_input" in (out / "ingest" / MARKER).read_text():
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"the run ended before it could be killed:\n{log.read_text()[-2000:]}"
        proc.kill()                                     # mid-way: ingest done, annotate running
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    sealed = {s for s in ("ingest", "annotate", "dedup", "manifest")
              if (out / s / MARKER).exists() and "chain_input" in (out / s / MARKER).read_text()}
    assert "ingest" in sealed and "manifest" not in sealed
    ingest_marker = marker(out, "ingest")

    restarted = subprocess.run([*cmd, "--json"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    report = json.loads(restarted.stdout)
    assert {s: r["skipped"] for s, r in report.items()} == \
        {s: s in sealed for s in ("ingest", "annotate", "dedup", "manifest")}
    assert "[ingest] up to date" in restarted.stderr
    assert marker(out, "ingest") == ingest_marker
    assert_same_outputs(reference, out)


# --- Flink and Dataflow: built with their options, never submitted ------------------------------

def test_flink_pipeline_construction(corpus_small, tmp_path):
    import apache_beam as beam
    from apache_beam.options.pipeline_options import FlinkRunnerOptions, PortableOptions, StandardOptions
    from apache_beam.runners.portability.flink_runner import FlinkJarJobServer, FlinkRunner

    from pipeline.config import Config
    from pipeline.ingest import build_ingest
    from pipeline.runner import beam_options, match_inputs

    jar = str(tmp_path / "beam-runners-flink-1.19-job-server-2.77.0.jar")   # a pre-fetched jar (stand-in)
    Path(jar).write_bytes(b"PK")
    options = beam_options(["--runner=FlinkRunner", "--flink_master=flink-jm:8081", "--flink_version=1.19",
                            "--parallelism=4", "--environment_type=EXTERNAL",
                            "--environment_config=localhost:50000", f"--flink_job_server_jar={jar}",
                            QUIET], "ingest")
    assert options.view_as(StandardOptions).runner == "FlinkRunner"
    flink = options.view_as(FlinkRunnerOptions)
    assert (flink.flink_master, flink.flink_version, flink.parallelism) == ("flink-jm:8081", "1.19", 4)
    assert options.view_as(PortableOptions).environment_type == "EXTERNAL"
    pipeline = beam.Pipeline(options=options)
    assert isinstance(pipeline.runner, FlinkRunner)
    build_ingest(pipeline, match_inputs([str(corpus_small / "raw")]), "/tmp/unused/ingest", Config())

    # the environment the Flink job server would hand to its task managers, and the graph
    env = FlinkRunner().default_environment(options)
    assert type(env).__name__ == "ExternalEnvironment" and env.url == "localhost:50000"
    proto = pipeline.to_runner_api(default_environment=env)
    root = proto.components.transforms[proto.root_transform_ids[0]]
    top = [proto.components.transforms[t].unique_name for t in root.subtransforms]
    assert top[:3] == ["ListInputFiles", "ReadInputs", "WriteDocs"]
    assert {"WriteDocs", "WriteRejected", "WriteErrors", "IngestStats"} <= set(top)
    # the job-server jar comes from the option (offline it cannot be downloaded); without the
    # option Beam would fetch this Maven artifact into ~/.apache_beam/cache/jars
    assert FlinkJarJobServer(options).path_to_jar() == jar
    default_jar = FlinkJarJobServer(beam_options(["--runner=FlinkRunner", "--flink_version=1.19"], "x")).path_to_jar()
    assert default_jar.endswith("beam-runners-flink-1.19-job-server-2.77.0.jar")


def test_dataflow_dry_run_builds_the_ingest_job_offline(corpus_small, tmp_path):
    try:
        from apache_beam.runners.dataflow.dataflow_runner import DataflowRunner  # noqa: F401
        from apache_beam.runners.dataflow.internal import apiclient  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the gcp extra is part of `make setup`
        pytest.fail(f"the gcp extra is missing ({exc}): pip install 'apache-beam[gcp]==2.77.0'")
    import apache_beam as beam
    from apache_beam.options.pipeline_options import GoogleCloudOptions, WorkerOptions

    from pipeline.config import Config
    from pipeline.ingest import build_ingest
    from pipeline.runner import beam_options, match_inputs

    # the package the workers install: an sdist of this repository, built offline
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(dist)!r})"],
                   cwd=REPO, check=True, capture_output=True, timeout=300)
    sdist = next(dist.glob("thresher-*.tar.gz"))
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pyarrow>=14\nzstandard>=0.22\n")
    image = "europe-docker.pkg.dev/thresher-test/beam/thresher:2.77.0"
    options = beam_options([
        "--runner=DataflowRunner", "--project=thresher-test", "--region=europe-west1",
        "--temp_location=gs://thresher-test-bucket/tmp", "--staging_location=gs://thresher-test-bucket/staging",
        f"--extra_package={sdist}", f"--requirements_file={requirements}", "--requirements_cache=skip",
        f"--sdk_container_image={image}", "--max_num_workers=4", "--dry_run=True", QUIET], "ingest")
    assert options.view_as(GoogleCloudOptions).job_name.startswith("thresher-ingest-")
    pipeline = beam.Pipeline(options=options)
    build_ingest(pipeline, match_inputs([str(corpus_small / "raw")]), "gs://thresher-test-bucket/out/ingest",
                 Config())
    started = time.monotonic()
    result = pipeline.run()
    result.wait_until_finish()
    assert time.monotonic() - started < 60
    assert result.state == "DONE"
    job = result.job           # the job request that would have been sent, built without network
    assert job.options.view_as(WorkerOptions).max_num_workers == 4
    names = {t.unique_name for t in job.proto_pipeline.components.transforms.values()}
    assert {"ListInputFiles", "ReadInputs", "ReadInputs/ReadFiles", "WriteDocs", "IngestStats"} <= names
    envs = list(job.proto_pipeline.components.environments.values())
    assert len(envs) == 1 and image.encode() in envs[0].payload
    staged = b" ".join(d.role_payload for d in envs[0].dependencies)
    for name in (sdist.name, "requirements.txt", "extra_packages.txt"):
        assert name.encode() in staged, (name, staged)
