"""Running a stage: Beam options from pass-through flags, input matching, run + wait, progress,
counters, completion markers. Every stage goes through ``run_stage``, which owns the stage contract; ``run_job`` runs any pipeline."""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions, StandardOptions

from schemas import SCHEMA_VERSION

MARKER = "_STAGE_COMPLETE.json"
PROGRESS_ENV = "THRESHER_PROGRESS_INTERVAL"
DEFAULT_PROGRESS_INTERVAL = 30.0
JOB_SERVER_TIMEOUT = 60


class InputError(ValueError):
    """The command line names inputs that do not exist or cannot be used."""


class StageError(RuntimeError):
    """A stage's job failed, or finished without usable output (message: one line naming the stage)."""


class ThresherOptions(PipelineOptions):
    """Thresher's own runner-side flags (they travel with the other Beam flags)."""

    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--progress_interval", type=float, default=None,
                            help="seconds between progress lines on stderr (0: none; default "
                                 f"${PROGRESS_ENV} or {DEFAULT_PROGRESS_INTERVAL:g})")


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
    """Expand globs (any FileSystems scheme; a local directory, or a URL without wildcards that
    names no object, means everything below it) into files.

    Metadata only: no file content is read on the driver. Raises InputError naming any pattern
    that matches nothing.
    """
    from pipeline.fs import as_pattern
    files: dict[str, InputFile] = {}
    for pattern in patterns:
        try:
            pat = as_pattern(pattern)
        except Exception as exc:  # the object store refused the request (credentials, endpoint...)
            raise InputError(f"--input {pattern!r}: {type(exc).__name__}: {exc}") from exc
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


@dataclass(frozen=True)
class RowGroup:
    """One row group of a Parquet table: the unit of work of annotate, dedup and manifest."""
    path: str
    index: int
    rows: int
    out_name: str


def list_row_groups(input_dir: str) -> list[RowGroup]:
    """(shard, row group) work items of a stage's docs/ table (or of the Parquet files a pattern
    names), from Parquet footers only."""
    import pyarrow.parquet as pq
    pattern = input_dir if input_dir.endswith(".parquet") else FileSystems.join(input_dir, "docs", "*.parquet")
    files = match_inputs([pattern])
    items = []
    for f in files:
        with FileSystems.open(f.path) as stream:
            meta = pq.ParquetFile(stream).metadata
        stem = f.path.rsplit("/", 1)[-1][: -len(".parquet")]
        for i in range(meta.num_row_groups):
            items.append(RowGroup(f.path, i, meta.row_group(i).num_rows, f"{stem}-rg{i:05d}.parquet"))
    return items


def fingerprint(files: list[InputFile], extra: str = "") -> str:
    """Digest of input paths and sizes (plus ``extra``) used by completion markers."""
    h = hashlib.sha256(extra.encode())
    for f in files:
        h.update(f"{f.path}\t{f.size}\n".encode())
    return h.hexdigest()[:16]


def beam_options(beam_args: list[str], job_name: str) -> PipelineOptions:
    """PipelineOptions from pass-through flags; the default runner works offline (FnApiRunner). A bare
    ``--`` before them (``thresher run ... -- --runner=DataflowRunner``) is dropped: Beam's parser
    would take what follows it as positional arguments and ignore every flag there."""
    args = list(beam_args)
    if "--" in args:
        args.remove("--")
    if not any(a == "--runner" or a.startswith("--runner=") for a in args):
        args.insert(0, "--runner=FnApiRunner")
    given = {a.split("=", 1)[0].replace("-", "_") for a in args if a.startswith("--")}
    if "__job_endpoint" in given and "__job_server_timeout" not in given:
        # a running job server that does not answer within a minute is gone (Beam waits 300 s)
        args.append(f"--job_server_timeout={JOB_SERVER_TIMEOUT}")
    options = PipelineOptions(args)
    options.view_as(SetupOptions).save_main_session = False
    from pipeline import fs
    fs.use(options)
    std = options.view_as(StandardOptions)
    if std.runner in ("DataflowRunner", "dataflow"):
        from apache_beam.options.pipeline_options import GoogleCloudOptions
        gco = options.view_as(GoogleCloudOptions)
        gco.job_name = gco.job_name or f"thresher-{job_name}-{int(time.time())}"
    return options


