"""CORS for browser apps: Starlette's middleware, for the requests that carry an Origin.

Requests without one (curl, test suites, servers) skip it and save its cost on the hot path;
responses to them carry no CORS headers, which no browser will ever look for.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from ._headers import has_origin


class BrowserCORS:
    def __init__(
        self, app: ASGIApp, *, allow_origins: Sequence[str], expose_headers: Sequence[str]
    ) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=allow_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=expose_headers,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and has_origin(scope):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
