"""Keeps every exchange the mock answers in the journal (``--no-journal`` leaves it out).

An ASGI layer outside the request-context layer, so that it sees the final status and the
request id. It keeps references to what passes (at most ``BODY_LIMIT`` bytes of each body
are stored), never changes it, and stores only after redaction; decoding waits until the
journal is read. Requests for the journal's own prefix are not
recorded (the inspector polls it), unless the contract's operation lives there.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._journal import BODY_LIMIT, Journal, RawPairs, Record, Redactor

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
        operation: tuple[str, str],
    ) -> None:
        self.app = app
        self.journal = journal
        self.redactor = redactor
        self.path, self.method = operation
        # One clock read per request: wall time from the monotonic clock.
        self.epoch = time.time() - time.perf_counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or journal_path(scope["path"], self.path):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sent: list[bytes] = []
        got: list[bytes] = []
        status = 0
        headers: RawPairs = ()

        async def receive_and_keep() -> Message:
            message = await receive()
            if "body" in message:
                sent.append(message["body"])
            return message

        async def send_and_keep(message: Message) -> None:
            nonlocal status, headers
            if "body" in message:
                got.append(message["body"])
            elif "status" in message:
                status = message["status"]
                headers = message.get("headers", ())
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_keep)
        finally:
            redactor = self.redactor
            request_body, request_cut = _joined(sent)
            response_body, response_cut = _joined(got)
            path = scope["path"]
            self.journal.add(
                Record(
                    self.epoch + started,
                    scope["method"],
                    path,
                    redactor.query_string(scope["query_string"]),
                    redactor.header_pairs(scope["headers"]),
                    request_body,
                    status,
                    redactor.header_pairs(headers),
                    redactor.response_body(status, response_body),
                    time.perf_counter() - started,
                    path == self.path and scope["method"] == self.method,
                    (),
                    request_cut,
                    response_cut,
                )
            )


def _joined(chunks: list[bytes]) -> tuple[bytes, bool]:
    """The body kept (at most ``BODY_LIMIT`` bytes) and whether it was cut."""
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(body) > BODY_LIMIT:
        return body[:BODY_LIMIT], True
    return body, False
