"""The validation proxy in front of the project's broken implementations and conforming ones.

Each broken target must show its defect in ``X-Contract-Violations``, in the journal and in
the run report, under the check the harness reports it with; a conforming target shows
none. The proxy runs in-process (with TestClient) and over real HTTP; upstreams always
run over real HTTP.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from apikeys_contract import load_contract
from mock_server import Settings, TokenPolicy
from mock_server.journal import BrokenRule
from mock_server.proxy._live_checks import HEADER_LIMIT, violations_header
from mock_server.proxy._proxy import ProxyApp
from mock_server.proxy._proxy_settings import ProxySettings
from mock_server.proxy._run_report import build_report

from .servers import Recorder, canned_upstream, serve
from .targets import (
    BROKEN,
    FORBIDDEN_TOKEN,
    ODD_BUT_CONFORMING,
    VALID_TOKEN,
    Defects,
    create_target,
)

CONTRACT = load_contract()
UNKNOWN_TOKEN = "never-issued-token-0001"
TOKENS = TokenPolicy(
    allow_unknown=False,
    allowed=frozenset({VALID_TOKEN}),
    forbidden=frozenset({FORBIDDEN_TOKEN}),
    expired=frozenset(),
)
BEARER = {"Authorization": f"Bearer {VALID_TOKEN}"}

# Traffic a frontend might send; together it shows every defect in BROKEN.
TRAFFIC: list[tuple[dict[str, str], Any]] = [
    (BEARER, {"name": "ci-key"}),
    (BEARER, {"name": "ci-key"}),
    (BEARER, {"name": "\U0001f511" * 100}),
    (BEARER, {"name": "a" * 100}),
    (BEARER, {"name": "a b"}),
    (BEARER, {"name": "\u001c"}),
    (BEARER, {"name": "x", "description": "extra"}),
    (BEARER, {"name": "   "}),
    (BEARER, {"name": " " + "a" * 100}),
    (BEARER, {"name": 5}),
    ({"Authorization": "Bearer"}, {"name": "x"}),
    ({"Authorization": f"Bearer {UNKNOWN_TOKEN}"}, {"name": "x"}),
    ({"Authorization": f"Bearer {FORBIDDEN_TOKEN}"}, {"name": "x"}),
]


@contextlib.contextmanager
def proxy_app(defects: Defects, **options: Any) -> Iterator[ProxyApp]:
    """The proxy (in-process) in front of ``defects``'s target (over real HTTP)."""
    with serve(create_target(defects)) as upstream:
        proxy = ProxySettings(upstream=upstream, **options)
        yield ProxyApp(Settings(), proxy, contract=CONTRACT)


def send_traffic(client: httpx.Client) -> list[httpx.Response]:
    return [client.post("/api-keys", json=body, headers=headers) for headers, body in TRAFFIC]


def header_checks(responses: list[httpx.Response]) -> set[str]:
    found = set()
    for response in responses:
        shown = response.headers.get("x-contract-violations")
        if shown is not None:
            found |= {item["check"] for item in json.loads(shown)}
    return found


def journal_checks(client: httpx.Client) -> set[str]:
    entries = client.get("/__mock/requests").json()["requests"]
    return {v["check"] for entry in entries for v in entry["violations"]}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_target_shows_its_defect(name: str) -> None:
    defects, check = BROKEN[name]
    with proxy_app(defects, tokens=TOKENS) as app, TestClient(app) as client:
        responses = send_traffic(client)
        assert check in header_checks(responses)
        assert check in journal_checks(client)
    report = build_report(app.session, "upstream", strict=False)
    assert check in {finding.check for finding in report.findings}
    assert not report.conforms
    assert not report.internal_errors


@pytest.mark.parametrize("name", sorted(ODD_BUT_CONFORMING))
def test_a_conforming_target_shows_no_violation(name: str) -> None:
    with proxy_app(ODD_BUT_CONFORMING[name], tokens=TOKENS) as app, TestClient(app) as client:
        responses = send_traffic(client)
        # Only the client's own mistakes (invalid bodies, an empty token) are reported.
        assert header_checks(responses) <= {"request"}
        assert journal_checks(client) <= {"request"}
        assert "x-contract-violations" not in responses[0].headers
    report = build_report(app.session, "upstream", strict=False)
    assert {finding.check for finding in report.findings} == {"request"}
    assert not report.internal_errors


def test_without_a_token_policy_the_role_of_a_token_is_unknown() -> None:
    # Any token accepted: invisible to a proxy that does not know which tokens exist.
    with proxy_app(Defects(only_known_tokens=False)) as app, TestClient(app) as client:
        response = client.post(
            "/api-keys", json={"name": "x"}, headers={"Authorization": f"Bearer {UNKNOWN_TOKEN}"}
        )
        assert response.status_code == 201
        assert "x-contract-violations" not in response.headers
        # A request without credentials is still known to call for 401.
        refused = client.post("/api-keys", json={"name": "x"})
        assert refused.status_code == 401
        assert "x-contract-violations" in refused.headers  # the client's own violation


