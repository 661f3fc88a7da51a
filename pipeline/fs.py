"""Every user path (local, gs://, s3://, ...) goes through Beam's FileSystems with the run's options.

On the driver ``use(options)`` applies the pipeline options (``--s3_endpoint_url``, GCS project...)
to FileSystems. Workers get them explicitly, however they were started (a plain
``worker_pool_main`` never applies them): ``run_stage`` calls ``attach(pipeline, options)``, which
hands a small picklable copy to every ``FileDoFn`` and ``FsCall`` in the graph; their ``setup``
applies it in the worker process. Files the pure ``filters/`` code opens by name (word lists,
fastText models) are copied once per worker process into a local cache (``local_copy``).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

_lock = threading.Lock()
_applied: tuple | None = None      # key of the options FileSystems holds in this process
_CACHE_ENV = "THRESHER_FILE_CACHE"


def options_dict(options: PipelineOptions | None) -> dict | None:
    """The options' explicitly set values (picklable), or None."""
    if options is None:
        return None
    return {k: v for k, v in options.get_all_options(drop_default=True, retain_unknown_options=False).items()
            if isinstance(v, (str, int, float, bool, type(None), list, tuple))}


def _emulator_auth() -> None:
    """With a GCS emulator (STORAGE_EMULATOR_HOST) Beam would still probe for Google credentials,
    retrying for ~25 s per process before connecting anonymously: go anonymous at once."""
    if not os.environ.get("STORAGE_EMULATOR_HOST"):
        return
    try:
        from apache_beam.internal.gcp import auth
        with auth._Credentials._credentials_lock:
            if not auth._Credentials._credentials_init:
                auth._Credentials._credentials, auth._Credentials._credentials_init = None, True
    except (ImportError, AttributeError):
        pass


def _shared_s3_clients() -> None:
    """Beam 2.77 builds a new boto3 Session and client for every S3 call (FileSystems.open, exists,
    match...): ~135 ms of CPU each, which made small-file stages (manifest) 30x slower on s3://.
    Share one boto3 client per process and S3 settings instead (boto3 clients are thread-safe);
    each Beam client object keeps its own download state."""
    try:
        from apache_beam.io.aws.clients.s3 import boto3_client
    except ImportError:   # no aws extra: no s3:// paths
        return
    cls = boto3_client.Client
    if getattr(cls, "_thresher_shared", False):
        return
    original = cls.__init__
    templates: dict = {}

    def __init__(self, options):
        values = options.get_all_options() if isinstance(options, PipelineOptions) else dict(options or {})
        key = repr(sorted((k, repr(v)) for k, v in values.items() if k.startswith("s3_")))
        template = templates.get(key)
        if template is None:
            original(self, options)
            templates[key] = dict(self.__dict__)   # pristine: the shared client, no download yet
        else:
            self.__dict__.update(template)

    cls.__init__ = __init__
    cls._thresher_shared = True


def configure(opts: dict | None) -> None:
    """Apply a dict from ``options_dict`` to FileSystems in this process (once per distinct dict)."""
    global _applied
    _emulator_auth()
    _shared_s3_clients()
    if not opts:
        return
    key = tuple(sorted((k, repr(v)) for k, v in opts.items()))
    with _lock:
        if _applied == key:
            return
        FileSystems.set_options(PipelineOptions.from_dictionary(opts))
        _applied = key


def use(options: PipelineOptions | None) -> None:
    """Driver side: FileSystems uses ``options`` from now on in this process."""
    configure(options_dict(options))


class FileDoFn(beam.DoFn):
    """A DoFn that opens files: its ``setup`` applies the run's FileSystems options (set by
    ``attach``). Subclasses overriding ``setup`` call ``super().setup()`` first."""

    fs_options: dict | None = None

    def setup(self):
        configure(self.fs_options)


class FsCall:
    """A picklable callable for ``beam.Map``/``FlatMap`` that opens files: applies the run's
    FileSystems options (set by ``attach``) before calling ``fn``."""

    fs_options: dict | None = None

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args, **kwargs):
        configure(self.fs_options)
        return self.fn(*args, **kwargs)


def attach(pipeline: beam.Pipeline, options: PipelineOptions) -> int:
    """Give every FileDoFn/FsCall of ``pipeline`` the run's options; returns how many got them."""
    opts = options_dict(options)
    found = []

    class Visitor(beam.pipeline.PipelineVisitor):
        def visit_transform(self, node):
            fn = getattr(node.transform, "fn", None)
            for obj in (fn, getattr(fn, "_fn", None)):
                if isinstance(obj, (FileDoFn, FsCall)):
                    obj.fs_options = opts
                    found.append(obj)

    pipeline.visit(Visitor())
    return len(found)


# ------------------------------------------------------------------------------------------ paths