def clear_dir(path: str) -> None:
    """Delete a stage output directory's previous contents (stale shards must not survive a rerun).
    On an object store a directory is a prefix: every object below it is deleted (batched calls)."""
    from pipeline import fs
    if not fs.is_remote(path):
        if FileSystems.exists(path):
            FileSystems.delete([path])
        return
    files = fs.list_files(path)
    if files:
        try:
            FileSystems.delete(files)
        except Exception:
            if not path.startswith("gs://"):
                raise
            # batch requests refused (fake-gcs-server has no batch API): one request per object
            from apache_beam.io.gcp.gcsio import GcsIO
            gcs = GcsIO(pipeline_options=FileSystems._pipeline_options)
            for f in files:
                gcs.delete(f)


# ---------------------------------------------------------------------------------------------
# Progress. Local runners (FnApiRunner, the portable local job service) expose counters only once
# a job has finished, so live figures come from the DoFns: they call ``note_progress(stage, n)``.
# In the driver process (FnApiRunner's in-process worker) a driver thread prints the running total;
# in a separate worker process (multi-processing FnApiRunner, an external worker pool, Flink,
# Dataflow) the worker prints its own share at the same interval. Without any DoFn report the
# driver still prints a heartbeat with the elapsed time.

_progress_lock = threading.Lock()
_progress_docs: dict[str, int] = {}
_watched: set[str] = set()             # stages a driver thread of this process is printing
_worker_log: dict[str, list[float]] = {}   # stage -> [first note time, last print time]


def progress_interval(options: PipelineOptions | None = None) -> float:
    """Seconds between progress lines: --progress_interval, else $THRESHER_PROGRESS_INTERVAL, else 30."""
    if options is not None:
        value = options.view_as(ThresherOptions).progress_interval
        if value is not None:
            return max(0.0, float(value))
    try:
        return max(0.0, float(os.environ.get(PROGRESS_ENV, DEFAULT_PROGRESS_INTERVAL)))
    except ValueError:
        return DEFAULT_PROGRESS_INTERVAL


def note_progress(stage: str, n: int = 1, log=None) -> None:
    """Called by DoFns: ``n`` more documents of ``stage`` processed in this process."""
    with _progress_lock:
        total = _progress_docs[stage] = _progress_docs.get(stage, 0) + n
        if stage in _watched:
            return
        interval = progress_interval()
        if interval <= 0:
            return
        now = time.monotonic()
        first, last = _worker_log.setdefault(stage, [now, now])
        if now - last < interval:
            return
        _worker_log[stage][1] = now
    elapsed = now - first
    print(f"[{stage}] worker {os.getpid()}: {total} docs, {total / max(elapsed, 1e-9):.1f} docs/s, "
          f"{elapsed:.0f}s elapsed", file=log or sys.stderr, flush=True)


def progress_docs(stage: str) -> int:
    """Documents of ``stage`` reported so far in this process."""
    with _progress_lock:
        return _progress_docs.get(stage, 0)


def _live_docs(result, stage: str) -> int | None:
    """Documents counted so far by a runner that serves live metrics (Dataflow), else None."""
    if result is None or "Dataflow" not in type(result).__name__:
        return None  # local/portable results cache or only fill their metrics once finished
    try:
        from apache_beam.metrics.metric import MetricsFilter
        res = result.metrics().query(MetricsFilter().with_namespace(stage).with_name("docs"))
        return sum((c.committed or c.attempted or 0) for c in res["counters"]) or None
    except Exception:
        return None


