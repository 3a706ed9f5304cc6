"""The README's Playwright recipe, run as written: a frontend on its own origin calls the
mock, and the test asserts through the journal that the UI sent a valid request.

``apikeys_mock`` comes from the package's pytest plugin, loaded as the README says.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from .servers import serve

if TYPE_CHECKING:
    from mock_server.pytest_plugin import MockServer

pytest_plugins = ["mock_server.pytest_plugin"]
pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))

# The frontend under test: a form that creates an API key. Its bug: it does not trim.
FRONTEND = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
</head><body>
<input id="name"><button id="create">Create key</button><p id="result"></p>
<script>
document.getElementById("create").addEventListener("click", async () => {
  const api = new URLSearchParams(location.search).get("api");
  const response = await fetch(api + "/api-keys", {
    method: "POST",
    headers: {"Authorization": "Bearer ui-token", "Content-Type": "application/json"},
    body: JSON.stringify({name: document.getElementById("name").value}),
  });
  document.getElementById("result").textContent = String(response.status);
});
</script></body></html>"""


@pytest.fixture(scope="module")
def frontend() -> Iterator[str]:
    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(FRONTEND)

    with serve(Starlette(routes=[Route("/", index)])) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {CHROMIUM} not found")
        pytest.skip(f"{CHROMIUM} not found")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless"]
        )
        try:
            tab = browser.new_page()
            tab.set_default_timeout(15_000)
            yield tab
        finally:
            browser.close()


def test_the_ui_sends_a_valid_request(apikeys_mock: MockServer, page: Page, frontend: str) -> None:
    page.goto(f"{frontend}/?api={apikeys_mock.url}")
    page.fill("#name", "deploy key")
    page.click("#create")
    sent = apikeys_mock.journal.wait_for(method="POST", path="/api-keys")
    assert sent["verdict"] == "ok", sent["rule"]
    assert sent["request"]["body"] == {"name": "deploy key"}
    page.wait_for_selector("#result:has-text('201')")


def test_the_journal_shows_why_the_ui_was_refused(
    apikeys_mock: MockServer, page: Page, frontend: str
) -> None:
    page.goto(f"{frontend}/?api={apikeys_mock.url}")
    page.fill("#name", "   ")
    page.click("#create")
    sent = apikeys_mock.journal.wait_for(method="POST", path="/api-keys")
    assert sent["verdict"] == "rejected"
    assert sent["rule"]["summary"] == "/name failing its pattern"
    assert sent["rule"]["problems"][0]["pointer"] == "/name"
