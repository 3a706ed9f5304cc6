"""The contract's operation, end to end in one coroutine: the mock's hot path.

Every other request meets the mock's layers as ASGI middleware (request context, CORS, the
journal's recorder), each wrapping ``send`` or ``receive`` to see what passes. The operation
is answered by the endpoint as a whole ``PreparedResponse``, so those layers' per-request
work runs here as plain calls on it instead: the same request id, log line, CORS headers and
journal record, from the same code, without a wrapper per layer per message.
"""

from __future__ import annotations

import asyncio
import time

from starlette.types import Receive, Scope, Send

from ._cors import BrowserCORS
from ._endpoint import Endpoint
from ._errors import ApiError, error_answer
from ._headers import RequestHeaders
from ._ids import uuid4
from ._middleware import RequestContextMiddleware, note_failure
from ._recorder import Recording


class Operation:
    def __init__(
        self,
        endpoint: Endpoint,
        *,
        context: RequestContextMiddleware,
        cors: BrowserCORS,
        recording: Recording | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.context = context
        self.cors = cors
        self.recording = recording

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = self.context
        started = time.perf_counter()
        request_id = uuid4()
        request = RequestHeaders.from_scope(scope)
        try:
            if context.delay:
                await asyncio.sleep(context.delay)
            answer = await self.endpoint.answer(scope, receive, request)
        except Exception as exc:
            # A bug in the mock still answers in the contract's shape, and logs one line.
            note_failure(scope, exc)
            answer = error_answer(
                ApiError(500, "internal_error", "The mock server failed unexpectedly.")
            )
        headers = answer.headers
        headers.append((context.header, request_id.encode("latin-1")))
        if request.origin is not None:
            headers += self.cors.response_headers(request.origin)
        try:
            await send({"type": "http.response.start", "status": answer.status, "headers": headers})
            await send({"type": "http.response.body", "body": answer.body})
        finally:
            context.log_request(request_id, scope, answer.status, started)
            recording = self.recording
            if recording is not None:
                recording.keep(scope, started, answer)
