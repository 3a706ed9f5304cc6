"""Settings that change what the mock serves: latency, body limit, policy (CORS: test_mock_cors)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from mock_server import Settings, TokenPolicy, create_app

from .conftest import JSON_HEADERS
from .openapi_oracle import assert_conforms
from .servers import serve


def test_delay_holds_every_response() -> None:
    client = TestClient(create_app(Settings(delay_ms=150)))
    started = time.perf_counter()
    response = client.post("/api-keys", json={"name": "k"}, headers=JSON_HEADERS)
    assert response.status_code == 201
    assert time.perf_counter() - started >= 0.15


@pytest.fixture(scope="module")
def small_limit_url() -> Iterator[str]:
    with serve(create_app(Settings(max_body_bytes=64))) as url:
        yield url


@pytest.mark.parametrize("transport", ["asgi", "http"])
def test_oversized_body_gets_400_with_or_without_content_length(
    transport: str, small_limit_url: str
) -> None:
    big = b'{"name": "' + b"x" * 1000 + b'"}'
    if transport == "asgi":
        client: httpx.Client = TestClient(create_app(Settings(max_body_bytes=64)))
    else:
        client = httpx.Client(base_url=small_limit_url, timeout=10)
    with client:
        declared = client.post("/api-keys", content=big, headers=JSON_HEADERS)
        streamed = client.post(
            "/api-keys", content=iter([big[:40], big[40:]]), headers=JSON_HEADERS
        )
        fits = client.post("/api-keys", content=b'{"name": "k"}', headers=JSON_HEADERS)
    for response in (declared, streamed):
        assert response.status_code == 400
        assert response.json()["code"] == "body_too_large"
        assert_conforms(response)
    assert fits.status_code == 201


def test_policy_rejecting_unknown_tokens() -> None:
    policy = TokenPolicy(allow_unknown=False, allowed=frozenset({"good"}))
    client = TestClient(create_app(Settings(tokens=policy)))
    ok = client.post("/api-keys", json={"name": "k"}, headers={"Authorization": "Bearer good"})
    bad = client.post("/api-keys", json={"name": "k"}, headers={"Authorization": "Bearer bad"})
    assert ok.status_code == 201
    assert bad.status_code == 401
    assert_conforms(bad)


def test_one_log_line_per_request_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(create_app())
    with caplog.at_level(logging.INFO, logger="mock_server.access"):
        response = client.post(
            "/api-keys", json={"name": "k"}, headers={"Authorization": "Bearer tok-XYZ"}
        )
    records = [r for r in caplog.records if r.name == "mock_server.access"]
    assert len(records) == 1
    line = records[0].getMessage()
    assert response.headers["x-request-id"] in line
    assert "tok-XYZ" not in line
    assert response.json()["clientSecret"] not in line


def test_a_bug_in_the_mock_still_answers_in_the_contract_shape(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from mock_server.mock import _responses

    def broken(self: object, request: object) -> dict[str, str]:
        raise RuntimeError("boom")

    app = create_app()  # the plan is proven at start-up; the bug strikes afterwards
    monkeypatch.setattr(_responses.SuccessPlan, "body", broken)
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.INFO, logger="mock_server.access"):
        response = client.post("/api-keys", json={"name": "k"}, headers=JSON_HEADERS)
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "x-request-id" in response.headers
    assert_conforms(response)
    assert not any(r.exc_info for r in caplog.records)


def test_a_body_that_never_arrives_gets_400_after_the_timeout() -> None:
    import socket

    with serve(create_app(Settings(body_timeout_s=0.5))) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"POST /api-keys HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer t\r\n"
                b'Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{"name"'
            )
            started = time.perf_counter()
            reply = sock.recv(65536)
            waited = time.perf_counter() - started
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"x-request-id" in head.lower()
    assert b'"code":"body_timeout"' in body
    assert 0.3 < waited < 5


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_10_mb_body_gets_400_over_http(live_url: str, framing: str) -> None:
    big = b'{"name": "' + b"x" * 10_000_000 + b'"}'
    content: bytes | Iterator[bytes] = big
    if framing == "chunked":
        content = (big[i : i + 65_536] for i in range(0, len(big), 65_536))
    with httpx.Client(base_url=live_url, timeout=30) as client:
        response = client.post("/api-keys", content=content, headers=JSON_HEADERS)
        assert response.status_code == 400
        assert response.json()["code"] == "body_too_large"
        # The connection, or a fresh one, still serves the next request.
        assert client.post("/api-keys", json={"name": "k"}, headers=JSON_HEADERS).status_code == 201
