"""Running a stage: Beam options from pass-through flags, input matching, run + wait, counters,
completion markers. Every stage job goes through ``run_stage``."""
from __future__ import annotations

import glob as globlib
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions, StandardOptions

from schemas import SCHEMA_VERSION

MARKER = "_STAGE_COMPLETE.json"


class InputError(ValueError):
    """The command line names inputs that do not exist or cannot be used."""


@dataclass(frozen=True)
class InputFile:
    path: str
    size: int
    base: str          # the non-glob directory prefix the path was matched under


def _glob_base(pattern: str) -> str:
    """Directory part of a glob before its first wildcard (ids derive from paths below it)."""
    cut = min([i for i, ch in enumerate(pattern) if ch in "*?["] or [len(pattern)])
    head = pattern[:cut]
    return head.rsplit("/", 1)[0] + "/" if "/" in head else ""


def match_inputs(patterns: list[str]) -> list[InputFile]:
    """Expand globs (any FileSystems scheme; a directory means everything below it) into files.

    Metadata only: no file content is read on the driver. Raises InputError naming any pattern
    that matches nothing.
    """
    files: dict[str, InputFile] = {}
    for pattern in patterns:
        pat = pattern
        if "://" not in pat and FileSystems.get_scheme(pat) is None:
            import os
            if os.path.isdir(pat):
                pat = pat.rstrip("/") + "/**"
        try:
            results = FileSystems.match([pat])[0].metadata_list
        except Exception as exc:  # BeamIOError when nothing matches or the scheme is unknown
            raise InputError(f"--input {pattern!r}: {exc}") from exc
        results = [m for m in results if not m.path.endswith("/") and "/." not in m.path[len(_glob_base(pat)):]]
        if not results:
            raise InputError(f"--input {pattern!r} matches no file")
        base = _glob_base(pat)
        for m in results:
            files.setdefault(m.path, InputFile(m.path, m.size_in_bytes, base))
    return sorted(files.values(), key=lambda f: f.path)


def fingerprint(files: list[InputFile], extra: str = "") -> str:
    """Digest of input paths and sizes (plus ``extra``) used by completion markers."""
    h = hashlib.sha256(extra.encode())
    for f in files:
        h.update(f"{f.path}\t{f.size}\n".encode())
    return h.hexdigest()[:16]


def beam_options(beam_args: list[str], job_name: str) -> PipelineOptions:
    """PipelineOptions from pass-through flags; the default runner works offline (FnApiRunner)."""
    args = list(beam_args)
    if not any(a == "--runner" or a.startswith("--runner=") for a in args):
        args.insert(0, "--runner=FnApiRunner")
    options = PipelineOptions(args)
    options.view_as(SetupOptions).save_main_session = False
    std = options.view_as(StandardOptions)
    if std.runner in ("DataflowRunner", "dataflow"):
        from apache_beam.options.pipeline_options import GoogleCloudOptions
        gco = options.view_as(GoogleCloudOptions)
        gco.job_name = gco.job_name or f"thresher-{job_name}-{int(time.time())}"
    return options


def clear_dir(path: str) -> None:
    """Delete a stage output directory's previous contents (stale shards must not survive a rerun)."""
    try:
        if FileSystems.exists(path):
            FileSystems.delete([path])
    except Exception:
        matches = FileSystems.match([FileSystems.join(path, "*")])[0].metadata_list
        if matches:
            FileSystems.delete([m.path for m in matches])


def run_stage(name: str, build: Callable[[beam.Pipeline], None], options: PipelineOptions, output: str,
              marker: dict, log=sys.stderr) -> dict:
    """Build and run one stage pipeline, wait, print its counters and write the completion marker."""
    started = time.time()
    pipeline = beam.Pipeline(options=options)
    build(pipeline)
    result = pipeline.run()
    result.wait_until_finish()
    elapsed = time.time() - started
    counters = {}
    try:
        for c in result.metrics().query()["counters"]:
            key = f"{c.key.metric.namespace}.{c.key.metric.name}"
            counters[key] = counters.get(key, 0) + (c.committed if c.committed is not None else c.attempted)
    except Exception:  # some runners do not report metrics
        pass
    if counters and log is not None:
        print(f"[{name}] counters:", file=log)
        for key in sorted(counters):
            print(f"  {key} = {counters[key]}", file=log)
    record = dict(marker, stage=name, schema_version=SCHEMA_VERSION, elapsed_s=round(elapsed, 3),
                  completed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    with FileSystems.create(FileSystems.join(output, MARKER)) as f:
        f.write(json.dumps(record, indent=1, sort_keys=True).encode())
    return {"elapsed_s": elapsed, "counters": counters}


def read_marker(output: str) -> dict | None:
    path = FileSystems.join(output, MARKER)
    if not FileSystems.exists(path):
        return None
    with FileSystems.open(path) as f:
        return json.loads(f.read().decode())


def local_glob(pattern: str) -> list[str]:
    return sorted(globlib.glob(pattern, recursive=True))
