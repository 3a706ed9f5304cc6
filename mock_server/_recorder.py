"""Keeps every exchange the mock answers in the journal (``--no-journal`` leaves it out).

``Recording`` turns what passed into the journal's fields, redacted (at most ``BODY_LIMIT``
bytes of each body are stored); decoding waits until the journal is read. The operation's
own path (``Operation``) calls it directly. Every other request passes ``Recorder``, an
ASGI layer outside the request-context layer, so that it sees the final status and the
request id; it keeps references to what passes and never changes it. Requests for the
journal's own prefix are not recorded (the inspector polls it), unless the contract's
operation lives there.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._errors import PreparedResponse
from ._journal import BODY_LIMIT, Journal, RawPairs, Redactor
from ._middleware import REQUEST_BODY
from ._turns import TurnBatch

PREFIX = "/__mock"
logger = logging.getLogger("mock_server")


def journal_path(path: str, operation_path: str) -> bool:
    """True for the journal's own paths: under ``/__mock`` and not the operation's."""
    return path.startswith(PREFIX) and path != operation_path


class Recording:
    """Keeps exchanges in ``journal``, redacted first: the one place that turns what passed
    into the journal's fields, for the recorder layer below and the operation's own path.

    ``keep`` only notes what passed; the exchanges noted in one turn of the event loop are
    redacted and stored together at its end (or before the journal is read, whichever
    comes first). In a batch the work stays in the CPU's caches: measured over HTTP, the
    journal then costs a quarter of what it costs done request by request. Nothing
    unredacted outlives the turn, and nothing can read it.
    """

    def __init__(self, journal: Journal, redactor: Redactor, operation: tuple[str, str]) -> None:
        self.journal = journal
        self.redactor = redactor
        self.path, self.method = operation
        # One clock read per request: wall time from the monotonic clock.
        self.epoch = time.time() - time.perf_counter()
        self._noted: TurnBatch[tuple[Any, ...]] = TurnBatch(self._store)
        journal.before_read(self.flush)

    def keep(self, scope: Scope, started: float, answer: PreparedResponse) -> None:
        """One exchange (``started``: its ``perf_counter()``), answered with ``answer``; the
        request body is the one left in the scope (``REQUEST_BODY``), if it was read. When
        ``answer.document`` is known, the secrets are left out of it without decoding the
        body."""
        self._noted.add((scope, started, time.perf_counter(), answer))

    def flush(self) -> None:
        """Redact and store every exchange noted so far."""
        self._noted.flush()

    def _store(self, noted: list[tuple[Any, ...]]) -> None:
        # One loop: the journal's whole cost per request, its lookups made once per batch.
        redactor = self.redactor
        header_pairs, query_string = redactor.header_pairs, redactor.query_string
        epoch, operation = self.epoch, (self.method, self.path)
        stored = []
        for scope, started, ended, answer in noted:
            try:
                status, body, document = answer.status, answer.body, answer.document
                if document is None:
                    body = redactor.response_body(status, body)
                else:
                    body = redactor.response_document(status, document, body)
                request_body = scope.get(REQUEST_BODY)  # None: answered without reading it
                method, path = scope["method"], scope["path"]
                stored.append(
                    (
                        epoch + started,
                        method,
                        path,
                        query_string(scope["query_string"]),
                        header_pairs(scope["headers"]),
                        None if request_body is None else request_body[:BODY_LIMIT],
                        status,
                        header_pairs(answer.headers),
                        body[:BODY_LIMIT],
                        ended - started,
                        (method, path) == operation,
                        (),
                        request_body is not None and len(request_body) > BODY_LIMIT,
                        len(body) > BODY_LIMIT,
                        answer.rule,
                    )
                )
            except Exception:  # one exchange the journal cannot store must not lose the rest
                logger.exception("the journal could not store an exchange")
        self.journal.store(stored)


class Recorder:
    """The ASGI layer that records every request that does not take the operation's own
    path (which records through ``Recording`` directly)."""

    def __init__(self, app: ASGIApp, *, recording: Recording) -> None:
        self.app = app
        self.recording = recording

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or journal_path(scope["path"], self.recording.path):
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
            scope[REQUEST_BODY] = _joined(sent)
            self.recording.keep(
                scope, started, PreparedResponse(status, list(headers), _joined(got))
            )


def _joined(chunks: list[bytes]) -> bytes:
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
