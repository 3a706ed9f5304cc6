"""create_app(): wiring only. Behaviour lives in the modules it wires together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from apikeys_contract import Contract, load_contract

from ..common import ACCESS_LOGGER, PREFERENCE_APPLIED, ApiError, ErrorResponse, LogSink
from ..journal import Journal, Recording, Redactor, journal_routes
from ._cors import BrowserCORS
from ._docs import docs_routes
from ._endpoint import Endpoint
from ._injection import Injector
from ._request_path import RequestPath
from ._settings import Settings


class MockApp(Starlette):
    """Starlette, entered through the mock's one request path (``RequestPath``) in place of
    Starlette's server-error layer: the path answers the contract's operation itself and
    hands every other request to Starlette's exception layer and router."""

    def __init__(self, *, request_path: Callable[[ASGIApp], RequestPath], **options: Any) -> None:
        super().__init__(**options)
        self.request_path = request_path

    def build_middleware_stack(self) -> ASGIApp:
        pages: ASGIApp = self.router
        for cls, args, kwargs in reversed(self.user_middleware):
            pages = cls(pages, *args, **kwargs)
        handlers = {k: v for k, v in self.exception_handlers.items() if k not in (500, Exception)}
        return self.request_path(ExceptionMiddleware(pages, handlers=handlers, debug=self.debug))


def create_app(
    settings: Settings | None = None,
    *,
    contract: Contract | None = None,
    request_log: LogSink | None = ACCESS_LOGGER,
) -> MockApp:
    """The mock as an ASGI app. ``contract`` defaults to the spec named in ``settings``.
    Request log lines go to ``request_log`` (None: no log), by default to the
    ``mock_server.access`` logger at INFO. Unless ``settings.journal`` is off, every
    exchange is kept in a journal (``app.state.journal``) served under ``/__mock/``."""
    settings = settings or Settings()
    contract = contract or load_contract(settings.spec)
    endpoint = Endpoint(contract, settings)
    allowed = contract.method

    async def on_http_error(request: Request, exc: Exception) -> Response:
        # Off the contract: unknown paths (404) and other methods (405, with Allow).
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            error = ApiError(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {request.url.path}; use {allowed}.",
                headers={"Allow": allowed},
            )
        elif exc.status_code == 404:
            error = ApiError(
                404,
                "not_found",
                f"No operation at {request.url.path[:200]}; "
                f"this mock serves {allowed} {contract.path}.",
            )
        else:
            error = ApiError(exc.status_code, "http_error", str(exc.detail))
        return ErrorResponse(error)

    journal = Journal(settings.journal_size) if settings.journal else None
    recording = None
    if journal is not None:
        recording = Recording(journal, Redactor(contract), (contract.path, contract.method))
    # Every response header the contract documents, and the one Prefer answers with.
    documented = [name for r in contract.responses.values() for name in r.headers]
    cors = BrowserCORS(
        allow_origins=settings.cors_origins,
        allow_methods=[contract.method],
        expose_headers=[*documented, PREFERENCE_APPLIED],
    )

    def request_path(pages: ASGIApp) -> RequestPath:
        return RequestPath(
            pages,
            endpoint=endpoint,
            cors=cors,
            request_id_header=contract.request_id_header,
            delay_ms=settings.delay_ms,
            log=request_log,
            recording=recording,
            injector=injector,
        )

    injector = Injector(endpoint, settings)  # Prefer: fault=..., --chaos, --rate-limit
    app = MockApp(
        request_path=request_path,
        routes=[
            # The operation's path for a mounted app (the request path answers it
            # directly otherwise), and for 405 with Allow on its other methods.
            Route(contract.path, endpoint, methods=[contract.method]),
            *(docs_routes(contract) if settings.docs else []),
            *(journal_routes(journal, contract) if journal is not None else []),
        ],
        exception_handlers={HTTPException: on_http_error},
    )
    app.router.redirect_slashes = False
    app.state.contract = contract
    app.state.settings = settings
    app.state.journal = journal
    app.state.injector = injector
    return app
