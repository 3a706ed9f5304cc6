"""create_app(): wiring only. Behaviour lives in the modules it wires together."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from apikeys_contract import Contract, load_contract

from ._deadline import DeadlineExceeded, Deadlines
from ._errors import ApiError, render_error, render_json
from ._middleware import RequestContextMiddleware
from ._prefer import Forced, forced_response
from ._responses import SuccessPlan, forced_error, preference_applied
from ._settings import Settings
from ._tokens import authorize
from ._validation import (
    check_declared_length,
    check_media_type,
    parse_json,
    read_limited,
    too_slow,
    validate,
)


class _Endpoint:
    """POST /api-keys (whatever path and method the spec names)."""

    def __init__(self, contract: Contract, settings: Settings) -> None:
        self.contract = contract
        self.settings = settings
        self.plan = SuccessPlan.from_contract(contract)
        self.deadlines = Deadlines(settings.body_timeout_s)
        unauthorized = contract.responses.get(401)
        self.expired_body: dict[str, Any] = dict(
            (unauthorized.examples.get("expired_token") if unauthorized else None) or {}
        )

    async def __call__(self, request: Request) -> Response:
        try:
            forced = forced_response(self.contract, request.headers.get("prefer"))
            if forced is not None:
                return await self.forced(request, forced)
            if self.contract.bearer_auth:
                authorize(
                    self.settings.tokens,
                    request.headers.getlist("authorization"),
                    expired_body=self.expired_body,
                )
            document = await self.document(request)
            return render_json(
                self.plan.status, self.plan.body(document), media_type=self.plan.media_type
            )
        except ApiError:
            raise
        except Exception as exc:
            raise ApiError(500, "internal_error", "The mock server failed unexpectedly.") from exc

    async def document(self, request: Request) -> Any:
        check_media_type(request.headers.get("content-type"), self.contract.request_media_type)
        limit = self.settings.max_body_bytes
        check_declared_length(request.headers.get("content-length"), limit)
        try:
            body = await self.deadlines.run(read_limited(request.stream(), limit))
        except DeadlineExceeded:
            raise too_slow(self.settings.body_timeout_s) from None
        document = parse_json(body)
        validate(document, self.contract.request_validator)
        return document

    async def forced(self, request: Request, forced: Forced) -> Response:
        if forced.status != self.plan.status:
            raise forced_error(self.contract, forced)
        try:
            document = await self.document(request)
        except ApiError:
            document = None  # a forced success still answers; it echoes only a valid request
        body = self.plan.forced(forced, document)
        return render_json(
            forced.status,
            body,
            media_type=self.plan.media_type,
            headers=preference_applied(forced),
        )


def _media_type(contract: Contract, status: int) -> str:
    response = contract.responses.get(status)
    return response.media_type if response and response.media_type else "application/json"


def create_app(settings: Settings | None = None, *, contract: Contract | None = None) -> Starlette:
    """The mock as an ASGI app. ``contract`` defaults to the spec named in ``settings``."""
    settings = settings or Settings()
    contract = contract or load_contract(settings.spec)
    endpoint = _Endpoint(contract, settings)
    allowed = contract.method

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return render_error(exc, _media_type(contract, exc.status))

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
        return render_error(error)

    app = Starlette(
        routes=[Route(contract.path, endpoint.__call__, methods=[contract.method])],
        middleware=[
            Middleware(
                RequestContextMiddleware,
                request_id_header=contract.request_id_header,
                delay_ms=settings.delay_ms,
            ),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=[contract.request_id_header],
                max_age=600,
            ),
        ],
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error},
    )
    app.router.redirect_slashes = False
    app.state.contract = contract
    app.state.settings = settings
    return app