class ProgressPrinter:
    """Driver thread printing ``[stage] N docs, R docs/s, Ts elapsed`` every ``interval`` seconds."""

    def __init__(self, stage: str, interval: float, log=sys.stderr):
        self.stage, self.interval, self.log = stage, interval, log
        self.result = None           # set once the runner hands back a (still running) result
        self._stop = threading.Event()
        self._thread = None
        self._start = time.monotonic()
        self._base = 0
        self.lines = 0

    def __enter__(self):
        if self.interval > 0 and self.log is not None:
            with _progress_lock:
                _watched.add(self.stage)
                self._base = _progress_docs.get(self.stage, 0)
            self._thread = threading.Thread(target=self._loop, name=f"progress-{self.stage}", daemon=True)
            self._thread.start()
        return self

    def line(self) -> str:
        elapsed = time.monotonic() - self._start
        docs = _live_docs(self.result, self.stage)
        if docs is None:
            docs = progress_docs(self.stage) - self._base
        if docs:
            return f"[{self.stage}] {docs} docs, {docs / max(elapsed, 1e-9):.1f} docs/s, {elapsed:.0f}s elapsed"
        return f"[{self.stage}] running, {elapsed:.0f}s elapsed"

    def _loop(self):
        while not self._stop.wait(self.interval):
            print(self.line(), file=self.log, flush=True)
            self.lines += 1

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            with _progress_lock:
                _watched.discard(self.stage)
        return False


# ---------------------------------------------------------------------------------------------

def run_job(name: str, build: Callable[[beam.Pipeline], None], options: PipelineOptions,
            log=sys.stderr) -> dict:
    """Build one pipeline (``build(pipeline)``), run it and wait (printing progress), print its
    counters; returns ``{"elapsed_s", "counters"}``. A failed job raises StageError."""
    started = time.time()
    interval = progress_interval(options)
    from pipeline import fs
    fs.use(options)
    pipeline = beam.Pipeline(options=options)
    build(pipeline)
    fs.attach(pipeline, options)
    saved_env = os.environ.get(PROGRESS_ENV)
    os.environ[PROGRESS_ENV] = f"{interval:g}"   # inherited by worker subprocesses the runner starts
    result = None
    if not getattr(threading.excepthook, "thresher", False):   # kept: the thread may die after we return
        threading.excepthook = _quiet_runner_threads(threading.excepthook)
    try:
        with ProgressPrinter(name, interval, log) as printer:
            result = pipeline.run()   # FnApiRunner runs to completion here; others return at once
            printer.result = result
            state = result.wait_until_finish()
        if state is not None and str(state) not in ("DONE", "PipelineState.DONE"):
            raise StageError(f"[{name}] job {_job_id(result)} ended in state {state}")
    except StageError:
        raise
    except Exception as exc:
        raise StageError(f"[{name}] job {_job_id(result)} failed: {_one_line(exc)}") from exc
    finally:
        if saved_env is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = saved_env
    elapsed = time.time() - started
    counters = {}
    try:
        for c in result.metrics().query()["counters"]:
            key = f"{c.key.metric.namespace}.{c.key.metric.name}"
            counters[key] = counters.get(key, 0) + (c.committed if c.committed is not None else c.attempted)
    except Exception:  # some runners do not report metrics
        pass
    if log is not None:
        docs = counters.get(f"{name}.docs")
        rate = f", {docs / max(elapsed, 1e-9):.1f} docs/s" if docs else ""
        print(f"[{name}] finished in {elapsed:.1f}s" + (f": {docs} docs{rate}" if docs else ""), file=log)
    if counters and log is not None:
        print(f"[{name}] counters:", file=log)
        for key in sorted(counters):
            print(f"  {key} = {counters[key]}", file=log)
    return {"elapsed_s": elapsed, "counters": counters}


