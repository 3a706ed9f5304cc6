"""The checks, the judge and the curl lines, on hand-made exchanges (no server)."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest
from hypothesis import given, settings

from apikeys_contract import load_contract
from conformance import checks
from conformance._curl import curl_command, mask
from conformance._judge import ecma_whitespace, judge, regex_disagreements
from conformance._model import Credential, Exchange, Outcome, Probe, Reply
from conformance._spec import SpecView
from conformance._transport import Tokens, Transport
from conformance.strategies import invalid_names, malformed_bodies, valid_names

from .servers import serve

VIEW = SpecView(load_contract())
JSON = VIEW.contract.request_media_type
ID = VIEW.contract.request_id_header


def context() -> checks.CheckContext:
    return checks.CheckContext(VIEW, ("a-secret-token-123",))


def reply(status: int, body: object, **headers: str) -> Reply:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    pairs = {"content-type": "application/json", ID.lower(): str(uuid.uuid4()), **headers}
    return Reply(status, tuple((k.lower(), v) for k, v in pairs.items()), raw)


def probe(name: object, *, credential: Credential = Credential.VALID) -> Probe:
    body = json.dumps({"name": name}).encode()
    verdict = judge(VIEW, body, JSON)
    return Probe(verdict.kind, body, JSON, credential, verdict.expected, verdict.name)


def test_ecma_and_python_whitespace_are_derived_not_copied() -> None:
    assert "\ufeff" in ecma_whitespace()
    assert "\x85" not in ecma_whitespace()
    assert {"\x1c", "\x85", "\ufeff"} <= set(regex_disagreements())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a", Outcome.ACCEPT),
        ("a" * 100, Outcome.ACCEPT),
        ("\U0001f511" * 100, Outcome.ACCEPT),
        (" a ", Outcome.ACCEPT),
        ("\x85", Outcome.ACCEPT),  # Python's \s matches it, ECMA-262's does not
        ("\ufeff", Outcome.REJECT),  # and the other way round
        ("", Outcome.REJECT),
        ("a" * 101, Outcome.REJECT),
        (None, Outcome.REJECT),
        (1, Outcome.REJECT),
    ],
)
def test_the_judge_uses_the_contract(name: object, expected: Outcome) -> None:
    assert probe(name).expected is expected


def test_the_judge_on_bodies() -> None:
    assert judge(VIEW, b'{"name": "\\ud800"}', JSON).expected is Outcome.ACCEPT_OR_REJECT
    assert judge(VIEW, b'{"name": "a"}', "text/plain").expected is Outcome.REJECT
    assert judge(VIEW, b'{"name": "a"}', "Application/JSON; charset=utf-8").expected is (
        Outcome.ACCEPT
    )
    assert judge(VIEW, b'{"name": NaN}', JSON).kind == "malformed JSON"
    assert judge(VIEW, b"[]", JSON).kind == "non-object body"


@settings(max_examples=50, deadline=None)
@given(valid_names(view=VIEW))
def test_valid_names_are_valid(name: str) -> None:
    assert probe(name).expected is Outcome.ACCEPT


@settings(max_examples=50, deadline=None)
@given(invalid_names(view=VIEW))
def test_invalid_names_are_invalid(name: object) -> None:
    assert probe(name).expected is Outcome.REJECT


@settings(max_examples=50, deadline=None)
@given(malformed_bodies(view=VIEW))
def test_malformed_bodies_are_never_accepted_outright(body: bytes) -> None:
    assert judge(VIEW, body, JSON).expected is not Outcome.ACCEPT


def test_strategies_reject_bad_arguments() -> None:
    with pytest.raises(TypeError, match="SpecView"):
        valid_names(view="spec")  # type: ignore[arg-type]


def test_a_conforming_exchange_passes_every_check() -> None:
    ctx = context()
    sent = probe("ci key")
    created = {"name": "ci key", "clientId": "1", "clientSecret": "2"}
    for check, _ in checks.CHECKS.values():
        assert check(ctx, Exchange(sent, reply(201, created))) in (True, None)


@pytest.mark.parametrize(
    ("check", "sent", "received", "summary"),
    [
        (checks.status_conformance, probe(1), reply(500, {"message": "x"}), "server error 500"),
        (checks.status_conformance, probe(""), reply(422, {"message": "x"}), "undocumented 422"),
        (checks.name_acceptance, probe("a b"), reply(400, {"message": "x"}), "inner whitespace"),
        (checks.name_rejection, probe(" "), reply(201, {}), "whitespace-only name answered 201"),
        (checks.error_shape, probe(""), reply(400, {"code": "x"}), "Error/required"),
        (
            checks.error_shape,
            probe(""),
            reply(400, b"bad", **{"content-type": "text/plain"}),
            "content type text/plain",
        ),
        (checks.success_shape, probe("a"), reply(201, {"name": "a"}), "ApiKey/required"),
        (
            checks.authentication,
            probe("a", credential=Credential.EMPTY),
            reply(201, {}),
            "empty bearer token answered 201",
        ),
        (
            checks.authentication,
            probe("a"),
            reply(201, {}, echo="Bearer a-secret-token-123"),
            "token reflected",
        ),
        (checks.headers, probe("a"), reply(201, {}, **{ID.lower(): ""}), "violates its schema"),
    ],
)
def test_each_check_names_the_violation(
    check: checks.Check, sent: Probe, received: Reply, summary: str
) -> None:
    with pytest.raises(checks.ContractViolation) as raised:
        check(context(), Exchange(sent, received))
    assert all(word in str(raised.value) for word in summary.split()), str(raised.value)
    assert "the contract documents" in str(raised.value)


def test_uniqueness_is_checked_across_the_run() -> None:
    ctx = context()
    created = {"name": "a", "clientId": "1", "clientSecret": "2"}
    first = reply(201, created, **{ID: "same"})
    checks.headers(ctx, Exchange(probe("a"), first))
    checks.success_shape(ctx, Exchange(probe("a"), first))
    with pytest.raises(checks.ContractViolation, match="repeated"):
        checks.headers(ctx, Exchange(probe("a"), first))
    with pytest.raises(checks.ContractViolation, match="clientId repeated"):
        checks.success_shape(ctx, Exchange(probe("a"), first))


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[bytes, dict[str, str]]] = []

    async def __call__(self, scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.seen.append((body, headers))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "a b"}',
        '{"name": "\u00e9\ufeff\U0001f511"}'.encode(),
        b"\xff\x00'\"$`!",
        b'{"name": "' + b"a" * 5000 + b'"}',
        b"",
    ],
)
def test_curl_lines_reproduce_the_exact_request(body: bytes) -> None:
    app = Recorder()
    tokens = Tokens("curl-secret-token-1")
    sent = Probe("k", body, JSON)
    with serve(app) as url:
        line = curl_command(Transport(url + "/api-keys", tokens, timeout=5), sent)
        assert "curl-secret-token-1" not in line
        subprocess.run(
            ["bash", "-c", line + " >/dev/null"],
            check=True,
            timeout=30,
            env={"APIKEYS_CONFORMANCE_TOKEN": "curl-secret-token-1", "PATH": "/usr/bin:/bin"},
        )
    received, headers = app.seen[-1]
    assert received == body
    assert headers["authorization"] == "Bearer curl-secret-token-1"
    assert headers["content-type"] == JSON


def test_mask_replaces_every_token() -> None:
    tokens = Tokens("tok-valid-1", "tok-forbidden-2", "tok-unknown-3")
    text = mask("a tok-valid-1 b tok-forbidden-2 c tok-unknown-3", tokens)
    assert "tok-" not in text
    assert "tok-valid-1" not in repr(tokens)


def test_rate_limit_spaces_requests() -> None:
    app = Recorder()
    with serve(app) as url:
        transport = Transport(url, Tokens("t"), timeout=5, rate_limit=20)
        import time

        started = time.monotonic()
        for _ in range(5):
            transport.send(Probe("k", b"{}", JSON))
        took = time.monotonic() - started
        transport.close()
    assert took >= 4 / 20
