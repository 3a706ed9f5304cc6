"""A target that accepts everything, as a mock tool serving the contract without its rules
does (Mockoon CLI): any body, any credential or none, any media type, answered with the
success status, one static body and one constant X-Request-Id.

Four causes, so four findings: ``CAUSES``.
"""

from __future__ import annotations

import json
from typing import Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from apikeys_contract import load_contract

CONTRACT = load_contract()
CAUSES = (
    "request bodies are not validated",
    "requests are not authenticated",
    f"{CONTRACT.request_id_header} repeated",
    "static success body",
)
# Mockoon answers with empty strings where the contract has no example; a mock that
# serves the contract's example (as Prism does) answers with that.
Body = Literal["empty strings", "the contract's example"]


def _static_body(kind: Body) -> bytes:
    example = next(iter(CONTRACT.responses[CONTRACT.success_status].examples.values()))
    if kind == "empty strings":
        example = {key: "" for key in example}
    return json.dumps(example).encode()


def create_accepts_all(body: Body = "empty strings") -> Starlette:
    static = _static_body(body)
    headers = {CONTRACT.request_id_header: "5b0e6f2c-3a47-4d7e-9c1e-2f4a8b6d9e01"}
    media_type = CONTRACT.responses[CONTRACT.success_status].media_type

    async def create(request: Request) -> Response:
        await request.body()
        return Response(static, CONTRACT.success_status, headers, media_type)

    return Starlette(routes=[Route(CONTRACT.path, create, methods=[CONTRACT.method])])
