"""Compiled kernels (Cython) for the hottest per-character loops of ``filters/``.

Each ``filters/_native/<name>.pyx`` is built into ``filters._native.<name>`` by ``setup.py``
(``make setup`` builds them in place; ``pip install`` of the sdist builds them on the worker).
The build is optional: where no C compiler is available, or with ``THRESHER_PURE_PYTHON=1`` in
the environment, ``native(name)`` returns None and each caller uses its pure-Python reference,
which computes the same values (``tests/filters/test_native.py`` compares the two).
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

# every module of this package that setup.py builds (one per .pyx; the sdist carries the sources)
KERNELS = tuple(sorted(p.stem for p in Path(__file__).parent.glob("*.pyx")))


def disabled() -> bool:
    """Whether the kernels are switched off (``THRESHER_PURE_PYTHON`` set to anything but 0/empty)."""
    return os.environ.get("THRESHER_PURE_PYTHON", "") not in ("", "0")


def native(name: str) -> ModuleType | None:
    """The compiled module ``filters._native.<name>``, or None when it is not built or disabled."""
    if disabled():
        return None
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ImportError:
        return None


def status() -> dict[str, bool]:
    """Which kernels this process uses: name -> compiled module loaded."""
    return {name: native(name) is not None for name in KERNELS}
