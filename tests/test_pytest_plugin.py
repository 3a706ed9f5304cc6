"""The pytest fixtures for end-to-end suites, run as a team would run them: a test file in
its own directory, the plugin loaded with ``-p mock_server.pytest_plugin``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .servers import serve
from .targets import VALID_TOKEN, Defects, create_target

PLUGIN = ("-p", "mock_server.pytest_plugin")
SUITE = """
import json
import urllib.error
import urllib.request


def post(url, body, token="e2e-token"):
    request = urllib.request.Request(
        url + "/api-keys",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_valid_request(apikeys_mock):
    assert post(apikeys_mock.url, {"name": "from e2e"}, TOKEN) == 201
    sent = apikeys_mock.journal.wait_for(method="POST", path="/api-keys")
    assert sent["verdict"] == VERDICT, f"verdict={sent['verdict']} {sent['violations']}"
    assert sent["request"]["body"] == {"name": "from e2e"}


def test_each_test_starts_with_an_empty_journal(apikeys_mock):
    assert apikeys_mock.journal.requests() == []


def test_a_rejected_request_names_its_rule(apikeys_mock):
    post(apikeys_mock.url, {"name": ""}, TOKEN)
    sent = apikeys_mock.journal.wait_for(verdict="rejected")
    assert sent["rule"]["problems"][0]["pointer"] == "/name"
"""


def run_suite(tmp_path: Path, *options: str, token: str, verdict: str) -> str:
    suite = f"TOKEN = {token!r}\nVERDICT = {verdict!r}\n" + textwrap.dedent(SUITE)
    (tmp_path / "test_e2e.py").write_text(suite)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PLUGIN, *options],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("APIKEYS_MOCK_")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_fixture_starts_the_mock(tmp_path: Path) -> None:
    assert "3 passed" in run_suite(tmp_path, token="e2e-token", verdict="ok")


def test_the_fixture_starts_the_proxy(tmp_path: Path) -> None:
    with serve(create_target(Defects())) as upstream:
        out = run_suite(
            tmp_path, f"--apikeys-mock-proxy={upstream}", token=VALID_TOKEN, verdict="ok"
        )
    assert "3 passed" in out


def test_the_fixture_reports_a_broken_upstream(tmp_path: Path) -> None:
    # The same suite against a broken implementation: its answer is a violation.
    with serve(create_target(Defects(name_not_echoed=True))) as upstream:
        suite = f"TOKEN = {VALID_TOKEN!r}\nVERDICT = 'ok'\n" + textwrap.dedent(SUITE)
        (tmp_path / "test_e2e.py").write_text(suite)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PLUGIN,
             f"--apikeys-mock-proxy={upstream}", "-k", "valid_request"],
            capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 1, done.stdout
    assert "verdict=violation [{'check': 'acceptance'" in done.stdout


def test_wait_for_gives_up_with_a_clear_message() -> None:
    from mock_server import Settings, create_app
    from mock_server.pytest_plugin import JournalClient  # imported late: pytest loads it

    with serve(create_app(Settings())) as url:
        journal = JournalClient(url)
        with pytest.raises(AssertionError, match="no exchange matching"):
            journal.wait_for(timeout=0.2, path="/never")
        with pytest.raises(AssertionError, match="invalid_filter"):
            journal.requests(verdict="nonsense")
