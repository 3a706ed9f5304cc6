"""The inspector page in headless Chromium: exchanges appear live, filter by verdict, and a
rejected request shows the rule it broke with the request and the response side by side.
Nothing is loaded from anywhere but the mock (no CDN)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from mock_server import Settings, create_app
from mock_server.proxy._proxy import ProxyApp
from mock_server.proxy._proxy_settings import ProxySettings

from .servers import serve
from .targets import VALID_TOKEN, Defects, create_target

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"]
HEADERS = {"Authorization": "Bearer inspector-token", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve(create_app(Settings())) as url:
        yield url


WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def viewport() -> dict[str, int]:
    return WIDE


@pytest.fixture
def page(mock_url: str, viewport: dict[str, int]) -> Iterator[tuple[Page, list[str]]]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {CHROMIUM} not found")
        pytest.skip(f"{CHROMIUM} not found; install Debian's chromium")
    httpx.delete(mock_url + "/__mock/requests")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
            tab.set_default_timeout(15_000)
            loaded: list[str] = []
            tab.on("request", lambda request: loaded.append(request.url))
            errors: list[str] = []
            tab.on("pageerror", lambda error: errors.append(str(error)))
            tab.goto(mock_url + "/__mock/")
            yield tab, loaded
            assert errors == []
        finally:
            browser.close()


def send(url: str, body: str) -> httpx.Response:
    return httpx.post(url + "/api-keys", content=body, headers=HEADERS, timeout=10)


def test_exchanges_appear_live_and_filter_by_verdict(
    page: tuple[Page, list[str]], mock_url: str
) -> None:
    tab, loaded = page
    tab.wait_for_selector("#empty", state="visible")
    send(mock_url, '{"name": "from the inspector"}')
    send(mock_url, '{"name": "   "}')
    tab.wait_for_selector('#exchanges tbody tr[data-verdict="ok"]')
    tab.wait_for_selector('#exchanges tbody tr[data-verdict="rejected"]')
    assert tab.locator("#exchanges tbody tr").count() == 2
    tab.click('#filters button[data-filter="rejected"]')
    assert tab.locator("#exchanges tbody tr:not(.hidden)").count() == 1
    assert tab.locator("#exchanges tbody tr:not(.hidden)").get_attribute("data-verdict") == (
        "rejected"
    )
    tab.click('#filters button[data-filter="ok"]')
    assert tab.locator("#exchanges tbody tr:not(.hidden)").get_attribute("data-verdict") == "ok"
    tab.click('#filters button[data-filter="all"]')
    assert tab.locator("#exchanges tbody tr:not(.hidden)").count() == 2
    assert all(url.startswith(mock_url) for url in loaded), loaded


def test_a_rejected_request_shows_its_rule_side_by_side(
    page: tuple[Page, list[str]], mock_url: str
) -> None:
    tab, _ = page
    send(mock_url, '{"name": "<img src=x onerror=alert(1)>", "x": 1}')
    send(mock_url, '{"name": ""}')
    tab.click('#exchanges tbody tr[data-verdict="rejected"]')
    assert tab.text_content("#rule-summary") == "/name under minLength"
    assert "request body: application/json" in (tab.text_content("#rule-contract") or "")
    assert tab.locator("#problems tbody tr td").first.text_content() == "/name"
    request_body = tab.text_content("#request-side .body") or ""
    response_body = tab.text_content("#response-side .body") or ""
    assert '"name": ""' in request_body
    assert "invalid_request" in response_body
    assert "[redacted]" in (tab.text_content("#request-side .headers") or "")
    # Side by side: the two panes share a row.
    left = tab.locator("#request-side").bounding_box()
    right = tab.locator("#response-side").bounding_box()
    assert left is not None
    assert right is not None
    assert left["x"] < right["x"]
    assert abs(left["y"] - right["y"]) < 1
    # Request bodies are shown as text, never as markup.
    tab.click('#exchanges tbody tr[data-verdict="ok"]')
    assert "<img src=x" in (tab.text_content("#request-side .body") or "")
    assert tab.locator("#request-side img").count() == 0


def visible_rows(tab: Page) -> list[str]:
    return [
        text or "" for text in tab.locator("#exchanges tbody tr:not(.hidden)").all_inner_texts()
    ]


def test_the_list_fills_a_wide_window_and_says_how_to_open_an_exchange(
    page: tuple[Page, list[str]], mock_url: str
) -> None:
    tab, _ = page
    sent = send(mock_url, '{"name": "wide"}')
    tab.wait_for_selector("#exchanges tbody tr")
    width = tab.locator("#exchanges").bounding_box()
    assert width is not None
    assert width["width"] >= 0.9 * WIDE["width"]
    assert "Click an exchange" in (tab.text_content("#hint") or "")
    row = tab.locator("#exchanges tbody tr").first
    assert row.evaluate("tr => getComputedStyle(tr).cursor") == "pointer"
    # The request id a frontend developer sees in the browser console, in the list.
    assert sent.headers["x-request-id"] in visible_rows(tab)[0]
    row.focus()
    tab.keyboard.press("Enter")  # the keyboard opens it too
    assert tab.is_visible("#detail")
    tab.keyboard.press("Escape")
    assert tab.is_hidden("#detail")


@pytest.mark.parametrize("viewport", [PHONE])
def test_a_phone_never_scrolls_sideways(page: tuple[Page, list[str]], mock_url: str) -> None:
    tab, _ = page
    sent = send(mock_url, '{"name": "' + "long-name-" * 30 + '"}')
    httpx.get(mock_url + "/a/path/no/operation/serves/" + "x" * 120 + "?q=" + "y" * 80)
    tab.wait_for_selector("#exchanges tbody tr >> nth=1")
    overflow = "e => e.scrollWidth - e.clientWidth"
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert tab.locator("#exchanges tbody tr td.rid").first.is_visible()
    tab.locator("#exchanges tbody tr").last.click()
    assert tab.is_visible("#detail")
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert tab.locator("#detail").evaluate(overflow) <= 0
    assert sent.headers["x-request-id"] in (tab.text_content("#detail-meta") or "")


def test_the_mocks_own_pages_are_hidden_until_asked_for(
    page: tuple[Page, list[str]], mock_url: str
) -> None:
    tab, _ = page
    for path in ("/docs", "/docs/", "/openapi.json", "/openapi.yaml", "/docs/swagger-ui.css"):
        httpx.get(mock_url + path)
    send(mock_url, '{"name": "mine"}')
    tab.wait_for_selector("#exchanges tbody tr >> nth=5", state="attached")
    paths = "#exchanges tbody tr:not(.hidden) td.path"
    assert tab.locator(paths).all_inner_texts() == ["/api-keys"]
    tab.check("#show-own")
    assert tab.locator(paths).all_inner_texts() == [
        "/api-keys", "/docs/swagger-ui.css", "/openapi.yaml", "/openapi.json", "/docs/", "/docs",
    ]  # fmt: skip
    tab.uncheck("#show-own")
    assert len(visible_rows(tab)) == 1


def test_a_forced_response_is_labelled_forced(page: tuple[Page, list[str]], mock_url: str) -> None:
    tab, _ = page
    forced = httpx.post(
        mock_url + "/api-keys", json={"name": "f"}, headers={**HEADERS, "Prefer": "code=500"}
    )
    assert forced.status_code == 500
    send(mock_url, '{"name": "plain"}')
    tab.wait_for_selector("#exchanges tbody tr >> nth=1")
    badges = tab.locator("#exchanges tbody tr .badge").all_inner_texts()
    assert badges == ["ok", "forced"]
    tab.click("#exchanges tbody tr[data-forced]")
    assert "Prefer: code=500" in (tab.text_content("#forced-note") or "")
    assert tab.is_visible("#forced-note")


def test_clear_empties_the_journal(page: tuple[Page, list[str]], mock_url: str) -> None:
    tab, _ = page
    send(mock_url, '{"name": "a"}')
    tab.wait_for_selector("#exchanges tbody tr")
    tab.click("#clear")
    tab.wait_for_selector("#empty", state="visible")
    assert httpx.get(mock_url + "/__mock/requests").json()["count"] == 0


def test_the_proxy_shows_violations_in_the_inspector() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found")
    with serve(create_target(Defects(request_id="constant"))) as upstream:
        proxy = ProxyApp(Settings(), ProxySettings(upstream=upstream))
        with serve(proxy) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                tab = browser.new_page()
                tab.set_default_timeout(15_000)
                tab.goto(url + "/__mock/")
                token = {"Authorization": f"Bearer {VALID_TOKEN}"}
                for name in ("a", "b"):
                    httpx.post(url + "/api-keys", json={"name": name}, headers=token, timeout=10)
                tab.click('#filters button[data-filter="violation"]')
                tab.click('#exchanges tbody tr[data-verdict="violation"]')
                text = tab.text_content("#violations ul") or ""
            finally:
                browser.close()
    assert "headers: X-Request-Id repeated" in text


def test_an_injected_answer_is_labelled_injected(
    page: tuple[Page, list[str]], mock_url: str
) -> None:
    tab, _ = page
    slow = httpx.post(
        mock_url + "/api-keys",
        json={"name": "s"},
        headers={**HEADERS, "Prefer": "fault=slow-body, dribble=100ms"},
    )
    assert slow.status_code == 201
    send(mock_url, '{"name": "plain"}')
    tab.wait_for_selector("#exchanges tbody tr >> nth=1")
    badges = tab.locator("#exchanges tbody tr .badge").all_inner_texts()
    assert badges == ["ok", "injected"]
    tab.click("#exchanges tbody tr[data-injected]")
    assert "Injected by the mock" in (tab.text_content("#forced-note") or "")
    assert "Prefer: fault=slow-body" in (tab.text_content("#forced-note") or "")
