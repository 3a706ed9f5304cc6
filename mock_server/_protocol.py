"""HTTP that cannot be parsed still gets the contract's error shape, a request id and its
line in the request log.

uvicorn answers a request its parser rejects (garbage, a Content-Length that disagrees with
the bytes sent) with a plain-text 400 of its own, outside the ASGI app, and logs a plain-text
warning. This protocol class renders that 400 like every other error instead, and logs it
like every other request.
"""

from __future__ import annotations

import time

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ._errors import JSON, ApiError, to_json
from ._ids import uuid4
from ._log import LogSink, log_line

MESSAGE = "Invalid HTTP request received."


def contract_protocol(
    request_id_header: str, log: LogSink | None = None
) -> type[HttpToolsProtocol]:
    header = request_id_header.lower().encode("latin-1")

    class ContractHttpToolsProtocol(HttpToolsProtocol):
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
                duration_ms = round((time.perf_counter() - started) * 1000, 3)
                log.write(log_line(request_id, None, None, 400, duration_ms, error))

    return ContractHttpToolsProtocol
