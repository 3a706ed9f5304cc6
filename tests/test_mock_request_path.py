"""The one request path: the operation and every other route meet the same per-request work."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from mock_server import Settings, create_app

from .conftest import ListSink
from .servers import serve

ORIGIN = "http://app.test"
HEADERS = {"Authorization": "Bearer any-token", "Origin": ORIGIN}


async def broken_page(request: Request) -> Response:
    raise LookupError("a bug in a page")


@pytest.fixture(params=["asgi", "http"])
def mock(request: pytest.FixtureRequest) -> Iterator[tuple[httpx.Client, ListSink]]:
    """A mock with one page that fails, in-process and over real HTTP; its log."""
    sink = ListSink()
    app = create_app(Settings(cors_origins=(ORIGIN,)), request_log=sink)
    app.router.routes.append(Route("/broken", broken_page))
    if request.param == "asgi":
        with TestClient(app, base_url="http://mock.test", raise_server_exceptions=False) as c:
            yield c, sink
    else:
        with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            yield client, sink


def test_every_route_gets_the_same_request_id_cors_log_line_and_record(
    mock: tuple[httpx.Client, ListSink],
) -> None:
    client, sink = mock
    answered = [
        client.post("/api-keys", json={"name": "   "}, headers=HEADERS),  # the operation
        client.get("/openapi.json", headers=HEADERS),  # a page
        client.get("/nowhere", headers=HEADERS),  # off the contract
        client.get("/broken", headers=HEADERS),  # a page with a bug
    ]
    assert [r.status_code for r in answered] == [400, 200, 404, 500]
    assert (
        answered[-1].json()["code"] == "internal_error"
    )  # the contract's 500, as for the operation
    assert "a bug in a page" not in answered[-1].text
    for response in answered:
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert response.headers["x-request-id"]
    journal = client.get("/__mock/requests").json()["requests"]
    logged = [r for r in sink.records() if r["path"] != "/__mock/requests"]
    ids = [r.headers["x-request-id"] for r in answered]
    assert [e["request_id"] for e in reversed(journal)] == ids
    assert [e["status"] for e in reversed(journal)] == [400, 200, 404, 500]
    assert [line["request_id"] for line in logged] == ids
    assert [line.get("error") for line in logged] == [None, None, None, "LookupError"]