def run_stage(stage, inputs: dict, output: str, config, options: PipelineOptions, *,
              marker: dict | None = None, log=sys.stderr) -> dict:
    """Run one registered stage (``pipeline.stages.Stage``) on ``inputs`` into ``output``; returns
    its stats (read back from ``stats/<stage>.json``).

    The stage contract, for every stage: its inputs are listed first (a bad input fails before
    anything is deleted); its tables, stats and scratch folders are cleared; the job runs; the
    contract tables it never fills are written empty; scratch is cleared (when the job fails and
    its ``rerun`` gives another job, the tables are cleared again and that job runs); the stage module's
    ``check(stats, output)`` may refuse the result; the completion marker records the stage's
    config hash (``config.hash(stage.sections)``), schema version, run id, timing, the job's input
    description and ``marker`` (the chain's upstream fingerprint)."""
    from pipeline.beam_io import table_metadata, write_parquet
    from schemas import ERRORS, REJECTED
    impl = stage.impl()
    config_hash = config.hash(stage.sections)
    job = impl.prepare(inputs, output, config, config_hash)
    started = time.time()
    marker_path = FileSystems.join(output, MARKER)
    if FileSystems.exists(marker_path):   # a run killed from here on must not look finished
        FileSystems.delete([marker_path])
    while True:
        for sub in (*stage.tables, *stage.optional_tables, "stats", *stage.scratch):
            clear_dir(FileSystems.join(output, sub))
        try:
            run_job(stage.name, job.build, options, log)
            break
        except Exception as exc:
            retry = job.rerun(exc) if job.rerun is not None else None
            if retry is None:
                explain = getattr(impl, "explain_failure", None)
                raise (explain(exc) if explain else None) or exc
            job = retry
            if log is not None:
                print(f"[{stage.name}] {job.marker.get('rerun', 're-running the job')}", file=log, flush=True)
        finally:
            for sub in stage.scratch:
                clear_dir(FileSystems.join(output, sub))
    meta = table_metadata(stage.name, config_hash)
    for table in stage.empty_tables:
        write_parquet(FileSystems.join(output, table, "part-00000-of-00001.parquet"), [], {"rejected": REJECTED, "errors": ERRORS}[table], meta)
    stats = read_stage_json(stage.name, FileSystems.join(output, "stats", stage.stats_file))
    check = getattr(impl, "check", None)
    if check is not None:
        check(stats, output)
    record = dict(job.marker, **(marker or {}), stage=stage.name, config_hash=config_hash,
                  schema_version=SCHEMA_VERSION, elapsed_s=round(time.time() - started, 3),
                  run_id=f"{time.time_ns():x}-{os.getpid()}",
                  completed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    write_marker(output, record)
    return stats


def _quiet_runner_threads(fallback):
    """threading.excepthook that keeps the PortableRunner's message-reading thread quiet: its error
    (the job service went away) reaches the driver as the job's failure, reported in one line."""
    def hook(args):
        if args.thread is not None and args.thread.name == "wait_until_finish_read":
            return
        fallback(args)
    hook.thresher = True
    return hook


def _job_id(result) -> str:
    if result is None:
        return "(not started)"
    try:
        return str(result.job_id())
    except Exception:
        return str(getattr(result, "_job_id", None) or "(in process)")


def _one_line(exc: BaseException) -> str:
    """The gist of a runner's (often multi-page) error: its type and first meaningful line."""
    code = getattr(exc, "code", None)
    if callable(code) and hasattr(exc, "details"):   # grpc.RpcError: the job server went away
        try:
            return f"job service unreachable ({code().name}: {exc.details()})"
        except Exception:
            pass
    if type(exc).__name__ == "FutureTimeoutError":   # grpc: the job service never answered
        return "job service did not answer (--job_server_timeout)"
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in reversed(lines):   # worker tracebacks end with the real error
        if re.match(r"^[A-Za-z_.]+(Error|Exception|Exit)\b", ln):
            return ln[:300]
    return f"{type(exc).__name__}: {lines[0][:300] if lines else ''}"


def read_stage_json(stage: str, path: str) -> dict:
    """A stats file the job's workers wrote; a clear StageError when they wrote none."""
    from pipeline.beam_io import read_json
    try:
        return read_json(path)
    except Exception as exc:
        raise StageError(f"[{stage}] the job finished but {path} cannot be read ({type(exc).__name__}); "
                         "workers that share no disk with the driver need --output on an object store "
                         "or a shared file system") from exc


def write_marker(output: str, record: dict) -> None:
    """(Over)write ``output``/_STAGE_COMPLETE.json."""
    with FileSystems.create(FileSystems.join(output, MARKER)) as f:
        f.write(json.dumps(record, indent=1, sort_keys=True).encode())


def read_marker(output: str) -> dict | None:
    path = FileSystems.join(output, MARKER)
    if not FileSystems.exists(path):
        return None
    with FileSystems.open(path) as f:
        return json.loads(f.read().decode())



