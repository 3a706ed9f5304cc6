"""--watch: an edited contract is served without a restart; a broken edit keeps the last
good one and logs one line. In-process (reload() called directly) and in a real process
that watches a temporary spec file over real HTTP."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient
from starlette.types import ASGIApp

from apikeys_contract import Contract, bundled_spec_text
from mock_server import Settings, create_app
from mock_server.server._watch import ReloadingApp

from .conftest import JSON_HEADERS
from .servers import MockProcess, mock_process

SIX = {"name": "abcdef"}


def build(contract: Contract) -> ASGIApp:
    return create_app(Settings(), contract=contract)


def write_spec(path: Path, max_length: int) -> None:
    document: dict[str, Any] = yaml.safe_load(bundled_spec_text())
    document["components"]["schemas"]["CreateApiKeyRequest"]["properties"]["name"]["maxLength"] = (
        max_length
    )
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def test_reload_swaps_in_the_edited_contract(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    write_spec(spec, 100)
    app = ReloadingApp(spec, build)
    client = TestClient(app)
    assert client.post("/api-keys", json=SIX, headers=JSON_HEADERS).status_code == 201
    write_spec(spec, 5)
    assert app.reload()
    assert client.post("/api-keys", json=SIX, headers=JSON_HEADERS).status_code == 400
    served = client.get("/openapi.json").json()
    assert (
        served["components"]["schemas"]["CreateApiKeyRequest"]["properties"]["name"]["maxLength"]
        == 5
    )


@pytest.mark.parametrize(
    "broken",
    ["openapi: [unclosed", "just: a mapping\n", "openapi: 3.1.0\ninfo: {}\npaths: {}\n", ""],
    ids=["bad-yaml", "not-openapi", "invalid-openapi", "empty"],
)
def test_a_broken_edit_keeps_the_last_good_contract_and_logs_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, broken: str
) -> None:
    spec = tmp_path / "spec.yaml"
    write_spec(spec, 5)
    app = ReloadingApp(spec, build)
    spec.write_text(broken, encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="mock_server.watch"):
        assert not app.reload()
    lines = [r.getMessage() for r in caplog.records if r.name == "mock_server.watch"]
    assert len(lines) == 1
    assert "\n" not in lines[0]
    assert "not reloaded, still serving the last good contract" in lines[0]
    assert str(spec.resolve()) in lines[0]
    client = TestClient(app)
    assert client.post("/api-keys", json=SIX, headers=JSON_HEADERS).status_code == 400
    assert client.post("/api-keys", json={"name": "abc"}, headers=JSON_HEADERS).status_code == 201


def wait_for(process: MockProcess, found: Callable[[], bool], what: str) -> None:
    # Not a timed assertion: a bound on waiting for the watcher, far above what it needs.
    deadline = time.monotonic() + 30
    while not found():
        if time.monotonic() > deadline or process.process.poll() is not None:
            pytest.fail(f"{what} did not happen:\n{process.output}")
        time.sleep(0.05)


def test_a_running_mock_reloads_its_spec_file(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    write_spec(spec, 100)
    with mock_process("--spec", str(spec), "--watch") as mock:
        wait_for(mock, lambda: "watching" in mock.output, "the watcher starting")
        with httpx.Client(base_url=mock.url, timeout=10) as client:
            assert client.post("/api-keys", json=SIX, headers=JSON_HEADERS).status_code == 201

            write_spec(spec, 5)
            wait_for(mock, lambda: "contract reloaded" in mock.output, "the reload")
            assert client.post("/api-keys", json=SIX, headers=JSON_HEADERS).status_code == 400

            spec.write_text("openapi: [unclosed", encoding="utf-8")
            wait_for(mock, lambda: "not reloaded" in mock.output, "the broken edit noticed")
            assert client.post("/api-keys", json=SIX, headers=JSON_HEADERS).status_code == 400
            ok = client.post("/api-keys", json={"name": "abc"}, headers=JSON_HEADERS)
            assert ok.status_code == 201
    complaints = [line for line in mock.lines if "not reloaded" in line]
    assert len(complaints) == 1
    assert "Traceback" not in mock.output


def test_watch_needs_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mock_server.server import _cli

    monkeypatch.setattr(_cli, "_watched_file", lambda settings: None)
    assert _cli.run(port=0, watch=True) == _cli.EXIT_STARTUP_FAILED


def test_a_watcher_that_fails_logs_one_line_and_the_mock_keeps_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec = tmp_path / "spec.yaml"
    write_spec(spec, 5)
    app = ReloadingApp(spec, build)
    app.path = tmp_path / "gone" / "spec.yaml"  # a directory that does not exist
    with caplog.at_level(logging.INFO, logger="mock_server.watch"):
        app.start()
        app.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "mock_server.watch"]
    assert len(lines) == 1
    assert lines[0].startswith("mock_server: stopped watching ")
    client = TestClient(app)
    assert client.post("/api-keys", json={"name": "abc"}, headers=JSON_HEADERS).status_code == 201
