"""Digits in headers are ASCII digits: every other character Python calls a digit is a 400.

``"²".isdigit()`` is true and ``int("²")`` raises, so a check written with ``isdigit``
alone turns ``Prefer: code=²`` into a 500. Every non-ASCII digit Python knows is sent, in
``Prefer`` and in ``Content-Length``, as UTF-8 and (where it can be) as Latin-1, the
encoding the mock decodes header bytes with.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from apikeys_contract import Contract
from mock_server import Settings, create_app
from mock_server.server._protocol import contract_protocol

from .conftest import JSON_HEADERS
from .servers import serve

NON_ASCII_DIGITS = [
    chr(c) for c in range(sys.maxunicode + 1) if chr(c).isdigit() and not chr(c).isascii()
]


def encodings(digit: str) -> Iterator[bytes]:
    yield digit.encode("utf-8")
    if ord(digit) < 256:
        yield digit.encode("latin-1")


RAW_DIGITS = [raw for digit in NON_ASCII_DIGITS for raw in encodings(digit)]


def test_python_knows_non_ascii_digits_that_int_refuses() -> None:
    assert len(NON_ASCII_DIGITS) > 700
    assert b"\xb2" in RAW_DIGITS  # "²" in Latin-1, the example
    with pytest.raises(ValueError, match="invalid literal"):
        int("²")


async def _call(app: Any, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[int, Any]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api-keys",
        "raw_path": b"/api-keys",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(content)


BASE = [(k.lower().encode(), v.encode()) for k, v in JSON_HEADERS.items()]


@pytest.mark.parametrize("header", [b"prefer", b"content-length"])
def test_in_process_every_non_ascii_digit_is_a_contract_answer(header: bytes) -> None:
    app = create_app(Settings())
    body = b'{"name": "x"}'

    async def run_all() -> list[tuple[bytes, int, Any]]:
        results = []
        for raw in RAW_DIGITS:
            value = b"code=" + raw if header == b"prefer" else raw
            status, answer = await _call(app, [*BASE, (header, value)], body)
            results.append((raw, status, answer))
        return results

    for raw, status, answer in asyncio.run(run_all()):
        if header == b"prefer":
            # An undocumented status asked for: the contract's 400, listing the documented ones.
            assert (status, answer["code"]) == (400, "invalid_prefer"), raw
        else:
            # Not a length the mock can read: it reads the body that came instead.
            assert status == 201, (raw, answer)


def test_over_http_prefer_with_every_non_ascii_digit(live_url: str) -> None:
    with httpx.Client(base_url=live_url, timeout=10) as client:
        for raw in RAW_DIGITS:
            headers = {k.encode(): v.encode() for k, v in JSON_HEADERS.items()}
            headers[b"Prefer"] = b"code=" + raw
            response = client.post("/api-keys", headers=headers, content=b'{"name": "x"}')
            assert response.status_code == 400, raw
            assert response.json()["code"] == "invalid_prefer"
            assert response.headers["x-request-id"]


def test_over_http_content_length_with_every_non_ascii_digit(contract: Contract) -> None:
    # The HTTP parser refuses such a Content-Length before the app sees it: still a 400 in
    # the contract's shape, with a request id, from the mock's own protocol class.
    protocol = contract_protocol(contract.request_id_header)
    with serve(create_app(Settings()), http=protocol) as url:  # type: ignore[arg-type]
        for raw in RAW_DIGITS:
            assert_raw_400(url, raw)


def assert_raw_400(url: str, raw: bytes) -> None:
    address = urlsplit(url)
    assert address.hostname is not None
    assert address.port is not None
    request = (
        b"POST /api-keys HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer t\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + raw + b"\r\n\r\n{}"
    )
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), (raw, head)
    assert b"x-request-id: " in head.lower()
    assert json.loads(body)["message"]
