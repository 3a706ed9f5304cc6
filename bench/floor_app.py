"""The Python floor: bare Starlette on uvicorn[standard], a fixed 201, no validation.

Serve it the way the mock is served (httptools, uvloop, no access log)::

    python -m uvicorn bench.floor_app:app --host 127.0.0.1 --port 8001 \
        --http httptools --loop uvloop --no-access-log --log-level warning
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The contract's 201 example, encoded once: the floor does no per-request work of its own.
BODY = (
    b'{"name":"ci-deploy-key","clientId":"5b0e6f2c-3a47-4d7e-9c1e-2f4a8b6d9e01",'
    b'"clientSecret":"Qm9vZ2llLXdvb2dpZS1zZWNyZXQtdmFsdWUtMDAwMDE"}'
)
HEADERS = {"X-Request-Id": "b0658b67-8ea3-46de-a3b8-18c3f5347def"}


async def create_api_key(request: Request) -> Response:
    await request.body()
    return Response(BODY, status_code=201, headers=HEADERS, media_type="application/json")


app = Starlette(routes=[Route("/api-keys", create_api_key, methods=["POST"])])
