"""Every file in examples/ runs as written.

``github-actions-conformance.yml`` (and ``github-actions-shards.yml``, each shard job of
its matrix then the merge job, in one workspace): each ``run:`` step, in order, exactly as written,
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
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from .peers._run import free_port

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
WORKFLOW = EXAMPLES / "github-actions-conformance.yml"
SHARDS_WORKFLOW = EXAMPLES / "github-actions-shards.yml"
# What the `uses:` steps do is GitHub's part: the fresh venv stands in for setup-python,
# the empty workspace for the checkout; the files the other two read are asserted below.
GITHUB_MECHANICS = {
    "actions/checkout",
    "actions/download-artifact",
    "actions/setup-python",
    "actions/upload-artifact",
    "mikepenz/action-junit-report",
}
RUN_STEP_KEYS = {"name", "run", "env", "if", "shell"}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SECRET = re.compile(r"secrets\.(\w+)")
SECRETS = {
    "APIKEYS_CONFORMANCE_TOKEN": "ci-token-0a1b2c",
    "APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN": "ci-readonly-3d4e5f",
}


def test_every_example_is_exercised() -> None:
    assert sorted(p.name for p in EXAMPLES.iterdir()) == [WORKFLOW.name, SHARDS_WORKFLOW.name]


def the_job(workflow: Mapping[str, Any]) -> Mapping[str, Any]:
    [job] = workflow["jobs"].values()
    assert set(job) <= {"runs-on", "timeout-minutes", "env", "steps"}, set(job)
    return job  # type: ignore[no-any-return]


def resolved(env: Mapping[str, object], context: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` with ``${{ secrets.NAME }}`` and the expressions of ``context`` (e.g.
    ``matrix.shard``) filled in; any other expression fails."""

    def secret(match: re.Match[str]) -> str:
        if context and match.group(1) in context:
            return context[match.group(1)]
        name = SECRET.fullmatch(match.group(1))
        assert name, f"an expression this test cannot evaluate: {match.group()}"
        return SECRETS[name.group(1)]

    return {key: EXPRESSION.sub(secret, str(value)) for key, value in env.items()}


def run_steps(
    job: Mapping[str, Any], context: Mapping[str, str] | None = None
) -> Iterator[tuple[str, str, dict[str, str]]]:
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
        assert step.get("shell", "bash") == "bash", f"{name}: shell {step['shell']}"
        assert "${{" not in step["run"], f"{name}: an expression in the command"
        yield name, step["run"], resolved(step.get("env", {}), context)


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


