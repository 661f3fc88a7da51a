"""Per-process tuning of memory and garbage collection: the ``thresher`` process and the worker
processes that run its DoFns. Nothing here changes a result, only how the heap is kept."""
from __future__ import annotations

import gc
import threading

MALLOC_ARENAS = 2   # glibc malloc arenas of the thresher process and the local workers it starts


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Cap glibc's malloc arenas for this process and, through ``MALLOC_ARENA_MAX``, for the worker
    processes a local runner starts from it. glibc gives each thread that contends for the heap an
    arena of its own (up to 8 per core) and keeps the pages freed in each; the runner's gRPC and
    bundle threads make the driver's resident size grow with them (100k documents, manifest
    driver: 911 -> 721 MB with 2 arenas). A ``MALLOC_ARENA_MAX`` the user set is left alone; a
    no-op without glibc."""
    import os

    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    os.environ["MALLOC_ARENA_MAX"] = str(arenas)   # read by the C library of every child at start
    libc = _glibc()
    if libc is not None:
        libc.mallopt(-8, arenas)                     # M_ARENA_MAX, for this running process


def release_memory() -> None:
    """Hand the heap a finished stage's Beam job freed back to the OS (glibc keeps freed pages in
    the process otherwise, and the next stage's peak stacks on them); objects a stage's set-up
    froze (``settle_after_setup``) are thawed first, so its dead cycles are collected too. The
    malloc part is a no-op without glibc."""
    gc.unfreeze()
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def _glibc():
    """The C library when it is glibc (it has ``malloc_trim`` and ``mallopt``), else None."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


GC_YOUNG_THRESHOLD = 10_000   # allocations between collections of the youngest generation (Python: 700)
_gc_lock = threading.Lock()


def settle_after_setup() -> None:
    """Call in a worker once its models and word lists are loaded (annotate's set-up): collect
    once, move every object then alive to the permanent generation (``gc.freeze``) so later
    collections no longer walk the long-lived tables, and collect the youngest generation every
    10,000 allocations instead of 700 (a row group's dicts and spans otherwise set off thousands
    of collections). Cycles made later are still collected. Annotate on 11,876 documents: 0.90 ->
    0.84 ms per document (benchmarks/results/profile.md)."""
    with _gc_lock:
        gc.collect()
        gc.freeze()
    raise_young_gc_threshold()


def raise_young_gc_threshold() -> None:
    """Collect the youngest generation every 10,000 allocations instead of 700 in this process (a
    batch step's many short-lived objects otherwise set off a collection each few rows; dedup's
    feature extraction on 11,876 documents: about 0.02 ms per document less). Leaves a threshold
    that is already higher, or a disabled collector, alone."""
    with _gc_lock:
        young, middle, old = gc.get_threshold()
        if young and young < GC_YOUNG_THRESHOLD:
            gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def kernel_mode() -> str:
    """Which code the filters run in this process: "compiled" (every kernel of filters/_native
    loaded), "pure_python" (none: not built on this worker, or THRESHER_PURE_PYTHON=1) or
    "partial". Stages count row groups by it, so a job's stats show what its workers ran."""
    from filters._native import status

    loaded = list(status().values())
    if loaded and all(loaded):
        return "compiled"
    return "partial" if any(loaded) else "pure_python"
