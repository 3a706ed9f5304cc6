"""The outermost layer: a fresh request id on every response, latency, one log line."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._errors import ApiError, send_error
from ._ids import uuid4

access_log = logging.getLogger("mock_server.access")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, request_id_header: str, delay_ms: int = 0) -> None:
        self.app = app
        self.header = request_id_header.lower().encode("latin-1")
        self.delay = delay_ms / 1000

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

        failure: str | None = None
        try:
            if self.delay and scope["method"] != "OPTIONS":
                await asyncio.sleep(self.delay)
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # A bug in the mock still answers in the contract's shape, and logs one line.
            failure = type(exc).__name__
            if status == 0:
                error = ApiError(500, "internal_error", "The mock server failed unexpectedly.")
                await send_error(send_with_id, error)
        if access_log.isEnabledFor(logging.INFO):
            record = {
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            }
            if failure is not None:
                record["error"] = failure
            access_log.info(json.dumps(record))
