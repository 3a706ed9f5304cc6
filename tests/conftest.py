from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from apikeys_contract import Contract, load_contract
from mock_server import Settings, create_app

from .servers import serve

settings.register_profile(
    "ci", max_examples=60, derandomize=True, database=None, deadline=None, print_blob=True
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON_HEADERS = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def live_url() -> Iterator[str]:
    """The mock with default settings, served by uvicorn on a free loopback port."""
    with serve(create_app(Settings())) as url:
        yield url


@pytest.fixture(params=["asgi", "http"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """The default mock, in-process (ASGI) and over real HTTP: every test runs on both."""
    if request.param == "asgi":
        with TestClient(create_app(Settings()), base_url="http://mock.test") as test_client:
            yield test_client
    else:
        url = request.getfixturevalue("live_url")
        with httpx.Client(base_url=url, timeout=10) as http_client:
            yield http_client


class ListSink:
    """A request-log sink that keeps what it is given (a write may hold several lines)."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def write(self, line: bytes) -> None:
        self.lines.append(line)

    def records(self) -> list[dict[str, object]]:
        return [json.loads(line) for chunk in self.lines for line in chunk.splitlines()]
