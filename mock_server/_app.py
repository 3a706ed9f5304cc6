"""create_app(): wiring only. Behaviour lives in the modules it wires together."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from apikeys_contract import Contract, load_contract

from ._cors import BrowserCORS
from ._docs import docs_routes
from ._endpoint import Endpoint
from ._errors import ApiError, ErrorResponse
from ._injection import Injector
from ._inspector import install_journal
from ._log import ACCESS_LOGGER, LogSink
from ._middleware import RequestContextMiddleware
from ._operation import Operation
from ._prefer import PREFERENCE_APPLIED
from ._settings import Settings


class MockApp(Starlette):
    """Starlette, with the contract's operation dispatched ahead of the router.

    Requests for the operation's path and method skip Starlette's routing and exception
    layers (a third of the mock's time per request) and its middleware: ``Operation``
    does the same request-context, CORS and journal work as plain calls. Everything else
    (404, 405, CORS preflights, an app mounted under a root path) goes through Starlette.
    """

    def __init__(self, *, operation: Operation, path: str, method: str, **options: Any) -> None:
        super().__init__(**options)
        self.operation = operation
        self.operation_path = path
        self.operation_method = method

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == self.operation_path
            and scope["method"] == self.operation_method
            and not scope.get("root_path")
        ):
            await self.operation(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    *,
    contract: Contract | None = None,
    request_log: LogSink | None = ACCESS_LOGGER,
) -> MockApp:
    """The mock as an ASGI app. ``contract`` defaults to the spec named in ``settings``.
    Request log lines go to ``request_log`` (None: no log), by default to the
    ``mock_server.access`` logger at INFO."""
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

    # Every response header the contract documents, and the one Prefer answers with.
    documented = [name for r in contract.responses.values() for name in r.headers]

    def with_context(app: ASGIApp) -> RequestContextMiddleware:
        cors = BrowserCORS(
            app,
            allow_origins=settings.cors_origins,
            allow_methods=[contract.method],
            expose_headers=[*documented, PREFERENCE_APPLIED],
        )
        return RequestContextMiddleware(
            cors,
            request_id_header=contract.request_id_header,
            delay_ms=settings.delay_ms,
            log=request_log,
        )

    context = with_context(endpoint)
    assert isinstance(context.app, BrowserCORS)
    injector = Injector(endpoint, settings)  # Prefer: fault=..., --chaos, --rate-limit
    app = MockApp(
        operation=Operation(endpoint, context=context, cors=context.app, injector=injector),
        path=contract.path,
        method=contract.method,
        routes=[
            Route(contract.path, endpoint, methods=[contract.method]),
            *(docs_routes(contract) if settings.docs else []),
        ],
        middleware=[Middleware(with_context)],
        exception_handlers={HTTPException: on_http_error},
    )
    app.router.redirect_slashes = False
    if settings.journal:
        install_journal(app, contract, settings.journal_size)
    app.state.contract = contract
    app.state.settings = settings
    app.state.injector = injector
    return app
