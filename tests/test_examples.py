"""Every file in examples/ runs as written.

``github-actions-conformance.yml``: each ``run:`` step, in order, exactly as written,
through bash (as GitHub runs a step with no ``shell:``: ``bash -e``) with the workflow's
and the step's ``env:``, in a fresh venv, from an empty workspace. The test changes only
values of the workflow's ``env:``: the package comes from this checkout, and the service
under test is the mock, started by the workflow's own step on a free 127.0.0.1 port, with
a token policy that knows the two secret tokens. ``uses:`` steps are GitHub's mechanics
(a checkout, a Python, keeping files, the run summary) and are skipped; a step this test
cannot run as GitHub would (another action, another shell, an expression in a command)
fails it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from .peers._run import free_port

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
WORKFLOW = EXAMPLES / "github-actions-conformance.yml"
# What the `uses:` steps do is GitHub's part: the fresh venv stands in for setup-python,
# the empty workspace for the checkout; the files the other two read are asserted below.
GITHUB_MECHANICS = {
    "actions/checkout",
    "actions/setup-python",
    "actions/upload-artifact",
    "mikepenz/action-junit-report",
}
RUN_STEP_KEYS = {"name", "run", "env", "if"}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SECRET = re.compile(r"secrets\.(\w+)")
SECRETS = {
    "APIKEYS_CONFORMANCE_TOKEN": "ci-token-0a1b2c",
    "APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN": "ci-readonly-3d4e5f",
}


def test_every_example_is_exercised() -> None:
    assert sorted(p.name for p in EXAMPLES.iterdir()) == [WORKFLOW.name]


def the_job(workflow: Mapping[str, Any]) -> Mapping[str, Any]:
    [job] = workflow["jobs"].values()
    assert set(job) <= {"runs-on", "timeout-minutes", "env", "steps"}, set(job)
    return job  # type: ignore[no-any-return]


def resolved(env: Mapping[str, object]) -> dict[str, str]:
    """``env`` with ``${{ secrets.NAME }}`` filled in; any other expression fails."""

    def secret(match: re.Match[str]) -> str:
        name = SECRET.fullmatch(match.group(1))
        assert name, f"an expression this test cannot evaluate: {match.group()}"
        return SECRETS[name.group(1)]

    return {key: EXPRESSION.sub(secret, str(value)) for key, value in env.items()}


def run_steps(job: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(name, script, step env) of every ``run:`` step, in order; fails on a step this
    test cannot run as GitHub would."""
    for number, step in enumerate(job["steps"], 1):
        name = step.get("name", f"step {number}")
        if "uses" in step:
            action = step["uses"].split("@")[0]
            assert action in GITHUB_MECHANICS, f"{name}: cannot run action {action}"
            continue
        assert "run" in step, f"{name}: neither run: nor uses:"
        assert set(step) <= RUN_STEP_KEYS, f"{name}: cannot honour {set(step) - RUN_STEP_KEYS}"
        assert step.get("if", "always()") == "always()", f"{name}: condition {step['if']}"
        assert "${{" not in step["run"], f"{name}: an expression in the command"
        yield name, step["run"], resolved(step.get("env", {}))


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """The bin directory of a fresh venv: what setup-python gives the job."""
    path = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", path], check=True, timeout=120)
    return path / "bin"


@pytest.mark.parametrize(
    "step",
    [
        {"uses": "docker/login-action@v3"},
        {"name": "no command"},
        {"run": "Get-ChildItem", "shell": "pwsh"},
        {"run": "make", "working-directory": "service"},
        {"run": "echo ${{ github.sha }}"},
        {"run": "./notify", "if": "failure()"},
        {"run": "true", "env": {"TOKEN": "${{ github.token }}"}},
    ],
)
def test_a_step_this_test_cannot_run_as_github_would_fails_it(step: dict[str, Any]) -> None:
    job = the_job(yaml.safe_load(WORKFLOW.read_text(encoding="utf-8")))
    steps = [*job["steps"], step]
    with pytest.raises(AssertionError):
        list(run_steps({**job, "steps": steps}))
    list(run_steps(job))  # the workflow as it is, every step accounted for


@pytest.mark.slow
def test_the_github_actions_workflow_runs_as_written(tmp_path: Path, venv: Path) -> None:
    job = the_job(yaml.safe_load(WORKFLOW.read_text(encoding="utf-8")))
    env = resolved(job["env"])
    port = free_port()
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(
        "unknown: reject\n"
        f"allow: [{SECRETS['APIKEYS_CONFORMANCE_TOKEN']}]\n"
        f"forbidden: [{SECRETS['APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN']}]\n"
    )
    # The requirement as written (name and extras), from this checkout instead of GitHub.
    requirement = env["APIKEYS_CONTRACT_PACKAGE"].partition(" @ ")[0].strip()
    values = {
        "APIKEYS_CONTRACT_PACKAGE": f"{requirement} @ {ROOT.as_uri()}",
        "SERVICE_COMMAND": f"python -m mock_server --port {port} --tokens {tokens}",
        "APIKEYS_CONFORMANCE_BASE_URL": f"http://127.0.0.1:{port}",
    }
    assert set(values) <= set(env), "the workflow no longer reads these values"
    env |= values
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APIKEYS_", "PYTHON", "VIRTUAL_ENV", "HYPOTHESIS"))
    }
    inherited["PATH"] = f"{venv}{os.pathsep}{inherited['PATH']}"
    # pip reads PIP_NO_COMPILE=0 as --no-compile (its inverted booleans for --no-* options):
    # no byte-compiling of the fresh install, about half of its time.
    inherited["PIP_NO_COMPILE"] = "0"
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    sessions: list[int] = []
    ran: list[str] = []
    try:
        for name, script, step_env in run_steps(job):
            process = subprocess.Popen(
                ["bash", "-e", "-c", script],
                cwd=workspace,
                env={**inherited, "CI": "true", **env, **step_env},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # its background processes are stopped below
            )
            sessions.append(process.pid)
            output, _ = process.communicate(timeout=600)
            assert process.returncode == 0, f"step {name!r} exited {process.returncode}:\n{output}"
            ran.append(name)
    finally:
        for session in sessions:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(session, signal.SIGTERM)
    assert ran
    # What the harness writes, and the upload and summary steps read, is there.
    suite = ET.parse(workspace / "reports" / "conformance.xml").getroot()
    assert suite.get("failures") == "0"
    assert [case.get("name") for case in suite.iter("testcase")]
    assert (workspace / "reports" / "conformance.json").is_file()
    assert (workspace / "service.log").is_file()
