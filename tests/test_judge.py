"""The shared judge, fed recorded exchanges directly (as a replay of HAR traffic will be):
nothing is sent, and the report it keeps is the one the harness and the proxy write."""

from __future__ import annotations

import json

from apikeys_contract import judge_body, load_contract
from apikeys_contract.checks import Credential, Received, Rules, Sent
from apikeys_contract.judge import NO_RESPONSE, judge_exchange, no_response
from apikeys_contract.ledger import MASK, Ledger, described, example_of
from apikeys_contract.report import Example, check_summaries, json_report, junit_xml

CONTRACT = load_contract()
TOKEN = "recorded-token-0123456789"
SECRET = "sk_live_0123456789abcdef"
JSON = "application/json"


def sent(body: bytes, credential: Credential | None = Credential.VALID) -> Sent:
    return Sent(judge_body(CONTRACT, body, JSON), credential, (TOKEN,), body.decode())


def received(status: int, document: object, request_id: str) -> Received:
    headers = (("content-type", JSON), ("x-request-id", request_id))
    return Received(status, headers, json.dumps(document).encode())


def replay(pairs: list[tuple[Sent, Received]], *, strict: bool = False) -> Ledger:
    """What a replay does: every recorded pair through the one judge, into one ledger."""
    rules = Rules(CONTRACT)
    ledger = Ledger(check_summaries(described()), {TOKEN})
    for number, (request, response) in enumerate(pairs, 1):
        ledger.exchanges = number
        ledger.learn(CONTRACT.secrets_in(response.status, response.body))
        judgement = judge_exchange(rules, request, response, strict=strict)

        def example(request: Sent = request, response: Received = response) -> Example:
            return example_of(f"recorded {request.label}", "curl ...", b"", response.status)

        ledger.take(judgement, example, label=request.label)
    return ledger


def created(name: str, request_id: str, secret: str = SECRET) -> Received:
    document = {"name": name, "clientId": f"id-{request_id}-{name}", "clientSecret": secret}
    return received(201, document, request_id)


def test_recorded_exchanges_are_judged_without_sending_anything() -> None:
    ledger = replay(
        [
            (sent(b'{"name":"a"}'), created("a", "r1")),
            (sent(b'{"name":"b"}'), created("b", "r1")),  # the request id again
            (sent(b'{"name":"c"}'), created("c", "r3")),  # the secret again
            (sent(b'{"name":""}'), created("d", "r4", "other-secret-value")),  # invalid, 201
        ]
    )
    report = ledger.report("recorded.har", profile="replay")
    assert [(f.check, f.summary) for f in report.findings] == [
        ("headers", "X-Request-Id repeated"),
        ("success_shape", "clientSecret repeated"),
        ("rejection", "/name under minLength answered 201"),
    ]
    assert report.summary("headers").failed == 1
    assert report.summary("headers").passed == 3
    assert report.requests == 4
    written = json_report(report) + junit_xml(report)
    assert SECRET not in written  # a secret a response carried is masked wherever shown
    assert MASK in written
    assert TOKEN not in written


def test_a_violation_keeps_its_first_example_and_counts_the_rest() -> None:
    repeated = (sent(b'{"name":"x"}'), created("x", "same"))
    report = replay([repeated, repeated, repeated]).report("r")
    [finding] = [f for f in report.findings if f.check == "headers"]
    assert finding.occurrences == 2
    assert finding.example.kind == 'recorded {"name":"x"}'


def test_lenient_notes_become_findings_under_strict() -> None:
    bom = b'\xef\xbb\xbf{"name":"a"}'
    pair = (Sent(judge_body(CONTRACT, bom, JSON), Credential.VALID, (), "bom"), created("a", "1"))
    assert [n.summary for n in replay([pair]).report("r").notes] == [
        "lenient: accepts a byte order mark before the JSON text"
    ]
    [finding] = replay([pair], strict=True).report("r").findings
    assert finding.summary == "strict: accepts a byte order mark before the JSON text"


def test_one_wording_for_no_response() -> None:
    assert no_response("timed out", "an answer").summary == NO_RESPONSE == "no HTTP response"


def test_secrets_in_a_success_body_come_from_the_contract() -> None:
    body = json.dumps({"name": "n", "clientId": "c", "clientSecret": SECRET}).encode()
    assert CONTRACT.secrets_in(201, body) == (SECRET,)
    assert CONTRACT.secrets_in(400, body) == ()
    short = json.dumps({"clientSecret": "short"}).encode()
    assert CONTRACT.secrets_in(201, short) == ()  # under the shared minimum length
    duplicated = b'{"clientSecret":"first-secret-1","clientSecret":"last-secret-22"}'
    assert set(CONTRACT.secrets_in(201, duplicated)) == {"first-secret-1", "last-secret-22"}
