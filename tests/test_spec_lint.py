"""The contract is valid OpenAPI 3.1 and lints clean with Redocly CLI.

Redocly CLI is pinned in package.json and installed into ./node_modules by ``npm ci``
(.ci/run does it). Without node or that install the lint test skips, except under CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from openapi_spec_validator.readers import read_from_filename

from .tools import require

ROOT = Path(__file__).parents[1]
SPEC = ROOT / "openapi" / "api-keys.yaml"
REDOCLY = ROOT / "node_modules" / "@redocly" / "cli" / "bin" / "cli.js"
# recommended-strict: the recommended rules, with every warning raised to an error.
LINT_OPTIONS = ("--extends", "recommended-strict", "--format", "json")
# The tests never phone home: no usage telemetry, no update check.
QUIET = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}


def test_spec_validates_with_openapi_spec_validator() -> None:
    document, base_uri = read_from_filename(str(SPEC))
    validate(document, base_uri=base_uri, cls=OpenAPIV31SpecValidator)


def redocly_lint(spec: Path) -> dict[str, Any]:
    node = shutil.which("node")
    require(node is not None, "node is not installed")
    require(REDOCLY.is_file(), f"{REDOCLY.relative_to(ROOT)} missing; run npm ci")
    assert node is not None
    result = subprocess.run(
        [node, str(REDOCLY), "lint", str(spec), *LINT_OPTIONS],
        cwd=ROOT,
        env={**os.environ, **QUIET},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"redocly printed no JSON report (exit {result.returncode}):\n{result.stderr}")
    report["exit_code"] = result.returncode
    return report


def test_spec_lints_clean_with_redocly() -> None:
    report = redocly_lint(SPEC)
    assert report["problems"] == [], json.dumps(report["problems"], indent=2)
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}
    assert report["exit_code"] == 0


def test_redocly_lint_catches_a_broken_spec(tmp_path: Path) -> None:
    # Proves the lint above really ran its rules: a copy without a license fails.
    document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    del document["info"]["license"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(document), encoding="utf-8")
    report = redocly_lint(broken)
    assert "info-license" in [problem["ruleId"] for problem in report["problems"]]
    assert report["exit_code"] != 0
