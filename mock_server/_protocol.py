"""HTTP that cannot be parsed still gets the contract's error shape and a request id.

uvicorn answers a request its parser rejects (garbage, a Content-Length that disagrees with
the bytes sent) with a plain-text 400 of its own, outside the ASGI app. This protocol class
renders that 400 like every other error instead.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ._errors import JSON, ApiError, to_json
from ._ids import uuid4


def contract_protocol(request_id_header: str) -> type[HttpToolsProtocol]:
    header = request_id_header.lower().encode("latin-1")

    class ContractHttpToolsProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            body = to_json(ApiError(400, "malformed_http", msg).body())
            head = [
                b"HTTP/1.1 400 Bad Request",
                *(name + b": " + value for name, value in self.server_state.default_headers),
                b"content-type: " + JSON.encode(),
                b"content-length: " + str(len(body)).encode(),
                header + b": " + uuid4().encode(),
                b"connection: close",
            ]
            self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
            self.transport.close()

    return ContractHttpToolsProtocol
