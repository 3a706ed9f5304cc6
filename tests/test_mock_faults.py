"""Injected faults seen from the client's side: httpx and Node's fetch against the mock over
real HTTP (uvicorn with the mock's own protocol, on a free loopback port), per request with
``Prefer: fault=NAME`` and in a seeded ``--chaos`` mix; where they show (journal, request
log, the counts on stop)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import Settings, create_app
from mock_server.mock._app import MockApp
from mock_server.server._protocol import contract_protocol
from mock_server.server._thread_server import serve_in_thread

from .servers import mock_process
from .tools import require

BODY = {"name": "ci-deploy-key"}
AUTH = {"Authorization": "Bearer dev-token"}
DRIBBLE = "dribble=600ms"


@contextlib.contextmanager
def served(**settings: Any) -> Iterator[tuple[str, MockApp]]:
    """The mock as the CLI serves it (its own protocol), in a thread."""
    app = create_app(Settings(**settings), request_log=None)
    protocol = contract_protocol(app.state.contract.request_id_header)
    with serve_in_thread(app, http=protocol) as url:
        yield url, app


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[str, MockApp]]:
    with served() as found:
        yield found


def _post(url: str, prefer: str | None = None, **headers: str) -> httpx.Response:
    extra = {"Prefer": prefer} if prefer else {}
    with httpx.Client(timeout=5) as client:  # a fresh connection: a fault ends it
        return client.post(f"{url}/api-keys", json=BODY, headers={**AUTH, **extra, **headers})


@contextlib.contextmanager
def _streamed(url: str, prefer: str) -> Iterator[httpx.Response]:
    """The response to a POST with ``prefer``, its body not read yet."""
    headers = {**AUTH, "Prefer": prefer}
    with (
        httpx.Client(timeout=5) as client,
        client.stream("POST", f"{url}/api-keys", json=BODY, headers=headers) as response,
    ):
        yield response


def _journal(url: str, **params: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(f"{url}/__mock/requests", params=params).json()[
        "requests"
    ]
    return found


# httpx


def test_reset_is_a_connection_reset(mock: tuple[str, MockApp]) -> None:
    with pytest.raises(httpx.ReadError) as caught:
        _post(mock[0], "fault=reset")
    assert "Connection reset by peer" in str(caught.value)


def test_empty_closes_without_a_response(mock: tuple[str, MockApp]) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        _post(mock[0], "fault=empty")


def test_truncated_sends_the_head_and_half_the_body(mock: tuple[str, MockApp]) -> None:
    url = mock[0]
    with _streamed(url, "fault=truncated") as response:
        assert response.status_code == 201
        assert response.headers["Preference-Applied"] == "fault=truncated"
        assert "x-request-id" in response.headers
        length = int(response.headers["Content-Length"])
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            response.read()
    assert f"received {length // 2} bytes, expected {length}" in str(caught.value)


def test_truncated_applies_to_a_forced_error_too(mock: tuple[str, MockApp]) -> None:
    with _streamed(mock[0], "code=500, fault=truncated") as response:
        assert response.status_code == 500
        assert (
            response.headers["Preference-Applied"] == "code=500, example=default, fault=truncated"
        )
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()


def test_garbage_is_not_http(mock: tuple[str, MockApp]) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        _post(mock[0], "fault=garbage")


def test_slow_body_dribbles_the_body(mock: tuple[str, MockApp]) -> None:
    started = time.monotonic()
    with _streamed(mock[0], f"fault=slow-body, {DRIBBLE}") as response:
        head = time.monotonic() - started
        chunks = list(response.iter_raw())
        whole = time.monotonic() - started
    assert response.status_code == 201
    assert response.headers["Preference-Applied"] == "fault=slow-body"
    assert head < 0.3 < 0.55 < whole, (head, whole)
    assert len(chunks) > 2
    assert json.loads(b"".join(chunks))["name"] == BODY["name"]


def test_an_unknown_fault_is_a_contract_shaped_400(mock: tuple[str, MockApp]) -> None:
    response = _post(mock[0], "fault=meltdown")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_prefer"
    assert "meltdown" in body["message"]
    assert body["faults"] == ["reset", "empty", "truncated", "garbage", "slow-body"]
    assert "Preference-Applied" not in response.headers


def test_a_bad_dribble_is_a_400(mock: tuple[str, MockApp]) -> None:
    response = _post(mock[0], "fault=slow-body, dribble=soon")
    assert response.status_code == 400
    assert "dribble=soon" in response.json()["message"]


def test_faults_never_touch_the_mocks_own_pages() -> None:
    with served(chaos="reset=100%") as (url, _app):
        for path in ("/docs", "/openapi.json", "/openapi.yaml", "/__mock/requests"):
            assert httpx.get(url + path, headers={"Prefer": "fault=reset"}).status_code == 200
        with pytest.raises(httpx.ReadError):
            _post(url)


def test_a_server_without_the_mocks_protocol_refuses_transport_faults() -> None:
    app = create_app(Settings(), request_log=None)
    with serve_in_thread(app, http="h11") as url:
        refused = _post(url, "fault=reset")
        slow = _post(url, f"fault=slow-body, {DRIBBLE}")
    assert refused.status_code == 400
    assert "needs the mock's own HTTP server" in refused.json()["message"]
    assert slow.status_code == 201


# Where injected answers show


def test_the_journal_labels_what_was_injected(mock: tuple[str, MockApp]) -> None:
    url = mock[0]
    httpx.delete(f"{url}/__mock/requests")
    with contextlib.suppress(httpx.HTTPError):
        _post(url, "fault=reset")
    with contextlib.suppress(httpx.HTTPError):
        _post(url, "fault=truncated")
    _post(url)
    plain, truncated, reset = _journal(url)
    assert reset["injected"] == "Prefer: fault=reset"
    assert reset["status"] is None  # no status line was sent
    assert reset["verdict"] == "disconnected"
    assert truncated["injected"].startswith("Prefer: fault=truncated (sent ")
    assert truncated["response"]["body"]["clientSecret"] == "[redacted]"
    assert plain["injected"] is None


def test_chaos_answers_the_contracts_documented_error(mock: tuple[str, MockApp]) -> None:
    forced = _post(mock[0], "code=500")
    with served(chaos="500=100%") as (url, _app):
        response = _post(url)
        (entry,) = _journal(url)
    assert response.status_code == 500
    assert response.json() == forced.json()  # the body Prefer: code=500 gives
    assert "x-request-id" in response.headers
    assert "Preference-Applied" not in response.headers  # the client asked for nothing
    assert entry["injected"] == "chaos: 500"


def test_chaos_latency_delays_every_answer() -> None:
    with served(chaos="latency=uniform:300-400ms") as (url, _app):
        started = time.monotonic()
        response = _post(url)
        took = time.monotonic() - started
        (entry,) = _journal(url)
    assert response.status_code == 201
    assert 0.3 <= took < 1.0, took
    delay = int(entry["injected"].removeprefix("chaos: latency ").removesuffix(" ms"))
    assert 300 <= delay <= 400
    assert entry["duration_ms"] >= delay - 1


def test_an_injected_refusal_names_no_rule_of_the_contract() -> None:
    with served(chaos="401=100%") as (url, _app):
        response = _post(url)
        (entry,) = _journal(url)
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers  # the 401's challenge, as the mock sends it
    assert entry["rule"]["kind"] is None
    assert entry["rule"]["summary"].startswith("injected by the mock (chaos: 401)")


def test_the_request_log_and_the_stop_line_count_injections() -> None:
    with mock_process("--chaos", "500=50%,latency=5ms", "--chaos-seed", "3") as server:
        statuses = [_post(server.url).status_code for _ in range(12)]
        with contextlib.suppress(httpx.HTTPError):
            _post(server.url, "fault=empty")
        server.process.terminate()
        server.process.wait(10)
    time.sleep(0.2)
    output = server.output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    injected = [line for line in lines if "injected" in line.get("error", "")]
    assert sum(s == 500 for s in statuses) == sum("chaos: 500" in i["error"] for i in injected)
    assert any(i["error"] == "injected Prefer: fault=empty" and i["status"] == 0 for i in injected)
    stop = next(line for line in output.splitlines() if "injected (chaos seed 3)" in line)
    assert f"500 x{statuses.count(500)}" in stop
    assert "empty x1" in stop
    assert "latency x13" in stop


# Seeded chaos


def _sequence(seed: int) -> list[str]:
    spec = "500=20%,401=10%,empty=10%,reset=10%,garbage=5%,truncated=5%"
    seen = []
    with served(chaos=spec, chaos_seed=seed) as (url, _app):
        for _ in range(40):
            try:
                response = _post(url)
                response.read()
                seen.append(str(response.status_code))
            except httpx.HTTPError as exc:
                seen.append(type(exc).__name__)
    return seen


def test_the_same_seed_gives_the_same_answers() -> None:
    first, again, other = _sequence(7), _sequence(7), _sequence(8)
    assert first == again
    assert first != other
    assert {"201", "500", "401"} <= set(first)
    assert {"ReadError", "RemoteProtocolError"} <= set(first)


# Node's fetch


FETCH = """
const [url, prefer] = process.argv.slice(1);
const started = Date.now();
const out = {};
try {
  const res = await fetch(url + "/api-keys", {
    method: "POST",
    headers: {"Content-Type": "application/json", Authorization: "Bearer t", Prefer: prefer},
    body: JSON.stringify({name: "a"}),
  });
  out.status = res.status;
  out.applied = res.headers.get("preference-applied");
  out.head_ms = Date.now() - started;
  try { out.length = (await res.text()).length; out.body_ms = Date.now() - started; }
  catch (e) { out.body_error = e.message; out.body_cause = e.cause && e.cause.code; }
} catch (e) { out.error = e.message; out.cause = e.cause && e.cause.code; }
console.log(JSON.stringify(out));
"""


def _fetch(url: str, prefer: str) -> dict[str, Any]:
    node = shutil.which("node")
    require(node is not None, "node is not installed")
    assert node is not None
    result = subprocess.run(
        [node, "--input-type=module", "-e", FETCH, url, prefer],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        cwd=Path(__file__).parent,
    )
    found: dict[str, Any] = json.loads(result.stdout)
    return found


@pytest.mark.parametrize(
    ("fault", "observed"),
    [
        ("reset", {"error": "fetch failed", "cause": "ECONNRESET"}),
        ("empty", {"error": "fetch failed", "cause": "UND_ERR_SOCKET"}),
        ("garbage", {"error": "fetch failed", "cause": "HPE_INVALID_CONSTANT"}),
        (
            "truncated",
            {
                "status": 201,
                "applied": "fault=truncated",
                "body_error": "terminated",
                "body_cause": "UND_ERR_SOCKET",
            },
        ),
    ],
)
def test_fetch_observes_the_fault(
    mock: tuple[str, MockApp], fault: str, observed: dict[str, Any]
) -> None:
    seen = _fetch(mock[0], f"fault={fault}")
    assert {k: seen.get(k) for k in observed} == observed, seen


def test_fetch_gets_a_slow_body_late(mock: tuple[str, MockApp]) -> None:
    seen = _fetch(mock[0], f"fault=slow-body, {DRIBBLE}")
    assert seen["status"] == 201
    assert seen["applied"] == "fault=slow-body"
    assert seen["body_ms"] - seen["head_ms"] >= 400, seen


# The pytest fixture

CHAOS_SUITE = """
import http.client
import json
import os
import urllib.parse


def post(url, prefer=None):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer e2e"}
    if prefer:
        headers["Prefer"] = prefer
    try:
        connection.request("POST", "/api-keys", json.dumps({"name": "e2e"}), headers)
        return connection.getresponse().status
    except ConnectionResetError:
        return "reset"
    finally:
        connection.close()


def test_the_chaos_spec_reaches_the_fixture(apikeys_mock):
    assert post(apikeys_mock.url) == 500
    assert post(apikeys_mock.url, "fault=reset") == "reset"
    first, second = apikeys_mock.journal.requests()
    assert (first["injected"], second["injected"]) == ("Prefer: fault=reset", "chaos: 500")
"""


def test_the_pytest_fixture_serves_a_chaos_spec(tmp_path: Path) -> None:
    (tmp_path / "test_e2e.py").write_text(CHAOS_SUITE)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-p", "mock_server.pytest_plugin", "--apikeys-mock-chaos=500=100%"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("APIKEYS_MOCK_")},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
