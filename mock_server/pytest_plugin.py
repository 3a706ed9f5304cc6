"""pytest fixtures for end-to-end suites: the mock (or the validation proxy) on a free port,
and a client for its request journal. Load it with ``pytest -p mock_server.pytest_plugin``
or ``pytest_plugins = ["mock_server.pytest_plugin"]`` in the root ``conftest.py``.

    def test_signup_creates_a_key(apikeys_mock, page):
        page.goto(f"http://localhost:3000/?api={apikeys_mock.url}")
        page.click("text=Create key")
        sent = apikeys_mock.journal.wait_for(method="POST", path="/api-keys")
        assert sent["verdict"] == "ok", sent["rule"]

``apikeys_mock_server`` starts one server for the session (uvicorn in a thread, bound to
127.0.0.1); ``apikeys_mock`` is that server with its journal cleared before each test.
Options (each with the mock's environment twin): ``--apikeys-mock-spec``,
``--apikeys-mock-tokens``, ``--apikeys-mock-proxy URL`` (run the validation proxy in front
of URL instead of the mock), ``--apikeys-mock-proxy-strict``, and the mock's injected faults:
``--apikeys-mock-chaos SPEC``, ``--apikeys-mock-chaos-seed N`` and
``--apikeys-mock-rate-limit N/s`` (see the mock's ``--chaos``). Nothing starts unless a
test asks for a fixture. The journal client uses only the standard library. It is not
registered as an entry point: loaded into every pytest run of an environment, its
constants would change what Hypothesis generates there (the harness's pytest plugin and
its CLI would no longer send the same requests for a seed).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .server import serve_in_thread


class JournalClient:
    """``GET``/``DELETE /__mock/requests`` of one server."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.url = base_url.rstrip("/") + "/__mock/requests"
        self.timeout = timeout

    def _call(self, method: str, query: str = "") -> Any:
        request = urllib.request.Request(self.url + query, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"journal: {exc.code} {exc.read()[:300]!r}") from None

    def requests(self, **filters: str | int) -> list[dict[str, Any]]:
        """Exchanges newest first; filters as ``GET /__mock/requests`` takes them
        (``status``, ``verdict``, ``since``, ``until``, ``method``, ``path``, ``after``,
        ``limit``)."""
        query = urllib.parse.urlencode({k: str(v) for k, v in filters.items()})
        found: list[dict[str, Any]] = self._call("GET", f"?{query}" if query else "")["requests"]
        return found

    def last(self, **filters: str | int) -> dict[str, Any] | None:
        found = self.requests(limit=1, **filters)
        return found[0] if found else None

    def wait_for(
        self, *, timeout: float = 10.0, poll: float = 0.05, **filters: str | int
    ) -> dict[str, Any]:
        """The newest exchange matching ``filters``, waiting up to ``timeout`` seconds for
        one to arrive (a UI sends its request some time after the click)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.last(**filters)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no exchange matching {filters} within {timeout:g} s")
            time.sleep(poll)

    def clear(self) -> int:
        cleared: int = self._call("DELETE")["cleared"]
        return cleared


@dataclass(frozen=True)
class MockServer:
    """A running mock (or proxy): its base URL and its journal."""

    url: str
    journal: JournalClient
    app: Any


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apikeys-mock", "the apikeys mock for end-to-end tests")
    env = os.environ.get
    group.addoption(
        "--apikeys-mock-spec",
        default=env("APIKEYS_MOCK_SPEC"),
        metavar="PATH",
        help="the contract the apikeys_mock fixture serves (default: the bundled one)",
    )
    group.addoption(
        "--apikeys-mock-tokens",
        default=env("APIKEYS_MOCK_TOKENS"),
        metavar="FILE",
        help="its token policy file (see the mock's --tokens)",
    )
    group.addoption(
        "--apikeys-mock-proxy",
        default=env("APIKEYS_MOCK_PROXY"),
        metavar="URL",
        help="run the validation proxy in front of URL instead of the mock",
    )
    group.addoption(
        "--apikeys-mock-proxy-strict",
        action="store_true",
        default=env("APIKEYS_MOCK_PROXY_STRICT", "").lower() in ("1", "true", "yes", "on"),
        help="the proxy replaces responses that break the contract by a 500",
    )
    group.addoption(
        "--apikeys-mock-chaos",
        default=env("APIKEYS_MOCK_CHAOS"),
        metavar="SPEC",
        help="inject errors, faults and latency (the mock's --chaos, e.g. 500=5%%,reset=1%%)",
    )
    group.addoption(
        "--apikeys-mock-chaos-seed",
        type=int,
        default=int(env("APIKEYS_MOCK_CHAOS_SEED", "0")),
        metavar="N",
        help="the chaos seed: the same seed and requests give the same faults",
    )
    group.addoption(
        "--apikeys-mock-rate-limit",
        default=env("APIKEYS_MOCK_RATE_LIMIT"),
        metavar="N/s",
        help="answer the contract's 429 past N requests per window, per token",
    )


def _app(config: pytest.Config) -> Any:
    from .mock import Settings, TokenPolicy, create_app

    tokens_file = config.getoption("--apikeys-mock-tokens")
    spec = config.getoption("--apikeys-mock-spec")
    tokens = TokenPolicy.from_file(tokens_file) if tokens_file else TokenPolicy()
    settings = Settings(
        spec=Path(spec) if spec else None,
        tokens=tokens,
        chaos=config.getoption("--apikeys-mock-chaos"),
        chaos_seed=config.getoption("--apikeys-mock-chaos-seed"),
        rate_limit=config.getoption("--apikeys-mock-rate-limit"),
    )
    upstream = config.getoption("--apikeys-mock-proxy")
    if not upstream:
        return create_app(settings)
    from .proxy import ProxyApp, ProxySettings

    proxy = ProxySettings(
        upstream=upstream,
        strict=bool(config.getoption("--apikeys-mock-proxy-strict")),
        tokens=tokens if tokens_file else None,
    )
    return ProxyApp(settings, proxy)


def _protocol(app: Any) -> Any:
    """The mock's own HTTP protocol, which injected faults need; uvicorn's for the proxy."""
    contract = getattr(getattr(app, "state", None), "contract", None)
    if contract is None:
        return "auto"
    from .server import contract_protocol

    return contract_protocol(contract.request_id_header)


@pytest.fixture(scope="session")
def apikeys_mock_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """The mock (or the proxy, with ``--apikeys-mock-proxy``), one per test session."""
    app = _app(pytestconfig)
    with serve_in_thread(app, http=_protocol(app)) as url:
        yield MockServer(url, JournalClient(url), app)


@pytest.fixture
def apikeys_mock(apikeys_mock_server: MockServer) -> MockServer:
    """The session's mock with an empty journal: what a test finds there, it sent."""
    apikeys_mock_server.journal.clear()
    return apikeys_mock_server
