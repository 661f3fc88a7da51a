"""The compiled kernels of filters/_native: all built by `make setup`, and switched off by
THRESHER_PURE_PYTHON=1. (Each kernel's equality with its pure-Python reference is tested in
test_native_<module>.py.)"""
from __future__ import annotations

import subprocess
import sys

from filters._native import KERNELS, native, status


def test_every_kernel_is_built():
    assert "quality" in KERNELS
    missing = [name for name, built in status().items() if not built]
    assert not missing, f"not built (run make setup): {missing}"


def test_pure_python_switch_turns_every_kernel_off():
    code = ("import filters.quality as q, filters._native as n; "
            "assert not any(n.status().values()); "
            "assert q._token_hashes is q.PY_KERNELS['token_hashes']; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], env={"THRESHER_PURE_PYTHON": "1", "PATH": ""},
                         capture_output=True, text=True, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert out.stdout.strip() == "ok", out.stderr


def test_native_modules_replace_the_references():
    import filters.quality as q
    assert q._token_hashes is native("quality").token_hashes
    assert q._token_hashes is not q.PY_KERNELS["token_hashes"]
