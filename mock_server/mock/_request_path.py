"""Every HTTP request to the mock, in one coroutine: the one request path.

The contract's operation and every other route (``/docs``, ``/openapi.*``, ``/__mock/...``,
a 404 or 405 off the contract, a CORS preflight) meet the same per-request work here, once:

1. a fresh request id, the request's headers read in one pass (``RequestHeaders``);
2. the configured delay (``--delay-ms``; not for OPTIONS);
3. the answer, as one ``PreparedResponse``: a preflight's from ``BrowserCORS``, the endpoint's
   for the operation (dispatched ahead of Starlette's router and exception layers, a third
   of the app's time), or a page's, which Starlette renders and this path buffers;
4. a client that went away answers nothing; anything else raised is the one 500;
5. the request id and, for a request with an ``Origin``, the CORS headers, stamped on the
   answer, which leaves in two ``send`` calls;
6. the request log's line and the journal's record, noted for the end of the turn of the
   event loop (``_turns``).

Faults, chaos and rate limits (``_injection``) hook in at step 3, for the operation only: the
``Injector`` decides from the request's headers and sequence number, its ``Injection``
answers in place of the endpoint and delivers the answer, broken if it says so; what it
did is left in the scope (``INJECTED``, ``FAILURE``) for the journal and the log line.
"""

from __future__ import annotations

import asyncio
import time

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..common import (
    FAILURE,
    REQUEST_BODY,
    ClientDisconnected,
    LogSink,
    PreparedResponse,
    RequestHeaders,
    TurnLog,
    uuid4,
)
from ..journal import Recording, journal_path
from ._cors import BrowserCORS
from ._endpoint import Endpoint
from ._injection import Injection, Injector

# What the log says of a request whose client went away before it could be answered.
DISCONNECTED = ClientDisconnected.__name__


class RequestPath:
    """The mock as the ASGI server sees it. ``pages``: Starlette's router, with its
    exception layer, for every request but the operation's."""

    def __init__(
        self,
        pages: ASGIApp,
        *,
        endpoint: Endpoint,
        cors: BrowserCORS,
        request_id_header: str,
        delay_ms: int = 0,
        log: LogSink | None = None,
        recording: Recording | None = None,
        injector: Injector | None = None,
    ) -> None:
        self.pages = pages
        self.endpoint = endpoint
        self.cors = cors
        self.path = endpoint.contract.path
        self.method = endpoint.contract.method
        self.header = request_id_header.lower().encode("latin-1")
        self.delay = delay_ms / 1000
        self.log = TurnLog(log) if log is not None else None
        self.recording = recording
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan
            await self.pages(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid4()
        request = RequestHeaders.from_scope(scope)
        origin = request.origin
        failure: str | None = None
        answer: PreparedResponse | None
        preflight = None
        injection: Injection | None = None
        try:
            if self.delay and scope["method"] != "OPTIONS":
                await asyncio.sleep(self.delay)
            if (
                scope["path"] == self.path
                and scope["method"] == self.method
                and not scope.get("root_path")
            ):
                if self.injector is not None:  # Prefer: fault=..., --chaos, --rate-limit
                    injection = self.injector.decide(scope, request)
                answer = await (injection or self.endpoint).answer(scope, receive, request)
            else:
                if origin is not None:
                    preflight = self.cors.preflight(scope, origin)
                answer = preflight or await self.page(scope, receive)
        except (ClientDisconnected, ClientDisconnect):
            answer, failure = None, DISCONNECTED
        except Exception as exc:
            # A bug in the mock still answers in the contract's shape, and logs one line.
            answer, failure = self.endpoint.failed(), type(exc).__name__
        if answer is None:
            self.finish(scope, request_id, started, None, failure)
            return
        headers = answer.headers
        headers.append((self.header, request_id.encode("latin-1")))
        if origin is not None and preflight is None:
            headers += self.cors.response_headers(origin)
        try:
            if injection is None:
                start = {"type": "http.response.start", "status": answer.status, "headers": headers}
                await send(start)
                await send({"type": "http.response.body", "body": answer.body})
            else:
                answer = await injection.deliver(scope, send, answer)
        finally:
            self.finish(scope, request_id, started, answer, failure)

    async def page(self, scope: Scope, receive: Receive) -> PreparedResponse:
        """What Starlette answers, held until it is whole (pages are small and rare), so
        that it leaves like every other answer."""
        head: Message = {}
        chunks: list[bytes] = []
        read: list[bytes] = []

        async def keep_read() -> Message:
            message = await receive()
            if "body" in message:
                read.append(message["body"])
            return message

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                head.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.pages(scope, keep_read, keep)
        finally:
            scope[REQUEST_BODY] = b"".join(read)  # for the journal
        if "status" not in head:
            raise RuntimeError("the page sent no response")
        return PreparedResponse(head["status"], list(head.get("headers", ())), b"".join(chunks))

    def finish(
        self,
        scope: Scope,
        request_id: str,
        started: float,
        answer: PreparedResponse | None,
        failure: str | None,
    ) -> None:
        """The request's line in the log and its record in the journal."""
        log = self.log
        if log is not None:
            status = None if answer is None else answer.status
            seconds = time.perf_counter() - started
            failure = failure or scope.get(FAILURE)
            log.note(request_id, scope["method"], scope["path"], status, seconds, failure)
        recording = self.recording
        if recording is not None and not journal_path(scope["path"], self.path):
            recording.keep(scope, started, answer)
