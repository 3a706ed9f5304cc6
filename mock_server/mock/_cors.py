"""CORS for browser apps, for the requests that carry an ``Origin``.

Requests without one (curl, test suites, servers) skip it and save its cost on the hot
path; responses to them carry no CORS headers, which no browser will ever look for.

An allowed origin is always echoed, never answered with ``*``, and credentials are always
allowed: ``fetch(..., {credentials: "include"})`` works against the mock whether the origins
are listed or left open (``*`` means any origin, as in Prism). The mock keeps no cookies and
no user data, so there is nothing for credentials to expose. A preflight the mock refuses
gets the contract's error shape like every other error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.datastructures import Headers
from starlette.types import Scope

from ..common import ApiError, PreparedResponse, error_answer

ANY_ORIGIN = "*"
MAX_AGE_SECONDS = 600
VARY_ORIGIN = (b"vary", b"Origin")


class BrowserCORS:
    """The CORS headers of a response, and the answer to a preflight; the request path
    (``_request_path``) asks, for every request that carries an ``Origin``."""

    def __init__(
        self,
        *,
        allow_origins: Sequence[str],
        allow_methods: Iterable[str],
        expose_headers: Iterable[str],
    ) -> None:
        self.any_origin = ANY_ORIGIN in allow_origins
        self.origins = frozenset(allow_origins)
        self.methods = tuple(dict.fromkeys(m.upper() for m in allow_methods))
        self.expose = ", ".join(dict.fromkeys(expose_headers))
        self.expose_bytes = self.expose.encode("latin-1")

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin in self.origins

    def response_headers(self, origin: str) -> list[tuple[bytes, bytes]]:
        """The CORS headers of a response to an actual (not a preflight) request."""
        if not self.allows(origin):
            return [VARY_ORIGIN]
        return [
            VARY_ORIGIN,
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-expose-headers", self.expose_bytes),
        ]

    def preflight(self, scope: Scope, origin: str) -> PreparedResponse | None:
        """The answer to a preflight (an OPTIONS request that names the method it asks
        for); None when ``scope`` is not one."""
        if scope["method"] != "OPTIONS":
            return None
        headers = Headers(scope=scope)
        method = headers.get("access-control-request-method")
        if method is None:
            return None
        if not self.allows(origin):
            allowed = "any" if self.any_origin else ", ".join(sorted(self.origins))
            return refused(f"Origin {origin[:200]} is not allowed by CORS; allowed: {allowed}.")
        if method.strip().upper() not in self.methods:
            return refused(
                f"CORS method {method[:20]} is not allowed; allowed: {', '.join(self.methods)}."
            )
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
        return PreparedResponse(204, raw, b"")


def refused(message: str) -> PreparedResponse:
    # Off the contract (it documents no OPTIONS), in its error shape: a 400, as Starlette's
    # CORS middleware answers, since no browser reads a refused preflight's status anyway.
    return error_answer(ApiError(400, "cors_rejected", message, headers={"Vary": "Origin"}))
