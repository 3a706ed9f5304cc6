"""One version: pyproject.toml's, the one the package and both commands report."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import mock_server

ROOT = Path(__file__).parents[1]
DECLARED = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
STALE = "the installed metadata is not pyproject.toml's version: reinstall the project"


def test_the_version_is_written_once() -> None:
    written = [
        str(path.relative_to(ROOT))
        for package in ("apikeys_contract", "mock_server", "conformance")
        for path in sorted((ROOT / package).rglob("*.py"))
        if f'"{DECLARED}"' in path.read_text("utf-8")
    ]
    assert written == []


def test_the_package_reports_pyprojects_version() -> None:
    assert mock_server.__version__ == DECLARED, STALE


@pytest.mark.parametrize(
    ("module", "name"),
    [("mock_server", "python -m mock_server"), ("conformance", "apikeys-conformance")],
)
def test_version_option_prints_pyprojects_version(module: str, name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout == f"{name} {DECLARED}\n", STALE
