"""uvicorn's HTTP protocol, with two changes.

HTTP that cannot be parsed still gets the contract's error shape, a request id and its line
in the request log. uvicorn answers a request its parser rejects (garbage, a Content-Length
that disagrees with the bytes sent) with a plain-text 400 of its own, outside the ASGI app,
and logs a plain-text warning; this protocol renders that 400 like every other error, and
logs it like every other request.

A response leaves in one write. uvicorn writes a response's head and its body separately:
two send() calls, two TCP segments, two wake-ups of the client, and on loopback the
sending side pays for both (a tenth of the mock's time per request). Here the writes made
in one turn of the event loop are joined; nothing waits longer than that turn.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..common import CONNECTION, JSON, ApiError, LogSink, log_line, milliseconds, to_json, uuid4

MESSAGE = "Invalid HTTP request received."


def contract_protocol(
    request_id_header: str, log: LogSink | None = None
) -> type[HttpToolsProtocol]:
    header = request_id_header.lower().encode("latin-1")

    class ContractHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(JoinedWrites(transport, self.loop.call_soon))

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.scope[CONNECTION] = self.transport  # type: ignore[literal-required]  # _faults

        def on_response_complete(self) -> None:
            if isinstance(self.transport, JoinedWrites):
                self.transport.flush()  # the response is whole: send it now
            super().on_response_complete()

        # uvicorn's data_received, less its plain-text warning for a rejected request.
        def data_received(self, data: bytes) -> None:
            self._unset_keepalive_if_required()
            started = time.perf_counter()
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError as exc:
                self.reject(type(exc).__name__, started)
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()

        def send_400_response(self, msg: str) -> None:
            self.reject(None, time.perf_counter(), msg)

        def reject(self, error: str | None, started: float, msg: str = MESSAGE) -> None:
            request_id = uuid4()
            body = to_json(ApiError(400, "malformed_http", msg).body())
            head = [
                b"HTTP/1.1 400 Bad Request",
                *(name + b": " + value for name, value in self.server_state.default_headers),
                b"content-type: " + JSON.encode(),
                b"content-length: " + str(len(body)).encode(),
                header + b": " + request_id.encode(),
                b"connection: close",
            ]
            self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
            self.transport.close()
            if log is not None:
                duration_ms = milliseconds(time.perf_counter() - started)
                log.write(log_line(request_id, None, None, 400, duration_ms, error))

    return ContractHttpToolsProtocol


class JoinedWrites(asyncio.Transport):
    """A transport whose writes in one turn of the event loop leave as one write.

    The first write is held and flushed by the next write (joined to it), by ``flush()``,
    by ``close()``, or at the latest by a callback on the next turn of the loop.
    """

    def __init__(
        self, transport: asyncio.Transport, call_soon: Callable[[Callable[[], None]], Any]
    ) -> None:
        super().__init__()
        self._transport = transport
        self._call_soon = call_soon
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is None:
            if data:
                self._held = bytes(data)
                self._call_soon(self.flush)
        else:
            self._held = None
            self._transport.write(held + data)

    def flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            if not self._transport.is_closing():
                self._transport.write(held)

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)
