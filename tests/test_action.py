"""``action.yml``, the composite GitHub Action: each ``run:` step as written, with its
``${{ inputs.* }}`` and ``${{ github.action_path }}`` filled in as GitHub would, through
the machinery that runs the workflow example's steps (tests/test_examples.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

import mock_server as mock

from .servers import serve
from .targets.accepts_all import create_accepts_all
from .test_examples import ROOT, SECRETS, resolved, run_job, run_steps, venv

__all__ = ["venv"]  # the fixture, shared with the workflow example's test

ACTION = ROOT / "action.yml"
INSTALL, CHECK = "Install the harness", "Check conformance"


def action() -> Mapping[str, Any]:
    data: Mapping[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert data["runs"]["using"] == "composite"
    return data


def context(given: Mapping[str, str]) -> dict[str, str]:
    """What GitHub fills in: each input (given, else its default) and the action's path."""
    inputs = action()["inputs"]
    assert set(given) <= set(inputs), set(given) - set(inputs)
    missing = [n for n, i in inputs.items() if i.get("required") and n not in given]
    assert not missing, f"required inputs not given: {missing}"
    filled = {f"inputs.{n}": given.get(n, str(i.get("default", ""))) for n, i in inputs.items()}
    return filled | {"github.action_path": str(ROOT)}


def test_every_expression_of_the_action_is_an_input_or_its_path() -> None:
    given = {"base-url": "http://127.0.0.1:1", "token": "t"}
    steps = list(run_steps(action()["runs"], context(given)))
    assert [name for name, _, _ in steps] == [INSTALL, CHECK]
    with pytest.raises(AssertionError):
        context({"token": "t"})  # base-url is required


@pytest.mark.slow
def test_the_action_installs_the_harness_and_runs_it(tmp_path: Path, venv: Path) -> None:
    token = SECRETS["APIKEYS_CONFORMANCE_TOKEN"]
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    runs = action()["runs"]
    with serve(mock.create_app(mock.Settings())) as url:
        given = {
            "base-url": url,
            "token": token,
            "shard": "2/3",
            "args": "--max-examples 4 --no-unknown-token-check",
        }
        ran = run_job(run_steps(runs, context(given)), env, workspace, venv)
    assert ran == [INSTALL, CHECK]
    suite = ET.parse(workspace / "reports" / "conformance.xml").getroot()
    assert suite.get("failures") == "0"
    text = summary.read_text(encoding="utf-8")
    assert "## Conformance of" in text
    assert "PASS: the target conforms" in text
    assert "### Coverage of" in text
    assert token not in text
    # A broken service: the check step fails the job (exit 1), its summary says why.
    summary.unlink()
    with serve(create_accepts_all()) as url:
        given = {"base-url": url, "token": token, "args": "--max-examples 4"}
        steps = [s for s in run_steps(runs, context(given)) if s[0] == CHECK]
        run_job(steps, env, workspace, venv, expected={CHECK: 1})
    assert "FAIL: " in summary.read_text(encoding="utf-8")


def test_an_input_the_action_does_not_declare_is_refused() -> None:
    with pytest.raises(AssertionError):
        context({"base-url": "http://x", "token": "t", "tokn": "t"})
    assert resolved({"A": "${{ inputs.seed }}"}, context({"base-url": "u", "token": "t"})) == {
        "A": "0"
    }
