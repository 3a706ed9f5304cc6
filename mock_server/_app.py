"""create_app(): wiring only. Behaviour lives in the modules it wires together."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from apikeys_contract import Contract, load_contract

from ._cors import BrowserCORS
from ._endpoint import Endpoint
from ._errors import ApiError, ErrorResponse
from ._middleware import RequestContextMiddleware
from ._settings import Settings


def create_app(settings: Settings | None = None, *, contract: Contract | None = None) -> Starlette:
    """The mock as an ASGI app. ``contract`` defaults to the spec named in ``settings``."""
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

    app = Starlette(
        routes=[Route(contract.path, endpoint, methods=[contract.method])],
        middleware=[
            Middleware(
                RequestContextMiddleware,
                request_id_header=contract.request_id_header,
                delay_ms=settings.delay_ms,
            ),
            Middleware(
                BrowserCORS,
                allow_origins=settings.cors_origins,
                expose_headers=[contract.request_id_header],
            ),
        ],
        exception_handlers={HTTPException: on_http_error},
    )
    app.router.redirect_slashes = False
    app.state.contract = contract
    app.state.settings = settings
    return app