def run_job(
    steps: Iterable[tuple[str, str, dict[str, str]]],
    env: Mapping[str, str],
    workspace: Path,
    venv: Path,
    *,
    expected: Mapping[str, int] | None = None,
) -> list[str]:
    """Run each step's script as GitHub would (``bash -e``, the job's and the step's env,
    the venv first on PATH) in ``workspace``; each must exit 0 (or as ``expected`` says,
    by step name). The names of those run."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APIKEYS_", "PYTHON", "VIRTUAL_ENV", "HYPOTHESIS"))
    }
    inherited["PATH"] = f"{venv}{os.pathsep}{inherited['PATH']}"
    # pip reads PIP_NO_COMPILE=0 as --no-compile (its inverted booleans for --no-* options):
    # no byte-compiling of the fresh install, about half of its time.
    inherited["PIP_NO_COMPILE"] = "0"
    sessions: list[int] = []
    ran: list[str] = []
    try:
        for name, script, step_env in steps:
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
            status = (expected or {}).get(name, 0)
            assert process.returncode == status, (
                f"step {name!r} exited {process.returncode}:\n{output}"
            )
            ran.append(name)
    finally:
        for session in sessions:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(session, signal.SIGTERM)
    return ran


def mock_service(tmp_path: Path, package: str) -> dict[str, str]:
    """The values of a workflow's env that make it install this checkout and start the
    mock, on a free port, with a token policy that knows the two secret tokens."""
    port = free_port()
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(
        "unknown: reject\n"
        f"allow: [{SECRETS['APIKEYS_CONFORMANCE_TOKEN']}]\n"
        f"forbidden: [{SECRETS['APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN']}]\n"
    )
    # The requirement as written (name and extras), from this checkout instead of GitHub.
    requirement = package.partition(" @ ")[0].strip()
    return {
        "APIKEYS_CONTRACT_PACKAGE": f"{requirement} @ {ROOT.as_uri()}",
        "SERVICE_COMMAND": f"python -m mock_server --port {port} --tokens {tokens}",
        "APIKEYS_CONFORMANCE_BASE_URL": f"http://127.0.0.1:{port}",
    }


@pytest.mark.slow
def test_the_github_actions_workflow_runs_as_written(tmp_path: Path, venv: Path) -> None:
    job = the_job(yaml.safe_load(WORKFLOW.read_text(encoding="utf-8")))
    env = resolved(job["env"])
    values = mock_service(tmp_path, env["APIKEYS_CONTRACT_PACKAGE"])
    assert set(values) <= set(env), "the workflow no longer reads these values"
    env |= values
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    ran = run_job(run_steps(job), env, workspace, venv)
    assert ran
    # What the harness writes, and the upload and summary steps read, is there.
    suite = ET.parse(workspace / "reports" / "conformance.xml").getroot()
    assert suite.get("failures") == "0"
    assert [case.get("name") for case in suite.iter("testcase")]
    assert (workspace / "reports" / "conformance.json").is_file()
    assert (workspace / "service.log").is_file()


def wait_closed(url: str, timeout: float = 20) -> None:
    """Until nothing listens at ``url`` any more."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((str(host), int(port or 80))) != 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"{url} still answers after {timeout:g} s")


@pytest.mark.slow
def test_the_sharded_workflow_runs_as_written(tmp_path: Path, venv: Path) -> None:
    """Each job of the matrix, then the merge job, in one workspace (the artifacts the
    shards upload are the files the merge downloads). The run is the default profile with
    few examples instead of the thorough one: the split and the merge are what is tested."""
    workflow = yaml.safe_load(SHARDS_WORKFLOW.read_text(encoding="utf-8"))
    shard_job, merge_job = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    assert merge_job["needs"] == "shard"
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    shards = shard_job["strategy"]["matrix"]["shard"]
    # Every runner serves the service at the same URL: the merge checks that it is one run.
    values = mock_service(tmp_path, workflow["env"]["APIKEYS_CONTRACT_PACKAGE"])
    values["APIKEYS_CONFORMANCE_PROFILE"] = "default"
    for shard in shards:
        context = {"matrix.shard": str(shard)}
        env = resolved({**workflow["env"], **shard_job["env"]}, context)
        assert set(values) <= set(env), "the workflow no longer reads these values"
        env |= values | {"APIKEYS_CONFORMANCE_MAX_EXAMPLES": "4"}
        assert run_job(run_steps(shard_job, context), env, workspace, venv)
        wait_closed(values["APIKEYS_CONFORMANCE_BASE_URL"])  # the runner is gone
    env = resolved({**workflow["env"], **merge_job.get("env", {})})
    env |= {
        "APIKEYS_CONTRACT_PACKAGE": mock_service(tmp_path, env["APIKEYS_CONTRACT_PACKAGE"])[
            "APIKEYS_CONTRACT_PACKAGE"
        ]
    }
    assert run_job(run_steps(merge_job), env, workspace, venv)
    reports = workspace / "reports"
    parts = [json.loads((reports / f"shard-{n}" / "conformance.json").read_text()) for n in shards]
    assert sorted(p["shard"] for p in parts) == [f"{n}/{len(shards)}" for n in shards]
    merged = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
    assert merged["conforms"]
    assert merged["requests"] == sum(p["requests"] for p in parts)
    suite = ET.parse(reports / "conformance.xml").getroot()
    assert suite.get("failures") == "0"
