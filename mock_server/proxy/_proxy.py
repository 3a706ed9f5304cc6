"""The validation proxy: forward each request to a real implementation, judge both sides
against the contract, and return the upstream's answer unchanged.

The answer keeps the upstream's status, headers (hop-by-hop fields aside) and body; the
proxy adds only ``X-Contract-Violations`` when the exchange broke the contract, and never
an ``X-Request-Id`` of its own on a passed-through response. What the proxy answers itself
(an upstream that cannot be reached or is too slow, ``--proxy-strict`` replacing a
response that broke the contract, a request body over ``--max-body-bytes``) is an error in
the contract's shape with a fresh request id, rendered by ``_errors`` like every error of
the mock. The statuses are explained in ``proxy_error`` below.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from email.utils import formatdate
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apikeys_contract import (
    Contract,
    load_contract,
)
from apikeys_contract.checks import Received, response_excerpt
from apikeys_contract.ledger import Describe, example_of, mask
from apikeys_contract.report import Example

from ..common import ACCESS_LOGGER, ApiError, milliseconds, proxied_line, send_error, uuid4
from ..journal import (
    BrokenRule,
    Journal,
    Redactor,
    journal_path,
    journal_routes,
    scrub,
)
from ..mock import Settings, read_body, too_slow
from ._live_checks import (
    LiveRequest,
    RequestJudgement,
    Session,
    judge_request,
    violations_header,
)
from ._proxy_record import journal_record, reproducer
from ._proxy_settings import ProxySettings
from ._upstream import (
    Upstream,
    UpstreamFailure,
    UpstreamReply,
    dated,
    forwarded_headers,
    framed,
    relay,
)

VIOLATIONS_HEADER = "x-contract-violations"
# The status of every answer the proxy gives in the upstream's place. The contract
# documents 201, 400, 401, 403 and 500 for the operation: a client written against it
# handles a 500 as "the server failed", which is what happened. 502 or 504, HTTP's
# gateway statuses, are statuses the contract does not document, so the proxy would break
# the very contract it checks.
PROXY_FAILURE = 500
access_log = logging.getLogger("mock_server.access")


def proxy_error(code: str, message: str, **extra: Any) -> ApiError:
    return ApiError(PROXY_FAILURE, code, message, extra=extra)


class ProxyApp:
    """The proxy as an ASGI app; ``session`` holds what the run found."""

    def __init__(
        self,
        settings: Settings,
        proxy: ProxySettings,
        *,
        contract: Contract | None = None,
    ) -> None:
        self.contract = contract or load_contract(settings.spec)
        self.settings = settings
        self.proxy = proxy
        self.session = Session(self.contract)
        self.upstream = Upstream(
            proxy.upstream, timeout=proxy.timeout_s, limit=settings.max_body_bytes
        )
        self.redactor = Redactor(self.contract)
        self.request_id = self.contract.request_id_header.lower()
        self.journal = Journal(settings.journal_size) if settings.journal else None
        self.journal_app: ASGIApp | None = None
        if self.journal is not None:
            self.journal_app = Starlette(routes=journal_routes(self.journal, self.contract))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] != "http":
            return
        elif self.journal_app is not None and journal_path(scope["path"], self.contract.path):
            await self.journal_app(scope, receive, self.with_request_id(send))
        else:
            await self.forward(scope, receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    def with_request_id(self, send: Send, request_id: str | None = None) -> Send:
        header = (self.request_id.encode("latin-1"), (request_id or uuid4()).encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        return send_with_id

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        wall, started = time.time(), time.perf_counter()
        exchange = ProxiedExchange(self, scope, wall, started)
        try:
            body = await asyncio.wait_for(
                read_body(receive, self.settings.max_body_bytes), self.settings.body_timeout_s
            )
        except ApiError as error:  # too large, or the client went away
            await exchange.answer(send, error, ())
            return
        except TimeoutError:
            await exchange.answer(send, too_slow(self.settings.body_timeout_s), ())
            return
        await exchange.run(body, send)


class ProxiedExchange:
    """One request through the proxy: judged, forwarded, answered, journaled, logged."""

    def __init__(self, app: ProxyApp, scope: Scope, wall: float, started: float) -> None:
        self.app = app
        self.scope = scope
        self.wall = wall
        self.started = started
        contract = app.contract
        self.operation = scope["path"] == contract.path and scope["method"] == contract.method
        self.request = LiveRequest(
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            tuple(scope["headers"]),
            b"",
        )
        self.secrets: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        raw: bytes = self.scope.get("raw_path") or self.scope["path"].encode("utf-8")
        query: bytes = self.scope.get("query_string", b"")
        return (raw + (b"?" + query if query else b"")).decode("latin-1")

    def describer(
        self, label: str, received: Received | None, generated: tuple[str, ...] = ()
    ) -> Describe:
        """The exchange as the run report shows it (built only if it is shown), every
        credential presented and secret generated masked."""

        def describe() -> Example:
            hidden = (*self.secrets, *generated)
            body = scrub(self.request.body, hidden)
            request_id = received.header(self.app.request_id) if received else None
            header = self.app.contract.request_id_header
            rid = f" ({header} {request_id})" if request_id else ""
            text = f"{self.request.method} {self.request.path} with {label}{rid}"
            if received is None:
                return example_of(text, self.reproducer(body), body)
            redacted = self.app.redactor.response_body(received.status, received.body)
            shown = replace(received, body=scrub(redacted, hidden))
            excerpt = mask(response_excerpt(shown), hidden)
            return example_of(text, self.reproducer(body), body, received.status, excerpt)

        return describe

    async def run(self, body: bytes, send: Send) -> None:
        app = self.app
        old = self.request
        request = LiveRequest(old.method, old.path, old.query, old.headers, body)
        self.request = request
        judged = judge_request(app.contract, request, app.proxy.tokens) if self.operation else None
        self.secrets = judged.sent.secrets if judged else ()
        reply = await app.upstream.send(
            request.method, self.target, forwarded_headers(request.headers), body
        )
        if isinstance(reply, UpstreamFailure):
            await self.no_answer(send, reply, judged.violations if judged else (), judged)
            return
        try:
            await self.pass_on(send, reply, judged)
        finally:
            await reply.close()

    async def no_answer(
        self,
        send: Send,
        failure: UpstreamFailure,
        asked: tuple[BrokenRule, ...],
        judged: RequestJudgement | None,
    ) -> None:
        found: tuple[BrokenRule, ...] = asked
        if judged is not None:
            example = self.describer(judged.sent.verdict.cause, None)
            self.app.session.count_request(judged, example)
            found = (*asked, self.app.session.no_answer(failure.reason, example))
        error = proxy_error(
            failure.code,
            f"The validation proxy got no usable answer from the upstream: {failure.reason}.",
        )
        await self.answer(send, error, found)

    async def pass_on(
        self, send: Send, reply: UpstreamReply, judged: RequestJudgement | None
    ) -> None:
        app = self.app
        received = Received(reply.status, tuple(reply.headers), reply.body, not reply.complete)
        request_id = received.header(app.request_id)
        found: tuple[BrokenRule, ...] = ()
        generated: tuple[str, ...] = ()
        if judged is not None:
            generated = app.contract.secrets_in(reply.status, reply.body)
            example = self.describer(judged.sent.verdict.cause, received, generated)
            on_response = app.session.judge_response(judged.sent, received, example, generated)
            app.session.count_request(judged, example)
            found = (*judged.violations, *on_response)
            if app.proxy.strict and on_response:
                error = proxy_error(
                    "contract_violation",
                    "The upstream's response broke the contract; the validation proxy "
                    f"replaced its {reply.status}: "
                    + "; ".join(v.message for v in on_response)[:1000],
                    violations=[{"check": v.check, "message": v.message} for v in on_response],
                    upstream_status=reply.status,
                )
                await self.answer(send, error, found, request_id=request_id, generated=generated)
                return
        headers = dated(framed(reply, self.request.method))
        shown = violations_header(found)
        if shown is not None:
            headers = expose(headers, VIOLATIONS_HEADER)
            headers.append((VIOLATIONS_HEADER, shown))
        await relay(send, reply, headers)
        self.finish(reply.status, headers, reply.body, not reply.complete, found, generated)

    async def answer(
        self,
        send: Send,
        error: ApiError,
        found: tuple[BrokenRule, ...],
        *,
        request_id: str | None = None,
        generated: tuple[str, ...] = (),
    ) -> None:
        """The proxy's own answer: a contract-shaped error, through the one renderer. It
        carries a Date (RFC 9110 section 6.6.1: the proxy is its origin), uvicorn's being
        off in proxy mode."""
        error.headers.setdefault("date", formatdate(usegmt=True))
        shown = violations_header(found)
        if shown is not None:
            error.headers[VIOLATIONS_HEADER] = shown
        rid = request_id or uuid4()
        captured: list[Message] = []

        async def keep(message: Message) -> None:
            captured.append(message)
            await send(message)

        await send_error(self.app.with_request_id(keep, rid), error)
        head = [
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in captured[0].get("headers", ())
        ]
        body = b"".join(m.get("body", b"") for m in captured[1:])
        self.finish(error.status, head, body, False, found, generated)

    def finish(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        truncated: bool,
        found: tuple[BrokenRule, ...],
        generated: tuple[str, ...],
    ) -> None:
        """Journal the exchange (redacted) and write its log line."""
        app = self.app
        duration = milliseconds(time.perf_counter() - self.started)
        hidden = (*self.secrets, *generated)
        shown = tuple(BrokenRule(v.check, mask(v.message, hidden), v.problems) for v in found)
        if app.journal is not None:
            record = journal_record(
                app.redactor, self.request, wall=self.wall, status=status, headers=headers,
                body=body, truncated=truncated, violations=shown, hidden=hidden,
                duration_s=duration / 1000, operation=self.operation,
            )  # fmt: skip
            app.journal.add(record)
        if access_log.isEnabledFor(logging.INFO):
            request_id = next((v for k, v in headers if k == app.request_id), None)
            violations = [{"check": v.check, "message": v.message} for v in shown]
            method, path = self.request.method, self.request.path
            line = proxied_line(request_id, method, path, status, duration, violations)
            ACCESS_LOGGER.write(line)

    def reproducer(self, body: bytes) -> str:
        return reproducer(self.app.redactor, self.app.upstream.base_url, self.request, body)


def expose(headers: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    """Let browser code read ``name`` when the upstream lists the headers it exposes."""
    out = []
    for key, value in headers:
        if key == "access-control-expose-headers" and value.strip() != "*":
            value = f"{value}, {name}" if value.strip() else name
        out.append((key, value))
    return out
