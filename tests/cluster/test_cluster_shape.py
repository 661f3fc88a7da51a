"""The cluster shape itself: workers share no disk with the driver, and FileSystems reach them."""
from __future__ import annotations

import json
import os
import uuid

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline import fs
from pipeline.runner import beam_options
from tests.cluster.conftest import REPO

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


class _Probe(fs.FileDoFn):
    """Writes what the worker process sees to ``url`` (an object the driver then reads)."""

    def __init__(self, url, driver_file):
        self.url, self.driver_file = url, driver_file

    def process(self, _):
        fs.write_bytes(self.url, json.dumps({
            "mnt_ns": os.readlink("/proc/self/ns/mnt"), "pid": os.getpid(), "cwd": os.getcwd(),
            "sees_driver_tmp_file": os.path.exists(self.driver_file)}).encode())
        yield 1


def test_workers_run_in_another_mount_namespace_without_the_drivers_tmp(cluster, tmp_path):
    import sys
    from apache_beam.internal.cloudpickle import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])   # workers do not have tests/
    driver_file = f"/tmp/thresher-driver-{uuid.uuid4().hex}"
    open(driver_file, "w").close()
    url = f"s3://{cluster.prefix}/probe/{uuid.uuid4().hex}.json"
    try:
        options = beam_options(cluster.flags, "probe")
        pipeline = beam.Pipeline(options=options)
        _ = pipeline | "One" >> beam.Create([0]) | "Probe" >> beam.ParDo(_Probe(url, driver_file))
        assert fs.attach(pipeline, options) == 1
        pipeline.run().wait_until_finish()
    finally:
        os.remove(driver_file)
    seen = json.loads(fs.read_text(url))   # written by the worker through s3:// with the run's options
    assert seen["mnt_ns"] != os.readlink("/proc/self/ns/mnt")
    assert not seen["sees_driver_tmp_file"]
    assert seen["pid"] != os.getpid()
    assert not seen["cwd"].startswith(str(REPO))


def test_unreadable_inputs_fail_the_stage_with_one_line(cluster, tmp_path):
    """Driver-local input files: the workers cannot open them; each is an error row and ingest
    exits non-zero naming the stage, without a traceback."""
    corpus = tmp_path / "raw"
    corpus.mkdir()
    for k in range(2):
        (corpus / f"part-{k}.jsonl").write_text('{"id": "a%d", "text": "hello world"}\n' % k)
    out = f"s3://{cluster.prefix}/unreadable"
    proc = cluster.thresher("ingest", "--input", corpus, "--output", out, *cluster.flags)
    assert proc.returncode == 1, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("thresher ingest: error: [ingest] none of the 2 input files could be read"), last
    assert "Traceback" not in proc.stderr
    stats = json.loads(fs.read_text(f"{out}/stats/ingest.json"))
    assert stats["errors_by_reason"] == {"unreadable_file": 2} and stats["docs"] == 0
