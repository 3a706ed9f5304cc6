"""A browser app on one origin reads the mock on another: CORS preflight and exposed headers.

Drives Debian's chromium (``CHROMIUM`` overrides the path) through Playwright; Playwright's
own browser download is not used.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from apikeys_contract import load_contract
from mock_server import Settings, create_app

from .servers import serve

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>frontend</title></head>
<body><script>
// What a frontend does: fetch the mock and read the status, the body and X-Request-Id.
async function call(url, headers, body) {
  const response = await fetch(url, {method: "POST", headers, body});
  return {
    status: response.status,
    body: await response.json(),
    requestId: response.headers.get("X-Request-Id"),
  };
}
</script></body></html>
"""


class RequestLog:
    """Records (method, path, headers) of every request that reaches the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.requests.append((scope["method"], scope["path"], headers))
        await self.app(scope, receive, send)

    def preflights(self) -> list[dict[str, str]]:
        return [headers for method, _, headers in self.requests if method == "OPTIONS"]


class LiveMock(NamedTuple):
    url: str
    log: RequestLog


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found; install Debian's chromium (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def mock() -> Iterator[LiveMock]:
    log = RequestLog(create_app(Settings()))
    with serve(log) as url:
        yield LiveMock(url, log)


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    with serve(Starlette(routes=[Route("/", index)])) as url:
        yield url


@pytest.fixture(scope="module")
def page(page_origin: str) -> Iterator[Page]:
    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.set_default_timeout(15_000)
            tab.goto(page_origin + "/")
            yield tab
        finally:
            browser.close()


def fetch(page: Page, url: str, headers: dict[str, str], body: str | None) -> dict[str, Any]:
    result = page.evaluate("([u, h, b]) => call(u, h, b)", [url, headers, body])
    assert isinstance(result, dict)
    return result


def assert_request_id(result: dict[str, Any]) -> None:
    # Readable from JavaScript only because the mock lists it in Access-Control-Expose-Headers.
    assert result["requestId"] is not None, "X-Request-Id is not readable from JavaScript"
    assert str(uuid.UUID(result["requestId"])) == result["requestId"].lower()


def test_page_and_mock_are_on_different_origins(page_origin: str, mock: LiveMock) -> None:
    assert urlsplit(page_origin).netloc != urlsplit(mock.url).netloc


def test_browser_reads_201_and_request_id(page: Page, mock: LiveMock) -> None:
    result = fetch(
        page,
        mock.url + "/api-keys",
        {"Authorization": "Bearer t", "Content-Type": "application/json"},
        '{"name": "from the browser"}',
    )
    assert result["status"] == 201
    assert result["body"]["name"] == "from the browser"
    assert result["body"]["clientId"]
    assert result["body"]["clientSecret"]
    assert_request_id(result)
    # The Authorization and JSON Content-Type headers made the browser ask first.
    asked = [h.get("access-control-request-headers", "") for h in mock.log.preflights()]
    assert any("authorization" in a and "content-type" in a for a in asked), mock.log.requests


def test_browser_reads_401_without_token(page: Page, mock: LiveMock) -> None:
    result = fetch(
        page, mock.url + "/api-keys", {"Content-Type": "application/json"}, '{"name": "x"}'
    )
    assert result["status"] == 401
    assert result["body"]["code"] == "invalid_token"
    assert result["body"]["message"]
    assert_request_id(result)


def test_browser_forces_500_with_prefer(page: Page, mock: LiveMock) -> None:
    headers = {
        "Authorization": "Bearer t",
        "Content-Type": "application/json",
        "Prefer": "code=500",
    }
    result = fetch(page, mock.url + "/api-keys", headers, '{"name": "x"}')
    assert result["status"] == 500
    # A documented example, not the mock failing for real.
    assert result["body"] in load_contract().responses[500].examples.values()
    assert_request_id(result)


def test_every_browser_response_has_a_fresh_request_id(page: Page, mock: LiveMock) -> None:
    headers = {"Authorization": "Bearer t", "Content-Type": "application/json"}
    results = [fetch(page, mock.url + "/api-keys", headers, '{"name": "x"}') for _ in range(3)]
    ids = {r["requestId"] for r in results}
    assert len(ids) == 3
