"""Where the files that ship with the filters package live (standard library only)."""
from __future__ import annotations

import os
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"


def default_lid_model_path() -> str:
    """Path of the lid.176 model: $THRESHER_LID_MODEL, else the copy under filters/resources."""
    return os.environ.get("THRESHER_LID_MODEL") or str(RESOURCES / "lid.176.ftz")


BUILTIN = "builtin:"


def resolve_resource(path: str | None) -> str | None:
    """``builtin:<relative path>`` names a file or folder shipped under filters/resources (the
    default safety lists); anything else is returned unchanged."""
    if not isinstance(path, str) or not path.startswith(BUILTIN):
        return path
    rel = Path(path[len(BUILTIN):])
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"{path}: a builtin resource is a relative path inside filters/resources")
    target = RESOURCES / rel
    if not target.exists():
        raise FileNotFoundError(f"{path}: not shipped (looked for {target})")
    return str(target)
