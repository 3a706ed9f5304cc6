"""A browser app on one origin reads the mock on another: CORS preflight, exposed headers,
credentials, refused preflights; and the mock's own /docs page sends a request.

Drives Debian's chromium (``CHROMIUM`` overrides the path) through Playwright; Playwright's
own browser download is not used.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
// What a frontend does: fetch the mock and read the status, the body and the headers.
async function call(url, headers, body, init) {
  let response;
  try {
    response = await fetch(url, {method: "POST", headers, body, ...(init || {})});
  } catch (error) {
    return {error: String(error)};  // CORS refused: the browser says no more than this
  }
  return {
    status: response.status,
    body: await response.json(),
    requestId: response.headers.get("X-Request-Id"),
    preferenceApplied: response.headers.get("Preference-Applied"),
    wwwAuthenticate: response.headers.get("WWW-Authenticate"),
  };
}
</script></body></html>
"""


class Exchange(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    status: int
    response_headers: dict[str, str]
    body: bytes


class RequestLog:
    """Records every exchange that reaches the wrapped app: what the browser sent and got."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.exchanges: list[Exchange] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append((scope["method"], scope["path"], headers))
        sent: dict[str, Any] = {"body": b""}

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                sent["headers"] = {
                    k.decode("latin-1"): v.decode("latin-1") for k, v in message["headers"]
                }
            elif message["type"] == "http.response.body":
                sent["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, recording_send)
        self.exchanges.append(
            Exchange(
                scope["method"],
                scope["path"],
                headers,
                sent["status"],
                sent["headers"],
                sent["body"],
            )
        )

    def preflights(self) -> list[dict[str, str]]:
        return [headers for method, _, headers in self.requests if method == "OPTIONS"]

    def refused_preflights(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.method == "OPTIONS" and e.status != 204]


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


@contextlib.contextmanager
def live_mock(settings: Settings) -> Iterator[LiveMock]:
    log = RequestLog(create_app(settings))
    with serve(log) as url:
        yield LiveMock(url, log)


@pytest.fixture(scope="module")
def mock() -> Iterator[LiveMock]:
    with live_mock(Settings()) as running:
        yield running


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    with serve(Starlette(routes=[Route("/", index)])) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def page(browser: Browser, page_origin: str) -> Iterator[Page]:
    tab = browser.new_page()
    tab.set_default_timeout(15_000)
    tab.goto(page_origin + "/")
    yield tab
    tab.close()


def fetch(
    page: Page,
    url: str,
    headers: dict[str, str],
    body: str | None,
    init: dict[str, str] | None = None,
) -> dict[str, Any]:
    result = page.evaluate("([u, h, b, i]) => call(u, h, b, i)", [url, headers, body, init])
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


JSON_AUTH = {"Authorization": "Bearer t", "Content-Type": "application/json"}


def test_browser_reads_preference_applied(page: Page, mock: LiveMock) -> None:
    headers = {**JSON_AUTH, "Prefer": "code=400, example=malformed_json"}
    result = fetch(page, mock.url + "/api-keys", headers, '{"name": "x"}')
    assert result["status"] == 400
    assert result["preferenceApplied"] == "code=400, example=malformed_json"
    assert result["body"]["code"] == "malformed_json"


def test_browser_reads_www_authenticate(page: Page, mock: LiveMock) -> None:
    headers = {"Authorization": "Bearer expired-token", "Content-Type": "application/json"}
    result = fetch(page, mock.url + "/api-keys", headers, '{"name": "x"}')
    assert result["status"] == 401
    assert result["wwwAuthenticate"] == 'Bearer error="invalid_token"'


def test_credentialed_requests_work_with_any_origin(page: Page, mock: LiveMock) -> None:
    # With the default "*", a browser refuses a credentialed answer unless the origin is echoed.
    result = fetch(
        page,
        mock.url + "/api-keys",
        JSON_AUTH,
        '{"name": "with cookies"}',
        {"credentials": "include"},
    )
    assert result.get("status") == 201, result
    assert result["body"]["name"] == "with cookies"
    assert_request_id(result)


def test_credentialed_requests_work_with_explicit_origins(page: Page, page_origin: str) -> None:
    with live_mock(Settings(cors_origins=(page_origin,))) as listed:
        result = fetch(
            page, listed.url + "/api-keys", JSON_AUTH, '{"name": "x"}', {"credentials": "include"}
        )
    assert result.get("status") == 201, result
    assert_request_id(result)


def assert_refused_in_contract_shape(exchange: Exchange, reason: str) -> None:
    assert exchange.status == 400
    assert exchange.response_headers["content-type"] == "application/json"
    body = json.loads(exchange.body)
    assert load_contract().validator("/components/schemas/ApiError").is_valid(body)
    assert body["code"] == "cors_rejected"
    assert reason in body["message"]
    assert uuid.UUID(exchange.response_headers["x-request-id"])


def test_another_origin_is_refused_in_the_contract_shape(page: Page) -> None:
    with live_mock(Settings(cors_origins=("http://elsewhere.test",))) as closed:
        result = fetch(page, closed.url + "/api-keys", JSON_AUTH, '{"name": "x"}')
    assert "error" in result, result  # the browser blocked it
    [refused] = closed.log.refused_preflights()
    assert_refused_in_contract_shape(refused, "is not allowed by CORS")
    assert [e.method for e in closed.log.exchanges] == ["OPTIONS"]  # the POST never left


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_only_the_documented_method_is_allowed(page: Page, method: str) -> None:
    with live_mock(Settings()) as running:
        url = running.url + "/api-keys"
        result = fetch(page, url, JSON_AUTH, '{"name": "x"}', {"method": method})
    assert "error" in result, result
    [refused] = running.log.refused_preflights()
    assert_refused_in_contract_shape(refused, f"CORS method {method} is not allowed")


def test_docs_page_shows_the_operation_and_sends_a_request(browser: Browser) -> None:
    with live_mock(Settings()) as running:
        tab = browser.new_page()
        tab.set_default_timeout(15_000)
        requested: list[str] = []
        tab.on("request", lambda request: requested.append(request.url))
        try:
            tab.goto(running.url + "/docs")
            operation = tab.locator(".opblock-post").filter(has_text="/api-keys")
            operation.locator(".opblock-summary").click()
            # Authorize with a bearer token, as a developer would.
            tab.locator(".auth-wrapper button.authorize").click()
            tab.locator(".modal-ux input").fill("docs-token")
            tab.locator(".modal-ux button.authorize").click()
            tab.locator(".modal-ux button.btn-done").click()
            body = operation.locator("textarea.body-param__text")
            body.fill('{"name": "from the docs"}')
            operation.locator("button.execute").click()
            status = operation.locator(".live-responses-table tbody td.response-col_status").first
            status.wait_for()
            assert status.inner_text().strip().startswith("201")
            shown = operation.locator(
                ".live-responses-table tbody td.response-col_description"
            ).first
            assert "from the docs" in shown.inner_text()
        finally:
            tab.close()
    posts = [e for e in running.log.exchanges if e.method == "POST"]
    assert len(posts) == 1
    assert posts[0].headers["authorization"] == "Bearer docs-token"
    assert posts[0].status == 201
    # Everything the page loaded came from the mock: no CDN, no validator badge.
    assert requested
    assert all(url.startswith(running.url + "/") for url in requested), requested
