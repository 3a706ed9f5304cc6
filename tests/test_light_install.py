"""``pip install .`` brings the mock alone; the harness says in one line what it lacks.

A fresh virtual environment gets this project without extras (plus pytest, to prove the
pytest entry point stays out of the way): the mock serves, and ``python -m conformance``,
``apikeys-conformance``, ``import conformance`` and pytest each behave.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .servers import LISTENING

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
HARNESS_ONLY = {"schemathesis", "hypothesis", "httpx"}


def run(*command: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command],
        capture_output=True,
        text=True,
        check=check,
        timeout=600,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )


@pytest.fixture(scope="module")
def light(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a fresh venv with ``pip install . pytest``."""
    venv = tmp_path_factory.mktemp("light") / "venv"
    run(sys.executable, "-m", "venv", venv)
    bin_dir = venv / "bin"
    installed = run(bin_dir / "pip", "install", "-q", str(ROOT), "pytest", check=False)
    if installed.returncode != 0:
        reason = f"pip install . failed (no package index?):\n{installed.stderr[-2000:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return bin_dir


def test_only_the_mock_is_installed(light: Path) -> None:
    listed = json.loads(run(light / "pip", "list", "--format", "json").stdout)
    names = {package["name"].lower() for package in listed}
    assert "apikeys-contract" in names
    assert not names & HARNESS_ONLY, names & HARNESS_ONLY


def test_the_mock_serves(light: Path) -> None:
    process = subprocess.Popen(
        [str(light / "python"), "-m", "mock_server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = LISTENING.search(line)
        assert found, line
        request = urllib.request.Request(
            found.group(1) + "/api-keys",
            data=b'{"name": "light"}',
            headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            assert json.loads(response.read())["name"] == "light"
        with urllib.request.urlopen(found.group(1) + "/docs", timeout=10) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize(
    ("command", "prog"),
    [
        (("python", "-m", "conformance"), "python -m conformance"),
        (("apikeys-conformance",), "apikeys-conformance"),
    ],
)
def test_the_harness_says_what_to_install(light: Path, command: tuple[str, ...], prog: str) -> None:
    result = run(light / command[0], *command[1:], "--base-url", "http://127.0.0.1:9", check=False)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"{prog}: error: the conformance harness needs ")
    assert "pip install 'apikeys-contract[conformance]'" in result.stderr


def test_import_conformance_names_what_to_install(light: Path) -> None:
    assert run(light / "python", "-c", "import conformance").returncode == 0
    result = run(light / "python", "-c", "from conformance import Engine", check=False)
    assert result.returncode == 1
    assert "ImportError: the conformance harness needs" in result.stderr


def test_pytest_still_runs_without_the_harness(light: Path, tmp_path: Path) -> None:
    (tmp_path / "test_other.py").write_text("def test_other() -> None:\n    assert True\n")
    result = run(light / "pytest", "-q", "-p", "no:cacheprovider", tmp_path, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def started(*command: str | Path) -> tuple[subprocess.Popen[str], str]:
    """A mock (or proxy) process and the URL it listens on."""
    process = subprocess.Popen(
        [str(c) for c in command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = LISTENING.search(line)
    if not found:
        process.kill()
        pytest.fail(f"no listening line: {line}{process.communicate()[0]}")
    return process, found.group(1)


def test_the_proxy_writes_its_report(light: Path, tmp_path: Path) -> None:
    """The run report's model and writers are the shared layer's: no harness needed."""
    report, junit = tmp_path / "run.json", tmp_path / "run.xml"
    upstream, upstream_url = started(light / "python", "-m", "mock_server", "--port", "0")
    try:
        proxy, url = started(
            light / "python", "-m", "mock_server", "--port", "0", "--proxy", upstream_url,
            "--report-json", report, "--junit-xml", junit,
        )  # fmt: skip
        try:
            request = urllib.request.Request(
                url + "/api-keys",
                data=b"{}",
                headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
                method="POST",
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 400
        finally:
            proxy.terminate()
            output = proxy.communicate(timeout=20)[0]
        assert proxy.returncode == 0, output
    finally:
        upstream.terminate()
        upstream.wait(10)
    data = json.loads(report.read_text())
    assert data["requests"] == 1
    assert [(f["check"], f["summary"]) for f in data["findings"]] == [
        ("request", "a body the contract refuses: missing /name")
    ]
    assert 'failures="1"' in junit.read_text()