def test_the_answer_is_the_upstream_answer_unchanged() -> None:
    with proxy_app(Defects()) as app, TestClient(app) as client:
        response = client.post("/api-keys", json={"name": "ci"}, headers=BEARER)
        direct = TestClient(create_target(Defects())).post(
            "/api-keys", json={"name": "ci"}, headers=BEARER
        )
    assert response.status_code == direct.status_code == 201
    assert response.json()["name"] == "ci"
    assert set(response.json()) == set(direct.json())
    assert response.headers["content-type"] == direct.headers["content-type"]
    assert len(response.headers.get_list("x-request-id")) == 1


def test_the_proxy_never_adds_a_request_id_of_its_own() -> None:
    with proxy_app(Defects(request_id="missing")) as app, TestClient(app) as client:
        response = client.post("/api-keys", json={"name": "ci"}, headers=BEARER)
    assert "x-request-id" not in response.headers
    assert json.loads(response.headers["x-contract-violations"])[0]["check"] == "headers"


def test_tokens_and_generated_secrets_are_never_stored_or_shown() -> None:
    defects = Defects(reflect_token=True, unknown_token_echoed=True, constant_secret=False)
    with proxy_app(defects, tokens=TOKENS) as app, TestClient(app) as client:
        created = client.post("/api-keys", json={"name": "ci"}, headers=BEARER)
        echoed = client.post(
            "/api-keys", json={"name": "x"}, headers={"Authorization": f"Bearer {UNKNOWN_TOKEN}"}
        )
        journal = client.get("/__mock/requests").text
    secret = created.json()["clientSecret"]
    assert UNKNOWN_TOKEN in echoed.text  # the upstream's answer is passed on unchanged
    for shown in (journal, created.headers["x-contract-violations"]):
        assert VALID_TOKEN not in shown
        assert UNKNOWN_TOKEN not in shown
        assert secret not in shown
    report = json.dumps([f.message for f in build_report(app.session, "u", strict=False).findings])
    assert VALID_TOKEN not in report
    assert UNKNOWN_TOKEN not in report


def test_a_repeated_secret_is_reported_without_showing_it() -> None:
    with proxy_app(Defects(constant_secret=True)) as app, TestClient(app) as client:
        client.post("/api-keys", json={"name": "a"}, headers=BEARER)
        second = client.post("/api-keys", json={"name": "b"}, headers=BEARER)
    assert "clientSecret repeated" in second.headers["x-contract-violations"]
    assert '"s"' not in second.headers["x-contract-violations"]


def test_strict_mode_replaces_a_broken_response_by_a_contract_shaped_500() -> None:
    validator = CONTRACT.response_validator(500)
    assert validator is not None
    broken = proxy_app(Defects(invalid_status=422), strict=True)
    with broken as app, TestClient(app) as client:
        response = client.post("/api-keys", json={"name": "   "}, headers=BEARER)
        fine = client.post("/api-keys", json={"name": "ok"}, headers=BEARER)
        journal = client.get("/__mock/requests").json()["requests"]
    assert response.status_code == 500
    body = response.json()
    assert validator.is_valid(body)
    assert body["code"] == "contract_violation"
    assert body["upstream_status"] == 422
    assert {v["check"] for v in body["violations"]} == {"status_conformance"}
    assert response.headers["x-request-id"]  # the upstream's
    assert "status_conformance" in response.headers["x-contract-violations"]
    assert fine.status_code == 201  # a conforming response passes unchanged
    assert [entry["status"] for entry in journal] == [201, 500]  # what the client got
    assert journal[1]["verdict"] == "violation"


def test_strict_mode_keeps_the_upstream_request_id() -> None:
    with proxy_app(Defects(success_status=200), strict=True) as app, TestClient(app) as client:
        response = client.post("/api-keys", json={"name": "ok"}, headers=BEARER)
    assert response.status_code == 500
    assert response.headers.get_list("x-request-id")[0] != ""
    assert len(response.headers.get_list("x-request-id")) == 1


