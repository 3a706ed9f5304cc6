"""Schemathesis, with every one of its checks, finds nothing wrong with the running mock."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from apikeys_contract import bundled_spec_text

from .servers import mock_process

pytestmark = pytest.mark.slow

TOKEN = "schemathesis-token"
SUMMARY = re.compile(r"(\d+) generated, (\d+) passed")

# Schemathesis draws `pattern` strings with Python's `re`, whose `\s` differs from ECMA-262's
# (U+FEFF, U+001C-U+001F, U+0085). No filter hook is needed: Schemathesis 4 checks every
# generated body with jsonschema_rs (ECMA-262, like the mock) and drops the ones whose
# verdict flips, so such names never reach the mock under the wrong label.


def test_schemathesis_finds_no_failure(tmp_path: Path) -> None:
    spec = tmp_path / "api-keys.yaml"
    spec.write_text(bundled_spec_text(), encoding="utf-8")
    # Out of the box the mock lets any token create keys (a demo convenience), which the
    # ignored_auth check rightly reports. A policy that rejects unknown tokens makes the mock
    # behave as the real API does, so every check applies to it unchanged.
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(f"unknown: reject\nallow: [{TOKEN}]\n", encoding="utf-8")
    command = [
        *("run", str(spec), "--checks", "all"),
        *("--header", f"Authorization: Bearer {TOKEN}"),
        *("--max-examples", "50", "--generation-deterministic", "--workers", "1"),
        *("--request-timeout", "10", "--no-color"),
    ]
    with mock_process(
        "--spec", str(spec), "--tokens", str(tokens), "--log-level", "warning"
    ) as mock:
        # cwd: Schemathesis keeps its replay files in ./.schemathesis, which stays out of the repo.
        result = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", *command, "--url", mock.url],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    summary = SUMMARY.search(report)
    assert summary is not None, report
    generated, passed = map(int, summary.groups())
    assert generated >= 50, report
    assert passed == generated, report
