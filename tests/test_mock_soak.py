"""The soak script's guarantees, on a short run: statuses, unique ids, memory, SIGTERM."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).parents[1] / "bench" / "soak.py"


@pytest.mark.slow
def test_short_soak_holds_every_guarantee() -> None:
    result = subprocess.run(
        [sys.executable, str(SOAK), "--duration", "2", "--warmup", "1", "--connections", "16"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verdict: every guarantee held" in result.stdout
    assert "Traceback" not in result.stderr
