"""POST /api-keys with FastAPI and pydantic, the way a team writes it, served by uvicorn.

    python tests/peers/fastapi_app.py --port 0 --tokens good --forbidden ro [--defect NAME]

The body is a pydantic model (``Field(min_length=1, max_length=100)``: pydantic counts code
points). The contract's ``\\S+`` is ECMA-262, which neither pydantic's default regex engine
(Rust's ``regex`` crate) nor Python's ``re`` follows for U+FEFF and U+001C..U+001F, so a
validator checks it against ECMA-262's whitespace set. Validation errors are answered 400
(not FastAPI's default 422) in the contract's Error shape, a dependency refuses the
``application/*+json`` bodies FastAPI would parse, a middleware adds X-Request-Id,
and an ``HTTPBearer`` dependency answers 401 or 403.

Starlette's ``Request.json()`` is ``json.loads`` on the raw bytes, so the leniencies of the
standard-library peer apply here too (byte order mark, UTF-16/32, NaN, duplicate keys,
lone surrogates). A lone surrogate cannot be encoded as UTF-8, so responses are written
with ``json.dumps``' ASCII escapes, as ``JSONResponse`` would not.

``--defect`` switches on a bug a team really makes (see ``DEFECTS``). With
``--expires-in-days`` the body also takes ``expiresInDays``, an integer from 1 to 365, for
the contract tests/variants/expires-in-days.yaml, and echoes it.
"""

import argparse
import json
import secrets
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

ECMA_WHITESPACE = frozenset(
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)

JSON = "application/json"

DEFECTS = {
    "default-422": "FastAPI's own validation error handler: 422 {'detail': [...]}",
    "no-token-check": "HTTPBearer only: any well-formed bearer token creates keys",
    "echo-token": "the 401 for an unknown token quotes the token it was sent",
    "detail-errors": "FastAPI's own HTTPException handler: {'detail': ...} without message",
    "lax-mode": "pydantic's default lax mode: '1' is an integer, 1 a boolean",
}


class CreateApiKey(BaseModel):
    model_config = ConfigDict(strict=True)

    name: str = Field(min_length=1, max_length=100)

    @field_validator("name")
    @classmethod
    def not_blank(cls, name: str) -> str:
        if all(char in ECMA_WHITESPACE for char in name):
            raise ValueError("must contain a character that is not whitespace")
        return name


class CreateExpiringApiKey(CreateApiKey):
    expiresInDays: int = Field(ge=1, le=365)

    @field_validator("expiresInDays", mode="before")
    @classmethod
    def whole_number(cls, value: Any) -> Any:
        # JSON Schema counts 1.0 as an integer; pydantic's strict mode takes only 1.
        return int(value) if isinstance(value, float) and value.is_integer() else value


def request_model(*, expiring: bool, lax: bool) -> type[CreateApiKey]:
    base = CreateExpiringApiKey if expiring else CreateApiKey
    if not lax:
        return base

    class Lax(base):  # type: ignore[valid-type, misc]
        model_config = ConfigDict(strict=False)

    return Lax


class AsciiJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content).encode()


def error(status: int, code: str, message: str) -> Response:
    return AsciiJSONResponse({"code": code, "message": message}, status)


def create_app(
    tokens: set[str], forbidden: set[str], defects: set[str], *, expiring: bool = False
) -> FastAPI:
    app = FastAPI(default_response_class=AsciiJSONResponse)
    Body = request_model(expiring=expiring, lax="lax-mode" in defects)
    bearer = HTTPBearer(auto_error=False)

    @app.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["X-Request-Id"] = str(uuid.uuid4())
        return response

    if "default-422" not in defects:

        @app.exception_handler(RequestValidationError)
        async def invalid(request: Request, exc: RequestValidationError) -> Response:
            problems = [".".join(map(str, e["loc"])) + ": " + e["msg"] for e in exc.errors()[:5]]
            return error(400, "invalid_request", "; ".join(problems) or "invalid request")

    if "detail-errors" not in defects:

        @app.exception_handler(StarletteHTTPException)
        async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
            code = {400: "invalid_request", 401: "invalid_token", 403: "permission_denied"}.get(
                exc.status_code
            )
            response = error(exc.status_code, code or "error", str(exc.detail))
            response.headers.update(exc.headers or {})
            return response

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        response = error(500, "internal_error", "Something went wrong.")
        response.headers["X-Request-Id"] = str(uuid.uuid4())  # outside the middleware
        return response

    def authorized(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        if credentials is None or not credentials.credentials:
            raise HTTPException(401, "Missing bearer token in the Authorization header.")
        token = credentials.credentials
        if "no-token-check" in defects:
            return token
        if token in forbidden:
            raise HTTPException(403, "This token may not create API keys.")
        if token not in tokens:
            shown = f" {token!r}" if "echo-token" in defects else ""
            raise HTTPException(401, f"Unknown access token{shown}.")
        return token

    def json_only(content_type: Annotated[str | None, Header()] = None) -> None:
        # FastAPI also parses application/*+json bodies; the contract takes JSON only.
        if content_type is not None and content_type.split(";")[0].strip().lower() != JSON:
            raise HTTPException(400, "Content-Type must be application/json.")

    @app.post("/api-keys", status_code=201, dependencies=[Depends(json_only)])
    def create_api_key(
        body: Body,  # type: ignore[valid-type]
        token: Annotated[str, Depends(authorized)],
    ) -> dict[str, Any]:
        echoed = body.model_dump()  # type: ignore[attr-defined]
        return {**echoed, "clientId": str(uuid.uuid4()), "clientSecret": secrets.token_urlsafe(32)}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--tokens", action="append", default=[], help="comma-separated")
    parser.add_argument("--forbidden", action="append", default=[], help="comma-separated")
    parser.add_argument("--defect", action="append", default=[], choices=sorted(DEFECTS))
    parser.add_argument("--expires-in-days", action="store_true", help="take expiresInDays too")
    args = parser.parse_args(argv)

    def split(values: list[str]) -> set[str]:
        return {t for value in values for t in value.split(",") if t}

    app = create_app(
        split(args.tokens), split(args.forbidden), set(args.defect), expiring=args.expires_in_days
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
