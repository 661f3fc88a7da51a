"""Start-up cost (issue 21): what a command imports before it does any work. Each check runs in a
fresh interpreter, since this test process has imported everything already."""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("apache_beam", "pyarrow", "numpy", "yaml", "filters", "pipeline.runner", "pipeline.config")


def _modules_after(code: str) -> dict:
    """Run ``code`` in a new interpreter; returns {"exit": status or None, "loaded": heavy modules}."""
    probe = (
        "import json, sys\n"
        "status = None\n"
        "try:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "except SystemExit as exc:\n"
        "    status = exc.code\n"
        f"heavy = {HEAVY!r}\n"
        "loaded = sorted(h for h in heavy if any(m == h or m.startswith(h + '.') for m in sys.modules))\n"
        "sys.stdout = sys.__stdout__\n"
        "print('\\n' + json.dumps({'exit': status, 'loaded': loaded}))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_help_and_argument_errors_import_no_beam():
    assert _modules_after("import pipeline.cli") == {"exit": None, "loaded": []}
    assert _modules_after("from pipeline.cli import main\nmain(['--help'])") == {"exit": 0, "loaded": []}
    assert _modules_after("from pipeline.cli import main\nmain(['dedup', '--help'])") == {"exit": 0, "loaded": []}
    # a required argument missing, an unknown command
    assert _modules_after("from pipeline.cli import main\nmain(['dedup'])") == {"exit": 2, "loaded": []}
    assert _modules_after("from pipeline.cli import main\nmain(['nosuchstage'])") == {"exit": 2, "loaded": []}


def test_a_command_still_reports_a_bad_config_as_an_error(tmp_path):
    """Past the argument check the command imports what it needs and its errors read as before."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("dedup:\n  max_cc_rounds: 0\n")
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "dedup", "--input", str(tmp_path), "--output",
                           str(tmp_path / "out"), "--config", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "thresher dedup: error:" in proc.stderr and "max_cc_rounds" in proc.stderr
