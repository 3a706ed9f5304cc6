"""The checks, the judge and the curl lines, on hand-made exchanges (no server), and the
promise that every judging function returns a verdict for any input."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apikeys_contract import (
    Answer,
    ecma_whitespace,
    judge_body,
    load_contract,
    read_json,
    regex_disagreements,
)
from apikeys_contract.checks import (
    CHECKS,
    CheckError,
    Credential,
    Memory,
    Received,
    Remark,
    Rules,
    Sent,
    Violation,
    run_check,
)
from conformance._curl import curl_command, mask
from conformance._fields import RequestShape
from conformance._model import Probe
from conformance._probes import make_probe
from conformance._transport import Tokens, Transport
from conformance.strategies import (
    invalid_body_probes,
    malformed_bodies,
    valid_body_probes,
)

from .servers import Recorder, serve

CONTRACT = load_contract()
SHAPE = RequestShape(CONTRACT)
JSON = CONTRACT.request_media_type
ID = CONTRACT.request_id_header
SECRET = "a-secret-token-123"


def rules() -> Rules:
    return Rules(CONTRACT, Memory())


def reply(status: int, body: object, **headers: str) -> Received:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    pairs = {"content-type": "application/json", ID.lower(): str(uuid.uuid4()), **headers}
    return Received(status, tuple((k.lower(), v) for k, v in pairs.items()), raw)


def sent(name: object, *, credential: Credential = Credential.VALID) -> Sent:
    verdict = judge_body(CONTRACT, json.dumps({"name": name}).encode(), JSON)
    return Sent(verdict, credential, (SECRET,), "probe")


def test_ecma_and_python_whitespace_are_derived_not_copied() -> None:
    assert "\ufeff" in ecma_whitespace()
    assert "\x85" not in ecma_whitespace()
    assert {"\x1c", "\x85", "\ufeff"} <= set(regex_disagreements())


@pytest.mark.parametrize(
    ("name", "answers"),
    [
        ("a", {Answer.SUCCESS}),
        ("a" * 100, {Answer.SUCCESS}),
        ("\U0001f511" * 100, {Answer.SUCCESS}),
        (" a ", {Answer.SUCCESS}),
        ("\x85", {Answer.SUCCESS}),  # Python's \s matches it, ECMA-262's does not
        ("\ufeff", {Answer.INVALID}),  # and the other way round
        ("", {Answer.INVALID}),
        ("a" * 101, {Answer.INVALID}),
        (None, {Answer.INVALID}),
        (1, {Answer.INVALID}),
        ("\ud800", {Answer.SUCCESS, Answer.INVALID}),  # not Unicode: RFC 8259 8.2
    ],
)
def test_the_judge_uses_the_contract(name: object, answers: set[Answer]) -> None:
    assert sent(name).verdict.answers == answers


@pytest.mark.parametrize(
    ("body", "content_type", "answers", "cause"),
    [
        (b'{"name": "a"}', "text/plain", {Answer.INVALID}, "another media type (text/plain)"),
        (b'{"name": "a"}', "Application/JSON; charset=utf-8", {Answer.SUCCESS}, "valid body"),
        (b'{"name": "a"}', None, {Answer.SUCCESS, Answer.INVALID}, "no Content-Type"),
        (b'{"name": NaN}', JSON, {Answer.INVALID}, "/name of the wrong type"),
        (b'{"name": "a", "n": NaN}', JSON, {Answer.SUCCESS, Answer.INVALID}, "NaN"),
        (b"\xef\xbb\xbf" + b'{"name": "a"}', JSON, {Answer.SUCCESS, Answer.INVALID}, "byte order"),
        ('{"name": "a"}'.encode("utf-16"), JSON, {Answer.SUCCESS, Answer.INVALID}, "UTF-16"),
        (b'{"name": "a", "name": "a"}', JSON, {Answer.SUCCESS, Answer.INVALID}, "duplicate"),
        (b'{"name": " ", "name": " "}', JSON, {Answer.INVALID}, "/name failing its pattern"),
        (b"[]", JSON, {Answer.INVALID}, "non-object body"),
        (b'{"": null, "name": "0"}', JSON, {Answer.SUCCESS}, "valid body"),
        (b"{}", JSON, {Answer.INVALID}, "missing /name"),
        (b'{"name": "' + b"a" * 101 + b'"}', JSON, {Answer.INVALID}, "/name over maxLength"),
        (b"[" * 100_000 + b"]" * 100_000, JSON, {Answer.INVALID}, "nesting"),
    ],
)
def test_the_judge_on_bodies(
    body: bytes, content_type: str | None, answers: set[Answer], cause: str
) -> None:
    verdict = judge_body(CONTRACT, body, content_type)
    assert verdict.answers == answers
    assert cause in verdict.cause or cause in (verdict.leniency or ""), verdict


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(valid_body_probes(shape=SHAPE))
def test_valid_bodies_are_valid(probe: Probe) -> None:
    assert probe.verdict.answers == {Answer.SUCCESS}, probe


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(invalid_body_probes(shape=SHAPE))
def test_invalid_bodies_are_invalid(probe: Probe) -> None:
    assert Answer.INVALID in probe.verdict.answers, probe


@settings(max_examples=50, deadline=None)
@given(malformed_bodies(SHAPE))
def test_malformed_bodies_are_never_accepted_outright(body: bytes) -> None:
    assert judge_body(CONTRACT, body, JSON).answers != {Answer.SUCCESS}


def test_strategies_reject_bad_arguments() -> None:
    with pytest.raises(TypeError, match="RequestShape"):
        valid_body_probes(shape="spec")  # type: ignore[arg-type]


# -- a judge never throws ----------------------------------------------------------


def _nested(depth: int) -> bytes:
    return b'{"name": "a", "x": ' + b"[" * depth + b"]" * depth + b"}"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b'{"name": "\\ud800", "clientId": "\\udfff", "\\ud800": 1}',
            b'{"\\ud800": "x", "name": "a"}',
            _nested(100_000),
            b"[" * 5000 + b"]" * 5000,
            b'{"name": "a", "clientSecret": "' + b"x" * 2_000_000 + b'"}',
            b"\xff\xfe\x00\x00",
            b"\xef\xbb\xbf",
            b'{"name": ' + b"9" * 10_000 + b"}",
        ]
    ),
)
header_names = st.sampled_from([ID.lower(), "content-type", "www-authenticate", "retry-after", "x"])
headers_ = st.lists(st.tuples(header_names, st.text(max_size=40)), max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    request=bodies,
    content_type=st.sampled_from([JSON, None, "text/plain", "application/json; charset=x"]),
    credential=st.sampled_from([*Credential, None]),
    status=st.integers(100, 599),
    response_headers=headers_,
    response=bodies,
    truncated=st.booleans(),
)
def test_every_check_returns_a_verdict_for_any_exchange(
    request: bytes,
    content_type: str | None,
    credential: Credential | None,
    status: int,
    response_headers: list[tuple[str, str]],
    response: bytes,
    truncated: bool,
) -> None:
    verdict = judge_body(CONTRACT, request, content_type)
    read_json(request)
    rules_ = rules()
    for _ in range(2):  # the second time, the run's memory is not empty
        got = Received(status, tuple(response_headers), response, truncated)
        for name in CHECKS:
            result = run_check(name, rules_, Sent(verdict, credential, (SECRET,)), got)
            assert not isinstance(result, CheckError), result
            assert result is None or all(isinstance(r, Violation | Remark) for r in result)


def test_a_check_that_raises_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise KeyError("boom")

    monkeypatch.setitem(CHECKS, "headers", (broken, "broken"))
    result = run_check("headers", rules(), sent("a"), reply(201, {}))
    assert isinstance(result, CheckError)
    assert "KeyError" in result.summary


# -- each check names its violation --------------------------------------------------


def test_a_conforming_exchange_passes_every_check() -> None:
    created = {"name": "ci key", "clientId": str(uuid.uuid4()), "clientSecret": "2"}
    found = {name: run_check(name, rules(), sent("ci key"), reply(201, created)) for name in CHECKS}
    # Judged and passed, except the two checks that do not apply to a 201 for a valid body.
    not_applying = {"rejection", "error_shape"}
    assert found == {name: None if name in not_applying else () for name in CHECKS}


@pytest.mark.parametrize(("label", "said"), [("probe", " (probe)"), ("valid body", ""), ("", "")])
def test_a_refused_valid_body_names_the_probe_only_when_that_says_more(
    label: str, said: str
) -> None:
    verdict = judge_body(CONTRACT, b'{"name": "a"}', JSON)
    found = run_check("acceptance", rules(), Sent(verdict, label=label), reply(400, {}))
    assert isinstance(found, tuple)
    violations = [v for v in found if isinstance(v, Violation)]
    assert violations == list(found)
    assert [v.received for v in violations] == [f"400 for a valid body{said}"]


@pytest.mark.parametrize(
    ("check", "request_", "received", "summary"),
    [
        ("status_conformance", sent(1), reply(500, {"message": "x"}), "server error 500"),
        ("status_conformance", sent(""), reply(422, {"message": "x"}), "undocumented status 422"),
        ("acceptance", sent("a b"), reply(400, {"message": "x"}), "valid body answered 400"),
        ("acceptance", sent("a b"), reply(201, {"name": "ab"}), "name not echoed unchanged"),
        ("rejection", sent(" "), reply(201, {}), "/name failing its pattern answered 201"),
        ("rejection", sent("a" * 101), reply(201, {}), "/name over maxLength answered 201"),
        (
            "error_shape",
            sent(""),
            reply(400, {"code": "x"}),
            "400 error body fails required at /message",
        ),
        (
            "error_shape",
            sent(""),
            reply(400, b"bad", **{"content-type": "text/plain"}),
            "400 error body with content type text/plain",
        ),
        (
            "success_shape",
            sent("a"),
            reply(201, {"name": "a"}),
            "success body fails required at /clientId",
        ),
        (
            "authentication",
            sent("a", credential=Credential.EMPTY),
            reply(201, {}),
            "empty credential answered 201",
        ),
        (
            "authentication",
            sent("a", credential=Credential.UNKNOWN),
            reply(403, {"message": "x"}),
            "never-issued token answered 403",
        ),
        (
            "authentication",
            sent("a"),
            reply(201, {}, echo=f"Bearer {SECRET}"),
            "token reflected in the response",
        ),
        ("headers", sent("a"), reply(201, {}, **{ID.lower(): ""}), f"{ID} violates its schema"),
    ],
)
def test_each_check_names_the_violation(
    check: str, request_: Sent, received: Received, summary: str
) -> None:
    result = run_check(check, rules(), request_, received)
    assert isinstance(result, tuple)
    violations = [r for r in result if isinstance(r, Violation)]
    assert [v.summary for v in violations] == [summary], result


def test_an_invalid_body_may_be_refused_before_or_after_the_credential() -> None:
    for status in (400, 401):
        result = run_check(
            "authentication", rules(), sent("", credential=Credential.NONE), reply(status, {})
        )
        assert result == ()
    result = run_check(
        "authentication", rules(), sent("a", credential=Credential.NONE), reply(400, {})
    )
    assert isinstance(result, tuple)
    assert result


def test_a_lenient_answer_is_a_note() -> None:
    verdict = judge_body(CONTRACT, b"\xef\xbb\xbf" + b'{"name": "a"}', JSON)
    result = run_check("rejection", rules(), Sent(verdict), reply(201, {"name": "a"}))
    assert isinstance(result, tuple)
    [note] = result
    assert isinstance(note, Remark)
    assert note.lenient
    assert note.summary == "lenient: accepts a byte order mark before the JSON text"


def test_a_cut_body_is_too_large_to_judge_never_not_json() -> None:
    cut = Received(400, ((ID.lower(), "x"), ("content-type", JSON)), b'{"message": "', True)
    result = run_check("error_shape", rules(), sent(""), cut)
    assert isinstance(result, tuple)
    [note] = result
    assert isinstance(note, Remark)
    assert "too large to judge" in note.summary


def test_formats_of_success_properties_are_checked() -> None:
    from apikeys_contract import Contract

    document = json.loads(json.dumps(CONTRACT.document))
    document["components"]["schemas"]["ApiKey"]["properties"]["clientId"]["format"] = "uuid"
    contract = Contract.from_document(document)
    result = run_check(
        "success_shape",
        Rules(contract),
        sent("a"),
        reply(201, {"name": "a", "clientId": "not-a-uuid", "clientSecret": "s"}),
    )
    assert isinstance(result, tuple)
    assert [v.summary for v in result] == ["success body fails format at /clientId"]


def test_uniqueness_is_checked_across_the_run() -> None:
    rules_ = rules()
    created = {"name": "a", "clientId": "1", "clientSecret": "2"}
    first = reply(201, created, **{ID: "same"})
    run_check("headers", rules_, sent("a"), first)
    run_check("success_shape", rules_, sent("a"), first)
    again = run_check("headers", rules_, sent("a"), first)
    assert isinstance(again, tuple)
    assert again[0].summary == f"{ID} repeated"
    fresh = run_check("success_shape", rules_, sent("a"), first)
    assert isinstance(fresh, tuple)
    assert [v.summary for v in fresh] == ["clientId repeated", "clientSecret repeated"]


def test_freshness_is_declared_by_the_contract() -> None:
    assert CONTRACT.fresh_fields == ("clientId", "clientSecret")
    assert CONTRACT.echoed_fields == ("name",)
    assert CONTRACT.secret_fields == ("clientSecret",)


# -- curl lines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "a b"}',
        '{"name": "\u00e9\ufeff\U0001f511"}'.encode(),
        b"\xff\x00'\"$`!%\\n\\",
        b'{"name": "' + b"a" * 5000 + b'"}',
        b"",
    ],
)
def test_curl_lines_reproduce_the_exact_request_in_a_posix_shell(body: bytes) -> None:
    app = Recorder()
    tokens = Tokens("curl-secret-token-1")
    probe = make_probe(CONTRACT, body, JSON, "k")
    with serve(app) as url:
        line = curl_command(Transport(url + "/api-keys", tokens, timeout=5), probe)
        assert "curl-secret-token-1" not in line
        assert "$'" not in line  # bash-only quoting
        subprocess.run(
            ["sh", "-c", line + " >/dev/null"],
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
        started = time.monotonic()
        for _ in range(5):
            transport.send(make_probe(CONTRACT, b"{}", JSON))
        took = time.monotonic() - started
        transport.close()
    assert took >= 4 / 20


class QueryRecorder(Recorder):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await super().__call__(scope, receive, send)
        body, headers = self.seen[-1]
        self.seen[-1] = (body, {**headers, "?": scope["query_string"].decode()})


@pytest.mark.parametrize("variant", ["api-key-query", "api-key-cookie", "basic", "combination"])
def test_curl_lines_present_credentials_the_way_the_contract_says(variant: str) -> None:
    from pathlib import Path

    from apikeys_contract.checks import Credential as Role

    contract = load_contract(Path(__file__).parent / "variants" / f"{variant}.yaml")
    app = QueryRecorder()
    tokens = Tokens("curl-secret-token-1")
    probe = make_probe(contract, b'{"name": "a"}', JSON, "k")
    with serve(app) as url:
        transport = Transport(url + "/api-keys", tokens, timeout=5, security=contract.security)
        transport.send(probe)
        line = curl_command(transport, probe)
        assert "curl-secret-token-1" not in line, line
        subprocess.run(
            ["sh", "-c", line + " >/dev/null"],
            check=True,
            timeout=30,
            env={"APIKEYS_CONFORMANCE_TOKEN": "curl-secret-token-1", "PATH": "/usr/bin:/bin"},
        )
        transport.close()
    sent_by_harness, sent_by_curl = app.seen[-2], app.seen[-1]
    assert sent_by_curl[0] == sent_by_harness[0]
    for name in ("authorization", "cookie", "x-api-key", "?"):
        assert sent_by_curl[1].get(name) == sent_by_harness[1].get(name), (name, line)
    assert Role.VALID is probe.credential


def test_a_request_breaking_a_format_is_left_open(tmp_path: object) -> None:
    from apikeys_contract import Contract

    document = json.loads(json.dumps(CONTRACT.document))
    schema = document["components"]["schemas"]["CreateApiKeyRequest"]
    schema["properties"]["owner"] = {"type": "string", "format": "email"}
    contract = Contract.from_document(document)
    shape = RequestShape(contract)
    verdict = judge_body(contract, b'{"name": "a", "owner": "nope"}', JSON)
    assert verdict.answers == {Answer.SUCCESS, Answer.INVALID}
    assert "annotation" in (verdict.leniency or "")
    good = judge_body(contract, json.dumps({"name": "a", "owner": "a@example.com"}).encode(), JSON)
    assert good.answers == {Answer.SUCCESS}
    assert shape.value_for(next(f for f in shape.fields if f.path == ("owner",))) is not None
