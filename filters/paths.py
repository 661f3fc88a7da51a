"""Where the files that ship with the filters package live (standard library only)."""
from __future__ import annotations

import os
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"


def default_lid_model_path() -> str:
    """Path of the lid.176 model: $THRESHER_LID_MODEL, else the copy under filters/resources."""
    return os.environ.get("THRESHER_LID_MODEL") or str(RESOURCES / "lid.176.ftz")
