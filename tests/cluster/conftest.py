"""The cluster-shaped environment for tests/cluster (``.ci/cluster.sh``): S3 and GCS emulators, the
Prism job server and a worker pool in its own mount namespace. The session starts what is not
running and stops it afterwards if it started it. Missing tools are an error, not a skip."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline import fs

REPO = Path(__file__).resolve().parents[2]
CLUSTER = REPO / ".ci" / "cluster.sh"
EMULATOR_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                "STORAGE_EMULATOR_HOST": "http://127.0.0.1:4443"}


@dataclass
class Cluster:
    flags: list[str]          # Beam flags submitting to Prism + the worker pool, with the S3 endpoint
    s3_flags: list[str]       # the S3 endpoint flags alone (for driver-side FileSystems and local runs)
    env: dict[str, str]       # environment of a driver process
    prefix: str               # unique per session: s3://thresher/<id>, gs://thresher/<id>

    def thresher(self, *args, timeout=600, extra_env=None):
        """Run the ``thresher`` command in a driver process; returns CompletedProcess (text)."""
        cmd = [str(REPO / ".venv" / "bin" / "thresher"), *map(str, args)]
        return subprocess.run(cmd, env={**self.env, **(extra_env or {})}, capture_output=True, text=True,
                              timeout=timeout, cwd=REPO)

    def upload(self, local_dir: Path, url: str) -> str:
        """Copy a local folder to ``url`` (s3:// or gs://) through FileSystems; returns ``url``."""
        for path in sorted(Path(local_dir).rglob("*")):
            if path.is_file():
                target, data = f"{url}/{path.relative_to(local_dir).as_posix()}", path.read_bytes()
                if not data and url.startswith("s3://"):   # Beam's S3 writer fails on empty objects
                    import boto3
                    bucket, key = target[len("s3://"):].split("/", 1)
                    boto3.client("s3", endpoint_url="http://127.0.0.1:9000").put_object(Bucket=bucket, Key=key, Body=b"")
                else:
                    fs.write_bytes(target, data)
        return url


@pytest.fixture(scope="session")
def cluster():
    for tool in ("prism", "fake-gcs-server"):
        if not (REPO / ".cache" / "bin" / tool).exists():
            raise FileNotFoundError(f".cache/bin/{tool} is missing: run 'make go-tools'")
    before = subprocess.run([str(CLUSTER), "status"], capture_output=True, text=True, check=True).stdout
    started = "stopped" in before
    subprocess.run([str(CLUSTER), "up"], check=True, stdout=sys.stderr)
    os.environ.update(EMULATOR_ENV)
    flags = subprocess.run([str(CLUSTER), "flags"], capture_output=True, text=True, check=True).stdout.split()
    s3_flags = [f for f in flags if f.startswith("--s3_")]
    fs.use(PipelineOptions(s3_flags))
    env = dict(os.environ, **EMULATOR_ENV, THRESHER_PROGRESS_INTERVAL="0")
    try:
        yield Cluster(flags, s3_flags, env, f"thresher/t{uuid.uuid4().hex[:10]}")
    finally:
        if started:
            subprocess.run([str(CLUSTER), "down"], check=True, stdout=sys.stderr)


@pytest.fixture(scope="session")
def corpus_300_bad(tmp_path_factory):
    from tests.conftest import build_corpus
    return build_corpus(tmp_path_factory.mktemp("c300") / "corpus", 300, bad=True)


@pytest.fixture(scope="session")
def runs(cluster, corpus_300_bad, tmp_path_factory):
    """(local output, [local inputs], s3 output, [s3 inputs]) after one run of each."""
    local_inputs = [str(corpus_300_bad / "raw"), str(corpus_300_bad / "bad")]
    local_out = str(tmp_path_factory.mktemp("same") / "out")
    proc = cluster.thresher("run", "--input", local_inputs[0], "--input", local_inputs[1], "--output", local_out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    base = f"s3://{cluster.prefix}/same"
    s3_inputs = [cluster.upload(corpus_300_bad / "raw", f"{base}/in/raw"),
                 cluster.upload(corpus_300_bad / "bad", f"{base}/in/bad")]
    s3_out = f"{base}/out"
    proc = cluster.thresher("run", "--input", s3_inputs[0], "--input", s3_inputs[1], "--output", s3_out,
                            *cluster.flags)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return local_out, local_inputs, s3_out, s3_inputs
