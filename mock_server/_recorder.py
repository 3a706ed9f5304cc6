"""Keeps every exchange the mock answers in the journal (``--no-journal`` leaves it out).

An ASGI layer outside the request-context layer, so that it sees the final status and the
request id. It copies what passes (at most ``BODY_LIMIT`` bytes of each body), never
changes it, and stores only after redaction. Requests for the journal's own prefix are not
recorded (the inspector polls it), unless the contract's operation lives there.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._journal import BODY_LIMIT, Journal, Record, Redactor

PREFIX = "/__mock"


def journal_path(path: str, operation_path: str) -> bool:
    """True for the journal's own paths: under ``/__mock`` and not the operation's."""
    return path.startswith(PREFIX) and path != operation_path


class Recorder:
    def __init__(
        self,
        app: ASGIApp,
        *,
        journal: Journal,
        redactor: Redactor,
        request_id_header: str,
        operation: tuple[str, str],
    ) -> None:
        self.app = app
        self.journal = journal
        self.redactor = redactor
        self.request_id = request_id_header.lower()
        self.path, self.method = operation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or journal_path(scope["path"], self.path):
            await self.app(scope, receive, send)
            return
        wall, started = time.time(), time.perf_counter()
        sent = Capture()
        got = Capture()
        head: list[tuple[bytes, bytes]] = []
        status = 0

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                sent.keep(message.get("body", b""))
            return message

        async def send_and_keep(message: Message) -> None:
            nonlocal status, head
            if message["type"] == "http.response.start":
                status = message["status"]
                head = list(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                got.keep(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_keep)
        finally:
            self.store(scope, wall, started, status, head, sent, got)

    def store(
        self,
        scope: Scope,
        wall: float,
        started: float,
        status: int,
        head: list[tuple[bytes, bytes]],
        sent: Capture,
        got: Capture,
    ) -> None:
        redactor = self.redactor
        response_headers = redactor.header_pairs(head)
        body = bytes(got.data)
        self.journal.add(
            Record(
                time=wall,
                method=scope["method"],
                path=scope["path"],
                query=redactor.query_string(scope.get("query_string", b"")),
                request_headers=redactor.header_pairs(scope["headers"]),
                request_body=bytes(sent.data),
                status=status,
                response_headers=response_headers,
                response_body=redactor.response_body(status, body),
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                request_id=next((v for k, v in response_headers if k == self.request_id), None),
                operation=scope["path"] == self.path and scope["method"] == self.method,
                request_truncated=sent.truncated,
                response_truncated=got.truncated,
            )
        )


class Capture:
    """A copy of a body as it passes, cut at ``BODY_LIMIT`` bytes."""

    __slots__ = ("data", "truncated")

    def __init__(self) -> None:
        self.data = bytearray()
        self.truncated = False

    def keep(self, chunk: bytes) -> None:
        room = BODY_LIMIT - len(self.data)
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[: max(room, 0)]
        self.data += chunk