@contextlib.contextmanager
def silent_upstream() -> Iterator[str]:
    """A port that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def garbage_upstream() -> contextlib.AbstractContextManager[str]:
    """An upstream that answers every connection with bytes that are not HTTP."""
    return canned_upstream(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")


def test_a_silent_upstream_gets_a_contract_shaped_500_within_the_timeout() -> None:
    with silent_upstream() as upstream:
        proxy = ProxySettings(upstream=upstream, timeout_s=0.2)
        app = ProxyApp(Settings(), proxy, contract=CONTRACT)
        with TestClient(app) as client:
            response = client.post("/api-keys", json={"name": "x"}, headers=BEARER)
    assert response.status_code == 500
    assert response.json()["code"] == "upstream_timeout"
    assert "0.2 s" in response.json()["message"]
    assert response.headers["x-request-id"]
    [item] = json.loads(response.headers["x-contract-violations"])
    assert item["check"] == "status_conformance"
    report = build_report(app.session, "u", strict=False)
    assert [f.summary for f in report.findings] == ["no HTTP response"]


def test_an_upstream_that_does_not_speak_http_gets_a_contract_shaped_500() -> None:
    with garbage_upstream() as upstream:
        app = ProxyApp(Settings(), ProxySettings(upstream=upstream), contract=CONTRACT)
        with TestClient(app) as client:
            response = client.post("/api-keys", json={"name": "x"}, headers=BEARER)
    assert response.status_code == 500
    assert response.json()["code"] == "upstream_failed"
    assert response.headers["x-request-id"]


def test_an_unreachable_upstream_gets_a_contract_shaped_500() -> None:
    with serve(create_target()) as url:
        pass  # the port is closed again
    app = ProxyApp(Settings(), ProxySettings(upstream=url, timeout_s=5), contract=CONTRACT)
    with TestClient(app) as client:
        response = client.post("/api-keys", json={"name": "x"}, headers=BEARER)
        elsewhere = client.get("/health")
    assert response.status_code == 500
    assert response.json()["code"] == "upstream_unreachable"
    assert CONTRACT.response_validator(500).is_valid(response.json())  # type: ignore[union-attr]
    assert elsewhere.status_code == 500
    assert "x-contract-violations" not in elsewhere.headers  # off the contract: not judged


def stream_app() -> Starlette:
    async def big(request: Request) -> Response:
        return JSONResponse({"data": "x" * 50_000})

    async def chunks(request: Request) -> Response:
        async def parts() -> Any:
            for n in range(50):
                yield b"%d," % n * 100

        return StreamingResponse(parts(), media_type="text/plain")

    async def sized(request: Request) -> Response:
        return Response(b"s" * 5_000, media_type="text/plain")

    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    return Starlette(
        routes=[
            Route("/big", big),
            Route("/chunks", chunks),
            Route("/sized", sized, methods=["GET", "HEAD"]),
            Route("/echo", echo, methods=["POST"]),
        ]
    )


@pytest.fixture(scope="module")
def streaming_proxy() -> Iterator[str]:
    """The proxy over real HTTP, in front of an upstream over real HTTP."""
    with serve(stream_app()) as upstream:
        settings = Settings(max_body_bytes=10_000)
        with serve(ProxyApp(settings, ProxySettings(upstream=upstream), contract=CONTRACT)) as url:
            yield url


def test_large_and_streamed_bodies_pass_through(streaming_proxy: str) -> None:
    with httpx.Client(base_url=streaming_proxy, timeout=10) as client:
        big = client.get("/big")
        chunked = client.get("/chunks")
        echoed = client.post("/echo", content=b"z" * 9_000)
    assert big.status_code == 200
    assert big.json() == {"data": "x" * 50_000}
    assert chunked.text == "".join(f"{n}," * 100 for n in range(50))
    assert echoed.content == b"z" * 9_000


def test_a_head_answer_keeps_the_upstreams_content_length(streaming_proxy: str) -> None:
    with httpx.Client(base_url=streaming_proxy, timeout=10) as client:
        head = client.head("/sized")
        whole = client.get("/sized")
    assert head.status_code == 200
    assert head.headers.get_list("content-length") == [str(len(whole.content))]


def test_a_request_body_over_the_limit_is_the_mocks_400(streaming_proxy: str) -> None:
    with httpx.Client(base_url=streaming_proxy, timeout=10) as client:
        response = client.post("/echo", content=b"z" * 10_001)
        journal = client.get("/__mock/requests", params={"path": "/big"}).json()
    assert response.status_code == 400
    assert response.json()["code"] == "body_too_large"
    assert response.headers["x-request-id"]
    assert journal["count"] <= 1


def test_the_proxy_over_real_http_against_a_broken_target() -> None:
    with serve(create_target(Defects(length_unit="utf-16"))) as upstream:
        app = ProxyApp(Settings(), ProxySettings(upstream=upstream), contract=CONTRACT)
        with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            responses = send_traffic(client)
            assert "acceptance" in header_checks(responses)
            entries = client.get("/__mock/requests", params={"verdict": "violation"}).json()
    assert entries["count"] >= 1
    assert all(e["verdict"] == "violation" for e in entries["requests"])


def test_the_violations_header_is_bounded_and_valid_json() -> None:
    many = [BrokenRule("headers", "m\u00e9ssage " * 200) for _ in range(50)]
    shown = violations_header(many)
    assert shown is not None
    assert len(shown) <= HEADER_LIMIT
    assert shown.isascii()
    items = json.loads(shown)
    assert items[-1]["check"] == "…"
    assert all(set(item) == {"check", "message"} for item in items)
    assert violations_header([]) is None
    one = violations_header([BrokenRule("request", "short")])
    assert json.loads(one or "") == [{"check": "request", "message": "short"}]


def closing_upstream() -> contextlib.AbstractContextManager[str]:
    """Answers one request per connection, then closes it without saying so beforehand
    (as an upstream whose keep-alive timeout just expired does)."""
    return canned_upstream(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"
    )


def test_a_kept_connection_the_upstream_closed_is_retried_on_a_new_one() -> None:
    with closing_upstream() as upstream:
        app = ProxyApp(Settings(), ProxySettings(upstream=upstream), contract=CONTRACT)
        with TestClient(app) as client:
            answers = [client.get("/status") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert {a.text for a in answers} == {"ok"}


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "' + "\U0001f600" * 60 + '"}',  # 252 UTF-8 bytes
        b'{"name": "\xff\xfe"}',  # not UTF-8
        b'{"name": "it\'s \x00 and\na %s \\\\ $HOME `x`"}',
        '{"name": "' + "\U0001f511" * 200 + '"}',  # over the inline limit
    ],
    ids=["emoji", "invalid-utf-8", "quote-nul-newline", "long"],
)
def test_the_report_reproduces_any_request_body(body: str | bytes) -> None:
    sent = body.encode() if isinstance(body, str) else body
    upstream = Recorder()
    with serve(upstream) as url:
        app = ProxyApp(Settings(), ProxySettings(upstream=url), contract=CONTRACT)
        with TestClient(app) as client:
            headers = {**BEARER, "Content-Type": "application/json"}
            assert client.post("/api-keys", content=sent, headers=headers).status_code == 204
        from conformance.reports import json_report

        report = json.loads(json_report(build_report(app.session, url, strict=False)))
        [example] = [f["example"] for f in report["findings"] if f["check"] == "status_conformance"]
        assert VALID_TOKEN not in json.dumps(report)
        subprocess.run(
            ["bash", "-c", example["curl"] + " >/dev/null"],
            check=True,
            timeout=30,
            env={"APIKEYS_PROXY_CREDENTIAL": VALID_TOKEN, "PATH": "/usr/bin:/bin"},
        )
    (by_proxy, proxied), (by_curl, replayed) = upstream.seen
    assert by_proxy == by_curl == sent
    for name in ("authorization", "content-type"):
        assert replayed[name] == proxied[name]
    if example["request_body_encoding"] == "utf-8":
        assert example["request_body"].encode() == sent
    else:
        assert example["request_body_encoding"] == "base64"
        assert base64.b64decode(example["request_body"]) == sent
    assert example["status"] == 204
    assert example["response_excerpt"].startswith("HTTP 204 ")


def test_the_messages_quote_the_request_without_saying_a_thing_twice() -> None:
    defects = Defects(rejects_extra_properties=True, whitespace_names_accepted=True)
    with proxy_app(defects, tokens=TOKENS) as app, TestClient(app) as client:
        extra = client.post("/api-keys", json={"name": "x", "description": "d"}, headers=BEARER)
        blank = client.post("/api-keys", json={"name": "   "}, headers=BEARER)
        empty = client.post("/api-keys", json={"name": "x"}, headers={"Authorization": "Bearer"})
    shown = {
        item["check"]: item["message"]
        for response in (extra, blank, empty)
        for item in json.loads(response.headers["x-contract-violations"])
    }
    assert shown["acceptance"] == (
        "valid body answered 400: received 400 for a valid body "
        """('{"name":"x","description":"d"}')"""
    )
    assert shown["rejection"] == (
        """/name failing its pattern answered 201: received 201 for '{"name":"   "}'"""
    )
    report = build_report(app.session, "u", strict=False)
    for finding in report.findings:
        assert finding.summary not in finding.received, finding.message
        assert finding.received not in finding.summary, finding.message
    refused = {f.summary: f for f in report.findings if f.check == "request"}
    blank_body = refused["a body the contract refuses: /name failing its pattern"]
    assert blank_body.received == """body '{"name":"   "}': "   " does not match "\\S+\""""
    assert refused["credentials the contract refuses: The bearer token is empty"].received == (
        "a request with a malformed credential"
    )
