"""CORS for browser apps, for the requests that carry an ``Origin``.

Requests without one (curl, test suites, servers) skip this layer and save its cost on the
hot path; responses to them carry no CORS headers, which no browser will ever look for.

An allowed origin is always echoed, never answered with ``*``, and credentials are always
allowed: ``fetch(..., {credentials: "include"})`` works against the mock whether the origins
are listed or left open (``*`` means any origin, as in Prism). The mock keeps no cookies and
no user data, so there is nothing for credentials to expose. A preflight the mock refuses
gets the contract's error shape like every other error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._errors import ApiError, send_error
from ._headers import has_origin

ANY_ORIGIN = "*"
MAX_AGE_SECONDS = 600


class BrowserCORS:
    def __init__(
        self,
        app: ASGIApp,
        *,
        allow_origins: Sequence[str],
        allow_methods: Iterable[str],
        expose_headers: Iterable[str],
    ) -> None:
        self.app = app
        self.any_origin = ANY_ORIGIN in allow_origins
        self.origins = frozenset(allow_origins)
        self.methods = tuple(dict.fromkeys(m.upper() for m in allow_methods))
        self.expose = ", ".join(dict.fromkeys(expose_headers))

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not has_origin(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers["origin"]
        requested = headers.get("access-control-request-method")
        if scope["method"] == "OPTIONS" and requested is not None:
            await self.preflight(send, headers, origin, requested)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response = MutableHeaders(scope=message)
                response.add_vary_header("Origin")
                if self.allows(origin):
                    response["Access-Control-Allow-Origin"] = origin
                    response["Access-Control-Allow-Credentials"] = "true"
                    response["Access-Control-Expose-Headers"] = self.expose
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def preflight(self, send: Send, headers: Headers, origin: str, method: str) -> None:
        if not self.allows(origin):
            allowed = "any" if self.any_origin else ", ".join(sorted(self.origins))
            await refuse(send, f"Origin {origin[:200]} is not allowed by CORS; allowed: {allowed}.")
            return
        if method.strip().upper() not in self.methods:
            await refuse(
                send,
                f"CORS method {method[:20]} is not allowed; allowed: {', '.join(self.methods)}.",
            )
            return
        answer = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": ", ".join(self.methods),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
            "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        }
        # Any request header may be sent (Authorization, Content-Type, Prefer, ...).
        requested_headers = headers.get("access-control-request-headers")
        if requested_headers:
            answer["Access-Control-Allow-Headers"] = requested_headers
        if headers.get("access-control-request-private-network") == "true":
            answer["Access-Control-Allow-Private-Network"] = "true"
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.items()]
        await send({"type": "http.response.start", "status": 204, "headers": raw})
        await send({"type": "http.response.body", "body": b""})


async def refuse(send: Send, message: str) -> None:
    # Off the contract (it documents no OPTIONS), in its error shape: a 400, as Starlette's
    # CORS middleware answers, since no browser reads a refused preflight's status anyway.
    error = ApiError(400, "cors_rejected", message, headers={"Vary": "Origin"})
    await send_error(send, error)
