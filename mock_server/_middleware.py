"""The outermost layer: a fresh request id on every response, latency, one log line."""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._errors import ApiError, send_error
from ._ids import uuid4
from ._log import LogSink, TurnLog

# Where an inner layer that turned an exception into a 500 leaves the exception's type
# for the log line (the layer answers in the contract's shape, with CORS headers).
FAILURE = "mock_server.failure"
# Where the endpoint leaves the request body it read, for the journal.
REQUEST_BODY = "mock_server.request_body"


def note_failure(scope: Scope, exc: BaseException) -> None:
    scope[FAILURE] = type(exc).__name__


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        request_id_header: str,
        delay_ms: int = 0,
        log: LogSink | None = None,
    ) -> None:
        self.app = app
        self.header = request_id_header.lower().encode("latin-1")
        self.delay = delay_ms / 1000
        self.log = TurnLog(log) if log is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid4()
        status = 0
        request_id_header = (self.header, request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), request_id_header]
            await send(message)

        try:
            if self.delay and scope["method"] != "OPTIONS":
                await asyncio.sleep(self.delay)
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # A bug in the mock still answers in the contract's shape, and logs one line.
            note_failure(scope, exc)
            if status == 0:
                error = ApiError(500, "internal_error", "The mock server failed unexpectedly.")
                await send_error(send_with_id, error)
        self.log_request(request_id, scope, status, started)

    def log_request(self, request_id: str, scope: Scope, status: int, started: float) -> None:
        """The request's line in the request log (``started``: its ``perf_counter()``)."""
        log = self.log
        if log is not None:
            log.note(
                request_id,
                scope["method"],
                scope["path"],
                status,
                time.perf_counter() - started,
                scope.get(FAILURE),
            )
