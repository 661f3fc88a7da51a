"""Faults on the cluster shape: SDK workers killed (-9) during annotate, the job server killed
during dedup. The driver exits non-zero within 120 s with one line naming the stage and the job
(no traceback); a rerun finishes from the completion markers with outputs identical to an
undisturbed run (no duplicate or partial shards)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time

import pytest

from tests.cluster.conftest import CLUSTER, REPO
from tests.cluster.tables import differences, snapshot

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
STATE = REPO / ".cache" / "cluster"


def _pid(name: str) -> int:
    return int((STATE / f"{name}.pid").read_text())


def _sdk_workers() -> list[int]:
    """The worker pool's children: the SDK worker processes."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(_pid("workers"))], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _run_with_fault(cluster, out, inputs, after: str, fault, until: str | None):
    """Start ``thresher run``; once stderr shows ``after``, call ``fault()`` (every 0.5 s until stderr
    shows ``until`` or the driver exits, when ``until`` is given). Returns (rc, stderr, seconds from
    the first fault to the driver's exit)."""
    cmd = [str(REPO / ".venv" / "bin" / "thresher"), "run", "--input", inputs[0], "--input", inputs[1],
           "--output", out, *cluster.flags]
    proc = subprocess.Popen(cmd, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    first = None
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        text = "".join(lines)
        if after in text and (until is None or until not in text):
            if first is None or until is not None:
                fault()
                first = first or time.monotonic()
            if until is None and first is not None:
                break
        time.sleep(0.5)
    try:
        proc.wait(timeout=120 if first else 600)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the driver did not exit within 120 s of the fault")
    reader.join(10)
    return proc.returncode, "".join(lines), (time.monotonic() - first) if first else None


def _kill_workers():
    for pid in _sdk_workers():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _assert_one_line_failure(rc, err, stage):
    assert rc == 1, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    last = err.strip().splitlines()[-1]
    assert re.match(rf"thresher run: error: \[{stage}\] job job-\d+ failed: \S", last), last


def _rerun_finishes_identically(cluster, out, inputs, good_out, done: str, resumed: str) -> None:
    """The same command again: finished stages are skipped, the killed one runs, and every output
    equals the undisturbed run's."""
    rerun = cluster.thresher("run", "--input", inputs[0], "--input", inputs[1], "--output", out, *cluster.flags)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"[{done}] up to date" in rerun.stderr and f"[{resumed}] finished" in rerun.stderr
    assert differences(snapshot(good_out, inputs), snapshot(out, inputs)) == []


def test_sdk_workers_killed_during_annotate(cluster, runs):
    _, _, good_out, inputs = runs
    out = f"s3://{cluster.prefix}/fault-workers"
    rc, err, after = _run_with_fault(cluster, out, inputs, "[ingest] finished", _kill_workers,
                                     until="[annotate] finished")
    _assert_one_line_failure(rc, err, "annotate")
    assert after < 120
    _rerun_finishes_identically(cluster, out, inputs, good_out, done="ingest", resumed="annotate")


def test_job_server_killed_during_dedup(cluster, runs):
    _, _, good_out, inputs = runs
    out = f"s3://{cluster.prefix}/fault-jobserver"

    log = STATE / "logs" / "workers.log"

    def kill_job_server():
        """Once the worker pool starts the dedup job's worker, kill the job server."""
        started = log.read_text().count("Starting worker")
        deadline = time.monotonic() + 60
        while log.read_text().count("Starting worker") == started and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
        os.kill(_pid("prism"), signal.SIGKILL)

    try:
        rc, err, after = _run_with_fault(cluster, out, inputs, "[annotate] finished", kill_job_server, until=None)
    finally:
        subprocess.run([str(CLUSTER), "up"], check=True, capture_output=True)   # restarts the job server
    _assert_one_line_failure(rc, err, "dedup")
    assert after < 120
    _rerun_finishes_identically(cluster, out, inputs, good_out, done="annotate", resumed="dedup")
