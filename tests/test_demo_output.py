"""The demo's output in the docs is what the demo prints: a real run, compared line for line.

The demo's clock is virtual and moves only once everything due has run, so every run prints the
same story however loaded the machine is; ``--stable`` masks the one value that is random by
design (unique discount codes). When the demo changes on purpose, ``make demo-output`` remakes
docs/demo-output.txt.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "docs" / "demo-output.txt"


def test_the_demo_prints_exactly_the_output_in_the_docs(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "demo", "--stable"],
        cwd=ROOT,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert run.returncode == 0, run.stderr
    drift = difflib.unified_diff(
        COMMITTED.read_text().splitlines(),
        run.stdout.splitlines(),
        "docs/demo-output.txt",
        "python -m demo --stable",
        lineterm="",
    )
    shown = "\n".join(drift)
    assert not shown, f"the demo's output drifted from the docs (run `make demo-output`):\n{shown}"
