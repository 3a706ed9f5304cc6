"""The request journal in mock mode: what it keeps, what it never keeps, and its JSON API."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Message

from apikeys_contract import Contract, load_contract
from mock_server import Settings, create_app
from mock_server.common._errors import PreparedResponse, to_json
from mock_server.common._turns import TurnBatch
from mock_server.journal._journal import Journal, Redactor
from mock_server.journal._recorder import Recording

from .conftest import ListSink
from .servers import serve

VARIANTS = Path(__file__).parent / "variants"
TOKEN = "journal-token-1234"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


@pytest.fixture(params=["asgi", "http"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """A fresh mock (its own journal) in-process and over real HTTP."""
    app = create_app(Settings())
    if request.param == "asgi":
        with TestClient(app, base_url="http://mock.test") as test_client:
            yield test_client
    else:
        with serve(app) as url, httpx.Client(base_url=url, timeout=10) as http_client:
            yield http_client


def journal(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    response = client.get("/__mock/requests", params=params)
    assert response.status_code == 200, response.text
    requests: list[dict[str, Any]] = response.json()["requests"]
    return requests


def test_an_exchange_is_recorded_without_token_or_secret(client: httpx.Client) -> None:
    created = client.post("/api-keys", json={"name": "ci"}, headers=HEADERS)
    assert created.status_code == 201
    [entry] = journal(client)
    assert entry["method"] == "POST"
    assert entry["path"] == "/api-keys"
    assert entry["status"] == 201
    assert entry["verdict"] == "ok"
    assert entry["violations"] == []
    assert entry["rule"] is None
    assert entry["request_id"] == created.headers["x-request-id"]
    assert entry["duration_ms"] >= 0
    assert entry["time"].endswith("Z")
    assert entry["request"]["body"] == {"name": "ci"}
    assert entry["response"]["body"]["name"] == "ci"
    assert entry["response"]["body"]["clientId"] == created.json()["clientId"]
    assert entry["response"]["body"]["clientSecret"] == "[redacted]"
    assert ["authorization", "[redacted]"] in entry["request"]["headers"]
    text = client.get("/__mock/requests").text
    assert TOKEN not in text
    assert created.json()["clientSecret"] not in text


def test_a_rejected_request_names_the_rule_it_broke(client: httpx.Client) -> None:
    client.post("/api-keys", json={"name": "   "}, headers=HEADERS)
    [entry] = journal(client)
    assert entry["status"] == 400
    assert entry["verdict"] == "rejected"
    rule = entry["rule"]
    assert rule["summary"] == "/name failing its pattern"
    assert rule["problems"][0]["pointer"] == "/name"
    assert rule["problems"][0]["keyword"] == "pattern"
    assert "schema at #/paths/" in rule["contract"]


def test_a_refused_credential_names_the_security_rule(client: httpx.Client) -> None:
    client.post("/api-keys", json={"name": "x"})
    [entry] = journal(client)
    assert entry["status"] == 401
    assert entry["rule"]["contract"] == "security: a bearer token in the Authorization header"
    assert "Missing bearer token" in entry["rule"]["summary"]


CONTRACT = load_contract(None)
# A body the mock refuses on its own (malformed JSON): a Prefer header must decide first.
DUPLICATE = b'{"name":"a","name":"b"}'


def prefer_values(contract: Contract) -> list[str]:
    """Every Prefer value the contract documents (each status, each named example, each
    pair), and one status and one example it does not."""
    values = [f"code={status}" for status in contract.statuses]
    for status in contract.statuses:
        for name in contract.responses[status].examples:
            values += [f"example={name}", f"code={status}, example={name}"]
    undocumented = next(s for s in range(100, 600) if s not in contract.statuses)
    return [*dict.fromkeys(values), f"code={undocumented}", "example=never-documented"]


@pytest.mark.parametrize("prefer", prefer_values(CONTRACT))
def test_a_prefer_header_is_the_rule_the_journal_names(client: httpx.Client, prefer: str) -> None:
    headers = {**HEADERS, "Prefer": prefer}
    answered = client.post("/api-keys", content=DUPLICATE, headers=headers)
    [entry] = journal(client)
    applied = answered.headers.get("preference-applied")
    assert entry["forced"] == applied
    assert entry["status"] == answered.status_code
    assert entry["request"]["raw"] == DUPLICATE.decode()  # read, and stored as sent
    rule = entry["rule"]
    if applied is None:  # refused: the contract documents no such response
        assert answered.json()["code"] == "invalid_prefer"
        assert rule["kind"] == "prefer"
        assert rule["summary"] == answered.json()["message"]
    elif answered.status_code < 400 or answered.status_code >= 500:
        assert entry["verdict"] == "ok"
        assert rule is None
    else:
        assert rule["kind"] == "forced"
        assert f"Prefer: {applied}" in rule["summary"]
        assert rule["problems"] == []
    if answered.status_code == CONTRACT.success_status:
        text = client.get("/__mock/requests").text
        assert answered.json()["clientSecret"] not in text
        assert TOKEN not in text


# Each rule the mock applies itself, a request that breaks it, and the code it answers.
REFUSALS = [
    ("credentials", {"Content-Type": "application/json"}, b'{"name":"a"}', "invalid_token"),
    ("credentials", {**HEADERS, "Authorization": "Bearer readonly-token"}, b'{"name":"a"}',
     "permission_denied"),
    ("credentials", {**HEADERS, "Authorization": "Bearer expired-token"}, b'{"name":"a"}',
     "invalid_token"),
    ("media type", {**HEADERS, "Content-Type": "text/plain"}, b'{"name":"a"}',
     "unsupported_media_type"),
    ("media type", {"Authorization": HEADERS["Authorization"]}, b'{"name":"a"}',
     "unsupported_media_type"),
    ("transfer", HEADERS, b'{"name":"' + b"a" * 200 + b'"}', "body_too_large"),
    ("json", HEADERS, b"", "malformed_json"),
    ("json", HEADERS, b'{"name":', "malformed_json"),
    ("json", HEADERS, DUPLICATE, "malformed_json"),
    ("json", HEADERS, b'{"name":"\xff"}', "malformed_json"),
    ("schema", HEADERS, b'{"name":"   "}', "invalid_request"),
    ("schema", HEADERS, b'{ "name" : 7 }', "invalid_request"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "headers", "body", "code"), REFUSALS)
def test_the_journal_names_the_rule_that_refused(
    kind: str, headers: dict[str, str], body: bytes, code: str
) -> None:
    with TestClient(create_app(Settings(max_body_bytes=100))) as client:
        answered = client.post("/api-keys", content=body, headers=headers)
        [entry] = journal(client)
    said = answered.json()
    assert said["code"] == code
    rule = entry["rule"]
    assert rule["kind"] == kind, rule
    assert rule["problems"] == said.get("problems", [])
    if kind not in ("json", "schema"):  # a body's rule is summed up by the contract's judge
        assert rule["summary"] == said["message"]
    assert entry["forced"] is None


def call_with_a_cut_body(app: ASGIApp, last: Message | None) -> list[Message]:
    """Call ``app`` in-process with part of a body, then ``last`` (None: nothing more
    ever comes); what it sent."""
    sent: list[Message] = []
    messages: list[Message | None] = [
        {"type": "http.request", "body": b'{"name": "sl', "more_body": True},
        last,
    ]

    async def receive() -> Message:
        message = messages.pop(0) if messages else None
        if message is None:
            await asyncio.sleep(60)  # the rest never comes
        return message or {}

    async def send(message: Message) -> None:
        sent.append(message)

    async def call() -> None:
        headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
        scope = {"type": "http", "method": "POST", "path": "/api-keys", "headers": headers,
                 "query_string": b"", "root_path": "", "http_version": "1.1"}  # fmt: skip
        await asyncio.wait_for(app(scope, receive, send), 10)

    asyncio.run(call())
    return sent


def test_a_body_too_slow_to_arrive_is_a_transfer_refusal() -> None:
    app = create_app(Settings(body_timeout_s=0.2), request_log=None)
    sent = call_with_a_cut_body(app, None)
    said = json.loads(sent[-1]["body"])
    assert said["code"] == "body_timeout"
    with TestClient(app) as client:
        [entry] = journal(client)
    assert entry["rule"]["kind"] == "transfer"
    assert entry["rule"]["summary"] == said["message"]
    assert entry["request"]["raw"] is None  # never read whole: nothing stored


def test_a_client_that_goes_away_mid_body_is_journalled_as_a_disconnect() -> None:
    sink = ListSink()
    app = create_app(Settings(), request_log=sink)
    sent = call_with_a_cut_body(app, {"type": "http.disconnect"})
    assert sent == []  # no one to answer
    with TestClient(app) as client:
        [entry] = journal(client)
        assert [e["id"] for e in journal(client, verdict="disconnected")] == [entry["id"]]
    assert_a_disconnect(entry, sink)


def assert_a_disconnect(entry: dict[str, Any], sink: ListSink) -> None:
    assert entry["status"] is None
    assert entry["verdict"] == "disconnected"
    assert entry["rule"] is None
    assert entry["request"]["raw"] is None  # never read whole: nothing stored
    assert entry["response"] == {
        "headers": [], "body": None, "raw": None, "encoding": None, "truncated": False,
    }  # fmt: skip
    [line] = [line for line in sink.records() if line["path"] == "/api-keys"]
    assert line["status"] is None  # not the 400 no one received
    assert line["error"] == "ClientDisconnected"


def test_a_client_that_closes_its_socket_mid_body_is_journalled_as_a_disconnect() -> None:
    sink = ListSink()
    app = create_app(Settings(), request_log=sink)
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(
                b"POST /api-keys HTTP/1.1\r\nHost: mock\r\n"
                + f"Authorization: Bearer {TOKEN}\r\n".encode()
                + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                + b'{"name": "cut'
            )
        deadline = time.monotonic() + 10
        while not (found := journal(client, method="POST")) and time.monotonic() < deadline:
            time.sleep(0.02)
        [entry] = found
        inspector = client.get("/__mock/assets/inspector.js").text
    assert_a_disconnect(entry, sink)
    assert "the client went away" in inspector  # the inspector says so too


def test_a_body_is_stored_as_it_was_sent(client: httpx.Client) -> None:
    sent = [DUPLICATE, b'{"name":"\xffa"}', b'{ "name" : "spaced" }', b"\xef\xbb\xbf{}"]
    for body in sent:
        client.post("/api-keys", content=body, headers=HEADERS)
    client.post("/api-keys", content=DUPLICATE, headers={"Content-Type": "application/json"})
    unread, bom, spaced, invalid, duplicate = journal(client)
    assert duplicate["request"]["raw"] == DUPLICATE.decode()
    assert duplicate["request"]["body"] == DUPLICATE.decode()  # not JSON: its text
    assert duplicate["request"]["encoding"] == "utf-8"
    assert invalid["request"]["encoding"] == "base64"
    assert base64.b64decode(invalid["request"]["raw"]) == sent[1]
    assert invalid["request"]["body"] is None
    assert spaced["request"]["raw"] == sent[2].decode()
    assert spaced["request"]["body"] == {"name": "spaced"}
    assert bom["request"]["raw"] == sent[3].decode()
    assert bom["request"]["body"] == sent[3].decode()  # a BOM: not strict JSON
    # Refused for its credentials before the body was read: none stored, and it says so.
    assert unread["status"] == 401
    assert unread["request"]["raw"] is None
    assert unread["request"]["encoding"] is None


def test_a_cut_body_stays_text_where_a_character_is_cut() -> None:
    body = b'{"name":"' + "é".encode() * 40_000 + b'"}'  # the cut falls inside an é
    with TestClient(create_app(Settings())) as client:
        client.post("/api-keys", content=body, headers=HEADERS)
        [entry] = journal(client)
    request = entry["request"]
    assert request["truncated"] is True
    assert request["encoding"] == "utf-8"
    assert request["raw"] == body[: 64 * 1024 - 1].decode()  # the last é left out whole


def test_newest_first_and_filters(client: httpx.Client) -> None:
    before = time.time()
    client.post("/api-keys", json={"name": "a"}, headers=HEADERS)
    client.post("/api-keys", json={}, headers=HEADERS)
    client.post("/api-keys", json={"name": "b"})
    client.get("/elsewhere")
    entries = journal(client)
    assert [e["status"] for e in entries] == [404, 401, 400, 201]
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    assert [e["status"] for e in journal(client, status="400,401")] == [401, 400]
    assert [e["status"] for e in journal(client, status="4xx")] == [404, 401, 400]
    assert [e["status"] for e in journal(client, verdict="ok")] == [201]
    assert [e["status"] for e in journal(client, method="post", path="/api-keys")] == [
        401, 400, 201,
    ]  # fmt: skip
    assert len(journal(client, since=str(before - 1))) == 4
    assert journal(client, until="2000-01-01T00:00:00Z") == []
    assert journal(client, since="2999-01-01T00:00:00+00:00") == []
    assert len(journal(client, limit="2")) == 2
    newest = entries[0]["id"]
    assert journal(client, after=str(newest)) == []
    assert [e["id"] for e in journal(client, after=str(newest - 1))] == [newest]


@pytest.mark.parametrize(
    "query",
    ["verdict=fine", "status=abc", "status=4x", "since=yesterday", "limit=-1", "since=nan", "x=1"],
)
def test_a_bad_filter_is_a_contract_shaped_400(client: httpx.Client, query: str) -> None:
    response = client.get("/__mock/requests?" + query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter"
    assert response.json()["message"]
    assert response.headers["x-request-id"]


def test_delete_clears_and_journal_reads_are_not_recorded(client: httpx.Client) -> None:
    client.post("/api-keys", json={"name": "a"}, headers=HEADERS)
    journal(client)
    assert client.delete("/__mock/requests").json() == {"cleared": 1}
    assert journal(client) == []


def test_the_journal_is_bounded() -> None:
    with TestClient(create_app(Settings(journal_size=3))) as client:
        for name in "abcde":
            client.post("/api-keys", json={"name": name}, headers=HEADERS)
        body = client.get("/__mock/requests").json()
    assert body["size"] == 3
    assert [e["request"]["body"]["name"] for e in body["requests"]] == ["e", "d", "c"]


def test_large_bodies_are_cut() -> None:
    with TestClient(create_app(Settings())) as client:
        client.post("/api-keys", content=b'{"name": "' + b"a" * 100_000 + b'"}', headers=HEADERS)
        [entry] = client.get("/__mock/requests").json()["requests"]
    assert entry["status"] == 400
    assert entry["request"]["truncated"] is True
    assert len(entry["request"]["body"]) == 64 * 1024


def test_no_journal_turns_the_prefix_off() -> None:
    with TestClient(create_app(Settings(journal=False))) as client:
        client.post("/api-keys", json={"name": "a"}, headers=HEADERS)
        assert client.get("/__mock/requests").status_code == 404
        assert client.get("/__mock/").status_code == 404


def moved(contract: Contract, path: str) -> Contract:
    document = copy.deepcopy(dict(contract.document))
    document["paths"] = {path: document["paths"][contract.path]}
    return Contract.from_document(document, "moved")


def test_the_prefix_never_shadows_the_contract() -> None:
    contract = moved(load_contract(), "/__mock/requests")
    with TestClient(create_app(Settings(), contract=contract)) as client:
        created = client.post("/__mock/requests", json={"name": "a"}, headers=HEADERS)
        assert created.status_code == 201
        assert client.get("/__mock/requests").status_code == 405  # the operation's path
        assert client.get("/__mock/").status_code == 200  # the inspector still answers


@pytest.mark.parametrize(
    ("variant", "request_kwargs", "secret"),
    [
        ("api-key-query.yaml", {"params": {"api_key": "query-key-5678"}}, "query-key-5678"),
        (
            "api-key-cookie.yaml",
            {"headers": {"Cookie": "session=cookie-key-5678"}},
            "cookie-key-5678",
        ),
        ("api-key-header.yaml", None, None),
    ],
)
def test_credentials_where_the_contract_puts_them_are_never_stored(
    variant: str, request_kwargs: dict[str, Any] | None, secret: str | None
) -> None:
    contract = load_contract(VARIANTS / variant)
    if request_kwargs is None:  # the header the contract names
        [scheme] = contract.security.schemes
        secret = "header-key-5678"
        request_kwargs = {"headers": {scheme.field: secret}}
    assert secret is not None
    with TestClient(create_app(Settings(), contract=contract)) as client:
        answered = client.post("/api-keys", json={"name": "a"}, **request_kwargs)
        assert answered.status_code == 201
        text = client.get("/__mock/requests").text
    assert secret not in text
    assert "[redacted]" in text
    assert json.loads(text)["count"] == 1


def test_exchanges_are_stored_at_the_end_of_the_loop_turn_and_seen_by_any_read() -> None:
    contract = load_contract(None)
    journal_ = Journal(10)
    recording = Recording(journal_, Redactor(contract), (contract.path, contract.method))
    scope = {
        "method": "POST",
        "path": "/api-keys",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {TOKEN}".encode())],
    }

    # Outside an event loop there is nothing to batch with: stored at once.
    recording.keep(scope, time.perf_counter(), PreparedResponse(400, [], b"{}"))
    assert len(recording._noted) == 0

    async def in_a_loop() -> None:
        recording.keep(scope, time.perf_counter(), PreparedResponse(401, [], b"{}"))
        assert len(recording._noted) == 1  # held for this turn only
        assert [r.status for r in journal_.records()] == [401, 400]  # a read stores it first
        recording.keep(scope, time.perf_counter(), PreparedResponse(403, [], b"{}"))
        await asyncio.sleep(0)
        assert len(recording._noted) == 0  # the turn ended: nothing unredacted is left

    asyncio.run(in_a_loop())
    records = journal_.records()
    assert [r.status for r in records] == [403, 401, 400]
    assert [r.id for r in records] == [3, 2, 1]
    for record in records:
        assert TOKEN.encode() not in repr(record).encode()


def test_a_flush_from_another_thread_never_loses_an_item() -> None:
    drained: list[int] = []
    batch: TurnBatch[int] = TurnBatch(drained.extend)
    count = 20_000
    done = threading.Event()

    async def add_all() -> None:
        for i in range(count):
            batch.add(i)
            if i % 100 == 0:
                await asyncio.sleep(0)

    def add_then_say_done() -> None:
        asyncio.run(add_all())
        done.set()

    adder = threading.Thread(target=add_then_say_done)
    adder.start()
    while not done.is_set():
        batch.flush()  # a reader in this thread, as a test reading the journal would
    adder.join()
    batch.flush()
    assert sorted(drained) == list(range(count))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.sampled_from(["clientSecret", "k"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


# Loaded once: loading the contract inside the property took 9 of its 10 seconds.
REDACTOR = Redactor(CONTRACT)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.text(max_size=6) | st.just("k"), json_values, max_size=4),
    json_values,
    st.booleans(),
)
def test_a_success_body_is_stored_without_its_secret_whatever_it_holds(
    document: dict[str, object], secret: object, has_secret: bool
) -> None:
    # The shortcut (encoding a copy merged with the redacted value, without decoding the
    # body) must store exactly what re-encoding the document without the secret stores,
    # and must not add the property to a body that lacks it.
    redactor = REDACTOR
    if has_secret:  # (the drawn keys are too short to be the secret's)
        document = {**document, "clientSecret": secret}
    stored = redactor.response_document(201, document, to_json(document))
    if has_secret:
        assert stored == to_json({**document, "clientSecret": "[redacted]"})
    else:
        assert stored == to_json(document)


def test_an_upstream_body_is_stored_without_its_secret_however_it_escapes_it() -> None:
    # Proxy mode: the body is the upstream's bytes, not the mock's encoding of a document.
    # Its secret may be escaped while the same text stands plainly elsewhere.
    redactor = REDACTOR
    body = b'{"clientSecret": "a\\u0062c", "note": "abc"}'
    stored = json.loads(redactor.response_body(201, body))
    assert stored == {"clientSecret": "[redacted]", "note": "abc"}
