"""Stage outputs shared by the job tests: ingest -> annotate -> dedup on the 3000-document corpus."""
import json

import pytest

from pipeline.cli import main


def run_cli(*args) -> dict:
    assert main(list(map(str, args))) == 0


@pytest.fixture(scope="session")
def stages_3000(corpus_3000, tmp_path_factory):
    """{'ingest': dir, 'annotate': dir, 'dedup': dir, 'manifest': dir} after running each stage
    through the CLI."""
    root = tmp_path_factory.mktemp("stages3000")
    dirs = {name: root / name for name in ("ingest", "annotate", "dedup", "manifest")}
    run_cli("ingest", "--input", corpus_3000 / "raw", "--output", dirs["ingest"])
    run_cli("annotate", "--input", dirs["ingest"], "--output", dirs["annotate"])
    run_cli("dedup", "--input", dirs["annotate"], "--output", dirs["dedup"])
    run_cli("manifest", "--annotated", dirs["annotate"], "--dedup", dirs["dedup"], "--output", dirs["manifest"])
    return dirs


def load_stats(directory, stage):
    return json.loads((directory / "stats" / f"{stage}.json").read_text())


def load_truth(corpus):
    return {t["id"]: t for t in map(json.loads, (corpus / "truth.jsonl").read_text().splitlines())}


def run_notebook(manifest_dir, workdir):
    """Execute notebooks/inspect_manifest.ipynb headless on ``manifest_dir``; return the executed
    notebook (nbformat)."""
    import os

    import nbformat
    from nbclient import NotebookClient

    from tests.conftest import REPO
    nb = nbformat.read(REPO / "notebooks" / "inspect_manifest.ipynb", as_version=4)
    os.environ["THRESHER_MANIFEST_DIR"] = str(manifest_dir)
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        os.environ.pop("THRESHER_MANIFEST_DIR", None)
    return nb
