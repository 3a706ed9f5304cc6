"""The mock's HTTP protocol: a response leaves in one write, and HTTP keeps working."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import socket
from collections.abc import Callable
from typing import Any

import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from mock_server.server._protocol import JoinedWrites, contract_protocol

from .servers import mock_process


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closing = False
        self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.aborted = True
        self.closing = True


class Soon:
    """call_soon, run by hand: the next turn of the event loop."""

    def __init__(self) -> None:
        self.callbacks: list[Callable[[], None]] = []

    def __call__(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def run(self) -> None:
        callbacks, self.callbacks = self.callbacks, []
        for callback in callbacks:
            callback()


def joined() -> tuple[JoinedWrites, FakeTransport, Soon]:
    inner, soon = FakeTransport(), Soon()
    return JoinedWrites(inner, soon), inner, soon


def test_head_and_body_leave_in_one_write() -> None:
    transport, inner, soon = joined()
    transport.write(b"HTTP/1.1 201 Created\r\n\r\n")
    transport.write(b'{"name":"k"}')
    assert inner.writes == [b'HTTP/1.1 201 Created\r\n\r\n{"name":"k"}']
    soon.run()
    assert len(inner.writes) == 1


def test_a_lone_write_leaves_on_the_next_turn_of_the_loop() -> None:
    transport, inner, soon = joined()
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert inner.writes == []
    soon.run()
    assert inner.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]


def test_flush_and_close_send_what_is_held_and_abort_drops_it() -> None:
    transport, inner, _ = joined()
    transport.write(b"a")
    transport.flush()
    assert inner.writes == [b"a"]
    transport.write(b"b")
    transport.close()
    assert inner.writes == [b"a", b"b"]
    assert inner.closing
    transport, inner, soon = joined()
    transport.write(b"c")
    transport.abort()
    soon.run()
    assert inner.writes == []
    assert inner.aborted


def test_nothing_is_written_to_a_closing_transport() -> None:
    transport, inner, soon = joined()
    transport.write(b"late")
    inner.closing = True  # the client went away before the next turn
    soon.run()
    assert inner.writes == []


def exchange(port: int, *parts: bytes, pause_for: bytes | None = None) -> bytes:
    """Send ``parts`` on one connection (the last request says ``Connection: close``) and
    read until the mock closes it; before the last part, wait for ``pause_for``."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reply = b""
        for number, part in enumerate(parts):
            if pause_for is not None and number == len(parts) - 1:
                while pause_for not in reply:
                    chunk = sock.recv(65536)
                    assert chunk, reply
                    reply += chunk
            sock.sendall(part)
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


BODY = b'{"name":"k"}'
CLOSE = b"Connection: close\r\n\r\n"
HEAD = (
    b"POST /api-keys HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer t\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(BODY)
)


@pytest.fixture(scope="module")
def port() -> Any:
    with mock_process("--log-level", "warning") as mock:
        yield int(mock.url.rsplit(":", 1)[1])


def test_expect_100_continue_is_answered_before_the_body(port: int) -> None:
    expect = HEAD + b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
    reply = exchange(port, expect, BODY, pause_for=b"100 Continue\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n")


def test_pipelined_requests_get_their_responses_in_order(port: int) -> None:
    bad = b'{"name":"   "}'
    second = HEAD.replace(b"%d" % len(BODY), b"%d" % len(bad)) + CLOSE + bad
    reply = exchange(port, HEAD + b"\r\n" + BODY + second)
    first, _, rest = reply.partition(b"HTTP/1.1 400 ")
    assert first.startswith(b"HTTP/1.1 201 ")
    assert json.loads(first.partition(b"\r\n\r\n")[2])["name"] == "k"
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["code"] == "invalid_request"
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", reply) == [b"201", b"400"]


def test_head_gets_a_head_and_no_body(port: int) -> None:
    reply = exchange(port, b"HEAD /api-keys HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405 ")
    assert b"x-request-id: " in head
    assert body == b""


# -- the uvicorn internals the protocol relies on ---------------------------------------
# _protocol.ContractHttpToolsProtocol overrides or calls these methods of uvicorn's
# HttpToolsProtocol, some of them private. pyproject.toml pins uvicorn below its next major;
# an upgrade within that range that renames, removes or re-signs one fails here.
UVICORN_METHODS = {
    "connection_made": "(self, transport: 'asyncio.Transport') -> 'None'",
    "data_received": "(self, data: 'bytes') -> 'None'",
    "on_response_complete": "(self) -> 'None'",
    "send_400_response": "(self, msg: 'str') -> 'None'",
    "_unset_keepalive_if_required": "(self) -> 'None'",
    "_should_upgrade": "(self) -> 'bool'",
    "handle_websocket_upgrade": "(self) -> 'None'",
    "_unsupported_upgrade_warning": "(self) -> 'None'",
}


def test_the_uvicorn_methods_the_protocol_overrides_are_there() -> None:
    found = {
        name: str(inspect.signature(method)) if callable(method) else None
        for name in UVICORN_METHODS
        for method in [getattr(HttpToolsProtocol, name, None)]
    }
    assert found == UVICORN_METHODS
    assert hasattr(ServerState(), "default_headers")  # the head of the contract's 400


def _used(function: Callable[..., Any]) -> set[str]:
    """The attributes of self and of httptools a method's source names."""
    return set(re.findall(r"\b(?:self|httptools)\.(\w+)", inspect.getsource(function)))


def test_the_copied_data_received_still_matches_uvicorns() -> None:
    # The protocol's data_received is uvicorn's, less the plain-text warning and 400 of a
    # rejected request (its own reject() instead): any other change to uvicorn's shows here.
    ours = contract_protocol("X-Request-Id").data_received
    theirs = HttpToolsProtocol.data_received
    assert _used(theirs) - {"logger", "send_400_response"} == _used(ours) - {"reject"}