def is_remote(path: str) -> bool:
    return "://" in str(path)


def has_glob(path: str) -> bool:
    return re.search(r"[*?\[]", path) is not None


def is_file(path: str) -> bool:
    """A file (object) exists at ``path``."""
    path = str(path)
    if not is_remote(path):
        return os.path.isfile(path)
    return FileSystems.exists(path)


def is_dir(path: str) -> bool:
    """``path`` is a local directory, or a remote prefix with objects below it."""
    path = str(path)
    if not is_remote(path):
        return os.path.isdir(path)
    return bool(list_files(path))


def as_pattern(path: str) -> str:
    """A glob for FileSystems.match: a local directory or a remote URL that names no object
    (a "directory": object stores have only prefixes) means every file below it."""
    path = str(path)
    if has_glob(path):
        return path
    if is_remote(path):
        if path.endswith("/") or not FileSystems.exists(path):
            return path.rstrip("/") + "/**"
        return path
    if os.path.isdir(path):
        return path.rstrip("/") + "/**"
    return path


def _list_meta(directory: str) -> list:
    pattern = str(directory).rstrip("/") + "/**"
    try:
        found = FileSystems.match([pattern])[0].metadata_list
    except Exception:
        return []
    return sorted((m for m in found if not m.path.endswith("/")), key=lambda m: m.path)


def list_files(directory: str, suffix: str = "") -> list[str]:
    """Paths of the files below ``directory`` (recursive, sorted), ending with ``suffix``."""
    return [m.path for m in _list_meta(directory) if m.path.endswith(suffix)]


def read_bytes(path: str) -> bytes:
    """The file's bytes as stored (no decompression)."""
    with FileSystems.open(str(path), compression_type=CompressionTypes.UNCOMPRESSED) as f:
        return f.read()


def read_text(path: str) -> str:
    return read_bytes(path).decode("utf-8")


def write_bytes(path: str, data: bytes) -> None:
    """Store ``data`` as is (no compression added, whatever the name ends with)."""
    with FileSystems.create(str(path), compression_type=CompressionTypes.UNCOMPRESSED) as f:
        f.write(data)


def stamp(path: str) -> str | None:
    """``size:mtime`` of a file (any scheme), None when absent."""
    path = str(path)
    try:
        m = FileSystems.match([path])[0].metadata_list
    except Exception:
        return None
    if len(m) != 1:
        return None
    return f"{m[0].size_in_bytes}:{int(m[0].last_updated_in_seconds or 0)}"


def _cache_root() -> str:
    root = os.environ.get(_CACHE_ENV) or os.path.join(tempfile.gettempdir(), f"thresher-files-{os.getuid()}")
    os.makedirs(root, exist_ok=True)
    return root


def local_copy(path: str | None, *, sidecars: tuple[str, ...] = ()) -> str | None:
    """A local path holding the file or directory ``path`` names: the path itself when local,
    else a copy in this machine's cache (downloaded once per content version). ``sidecars``:
    suffixes of companion files copied along when they exist (``.json`` beside a model)."""
    if path is None or path == "" or not is_remote(str(path)):
        return path
    path = str(path)
    with _lock:
        if is_file(path):
            files = {path: os.path.basename(path)}
            for s in sidecars:
                if FileSystems.exists(path + s):
                    files[path + s] = os.path.basename(path) + s
            key = hashlib.sha256("|".join(f"{p}={stamp(p)}" for p in sorted(files)).encode()).hexdigest()[:16]
            target_dir = os.path.join(_cache_root(), key)
            result = os.path.join(target_dir, os.path.basename(path))
        else:
            listed = _list_meta(path)
            if not listed:
                raise FileNotFoundError(f"{path}: no such file or directory")
            base = path.rstrip("/") + "/"
            files = {m.path: m.path[len(base):] for m in listed}
            key = hashlib.sha256("|".join(f"{m.path}={m.size_in_bytes}:{m.last_updated_in_seconds}"
                                          for m in listed).encode()).hexdigest()[:16]
            target_dir = result = os.path.join(_cache_root(), key)
        if not os.path.exists(os.path.join(target_dir, ".complete")):
            tmp = tempfile.mkdtemp(dir=_cache_root())
            for src, rel in files.items():
                dest = os.path.join(tmp, rel)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with FileSystems.open(src, compression_type=CompressionTypes.UNCOMPRESSED) as fin, \
                        open(dest, "wb") as fout:
                    while chunk := fin.read(8 << 20):
                        fout.write(chunk)
            open(os.path.join(tmp, ".complete"), "w").close()
            try:
                os.rename(tmp, target_dir)
            except OSError:   # another process got there first
                import shutil
                shutil.rmtree(tmp, ignore_errors=True)
        return result
