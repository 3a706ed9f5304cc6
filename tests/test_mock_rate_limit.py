"""``--rate-limit``: the contract's 429 where it documents one, refused where it does not,
and honoured once the budget refills."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from apikeys_contract import load_contract
from mock_server import Settings, create_app
from mock_server.mock._rate_limit import RateLimit, RateLimiter, RetryHeader

from .test_mock_chaos import refusal
from .test_mock_faults import served

VARIANT = Path(__file__).parent / "variants" / "retry-after.yaml"
BODY = {"name": "ci-deploy-key"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "requests", "window"),
    [("10/s", 10, 1.0), ("100/min", 100, 60.0), ("5/10s", 5, 10.0), ("1/h", 1, 3600.0)],
)
def test_rates_read_as_written(text: str, requests: int, window: float) -> None:
    assert RateLimit.parse(text) == RateLimit(requests, window)


@pytest.mark.parametrize("text", ["10", "ten/s", "0/s", "5/0s", "5/fortnight"])
def test_a_bad_rate_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a rate|at least 1"):
        RateLimit.parse(text)


def test_the_budget_refills_after_the_window() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(2, 1.0), clock)
    assert limiter.take(b"a") is None
    clock.now += 0.25
    assert limiter.take(b"a") is None
    assert limiter.take(b"b") is None  # another key has its own budget
    clock.now += 0.5
    assert limiter.take(b"a") == pytest.approx(0.25)
    clock.now += 0.25
    assert limiter.take(b"a") is None


def test_retry_after_comes_from_the_contract() -> None:
    header = RetryHeader.from_contract(load_contract(VARIANT))
    assert header == RetryHeader("Retry-After", 1, 3600)
    assert header.value(0.2) == "1"  # the schema's minimum
    assert header.value(4.5) == "5"
    assert header.value(90_000) == "3600"  # and its maximum


def test_the_default_contract_refuses_a_rate_limit_in_one_line() -> None:
    assert "documents no 429 response" in refusal("--rate-limit", "5/s")
    with pytest.raises(ValueError, match="documents no 429"):
        create_app(Settings(rate_limit="5/s"))


def test_a_429_over_http_then_through_again() -> None:
    with served(spec=VARIANT, rate_limit="2/s") as (url, _app):
        with httpx.Client(timeout=5) as client:

            def post(token: str) -> httpx.Response:
                headers = {"Authorization": f"Bearer {token}"}
                return client.post(f"{url}/api-keys", json=BODY, headers=headers)

            first, second, third = post("a"), post("a"), post("a")
            other = post("b")
            assert (first.status_code, second.status_code, third.status_code) == (201, 201, 429)
            assert other.status_code == 201  # per token
            assert third.headers["Retry-After"] == "1"
            assert third.json() == {
                "code": "rate_limited",
                "message": "Too many requests; retry later.",
            }
            assert "x-request-id" in third.headers
            time.sleep(1.0)
            assert post("a").status_code == 201
        entry = httpx.get(f"{url}/__mock/requests", params={"status": "429"}).json()["requests"][0]
    assert entry["injected"] == "rate limit: 429, Retry-After: 1"


def test_the_client_address_can_be_the_key() -> None:
    with (
        served(spec=VARIANT, rate_limit="1/min", rate_limit_key="client") as (url, _app),
        httpx.Client(timeout=5) as client,
    ):
        a = client.post(f"{url}/api-keys", json=BODY, headers={"Authorization": "Bearer a"})
        b = client.post(f"{url}/api-keys", json=BODY, headers={"Authorization": "Bearer b"})
    assert (a.status_code, b.status_code) == (201, 429)
    assert 1 <= int(b.headers["Retry-After"]) <= 60
