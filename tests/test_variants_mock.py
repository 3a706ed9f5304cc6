"""The mock follows realistic edits of the contract (tests/variants/), or refuses them in one
line. Every response is judged by openapi-core against the variant the mock serves."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from apikeys_contract import (
    Contract,
    Presentation,
    SpecError,
    ValuePlan,
    load_contract,
    misplaced_credentials,
    plan_value,
    present_credential,
    present_requirement,
)
from mock_server import Settings, TokenPolicy, create_app

from .openapi_oracle import assert_conforms
from .servers import serve

VARIANTS = Path(__file__).parent / "variants"
REFUSED = {"oauth2", "impossible"}
SERVED = sorted(p.stem for p in VARIANTS.glob("*.yaml") if p.stem not in REFUSED)
TOKEN = "test-token"


def spec(variant: str) -> Path:
    return VARIANTS / f"{variant}.yaml"


@cache
def contract_of(variant: str) -> Contract:
    return load_contract(spec(variant))


@cache
def client_of(variant: str) -> TestClient:
    return TestClient(create_app(Settings(spec=spec(variant))), base_url="http://mock.test")


def valid_body(variant: str) -> dict[str, object]:
    """A valid request body, from the same value plans the mock uses (the oracle checks it)."""
    contract = contract_of(variant)
    plan = plan_value(contract.document, contract.request_schema_pointer)
    assert isinstance(plan, ValuePlan)
    body = plan.produce()
    assert contract.request_validator.is_valid(body)
    return dict(body)


def credentials(variant: str, token: str = TOKEN) -> Presentation:
    requirements = contract_of(variant).security.requirements
    return present_requirement(requirements[0], token) if requirements else Presentation()


def send(
    client: httpx.Client,
    variant: str,
    body: object,
    presented: Presentation | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    presented = credentials(variant) if presented is None else presented
    sent = {"Content-Type": "application/json", **presented.headers, **(headers or {})}
    cookie = presented.cookie_header()
    if cookie:
        sent["Cookie"] = cookie
    query = presented.query_string()
    response = client.post(
        "/api-keys" + (f"?{query}" if query else ""),
        content=json.dumps(body).encode(),
        headers=sent,
    )
    assert_conforms(response, spec(variant))
    return response


def post_name(variant: str, presented: Presentation | None = None) -> httpx.Response:
    return send(client_of(variant), variant, {"name": "k"}, presented)


@pytest.mark.parametrize("variant", SERVED)
def test_each_variant_serves_its_success_and_every_documented_status(variant: str) -> None:
    client = client_of(variant)
    contract = contract_of(variant)
    success = send(client, variant, valid_body(variant))
    assert success.status_code == contract.success_status, success.text
    assert send(client, variant, []).status_code == 400
    for status in contract.statuses:
        forced = send(client, variant, valid_body(variant), headers={"Prefer": f"code={status}"})
        assert forced.status_code == status
        for name in contract.responses[status].required_headers:
            assert forced.headers.get(name), f"{status} lacks {name}"


def test_formats_are_produced_from_the_schema() -> None:
    body = send(client_of("formats"), "formats", {"name": "k"}).json()
    assert body["createdAt"] == "2024-05-01T12:30:00Z"  # the example, valid, is kept
    assert datetime.fromisoformat(body["revokedAt"])  # no example: the current time
    assert body["status"] == "active"
    assert body["tier"] in ("free", "team", "enterprise")
    assert 10 <= body["rateLimit"] <= 1000
    assert body["rateLimit"] % 10 == 0
    assert 0 < body["ratio"] < 1
    assert re.fullmatch(r"[A-Z]{2}-[0-9]{4}", body["label"])
    assert body["limits"].keys() == {"perMinute", "burst"}
    assert "@" in body["owner"]


def test_x_unique_values_are_new_on_every_call() -> None:
    keys = [send(client_of("unique"), "unique", {"name": "k"}).json()["keyId"] for _ in range(5)]
    assert len(set(keys)) == 5
    assert all(re.fullmatch(r"key_[a-z0-9]{24}", key) for key in keys)
    assert contract_of("unique").fresh_fields == ("clientId", "clientSecret", "keyId")


def test_retyped_property_follows_the_contract() -> None:
    bodies = [send(client_of("retyped"), "retyped", {"name": "k"}).json() for _ in range(3)]
    assert all(isinstance(b["clientId"], int) and b.keys() == {"name", "clientId"} for b in bodies)
    assert len({b["clientId"] for b in bodies}) == 3


def test_required_headers_are_sent_with_valid_values() -> None:
    response = send(client_of("retry-after"), "retry-after", {}, headers={"Prefer": "code=429"})
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    success = post_name("retry-after")
    assert success.headers["X-RateLimit-Remaining"] == "99"  # the header's example
    assert "Retry-After" not in success.headers


def test_success_200() -> None:
    assert send(client_of("success-200"), "success-200", {"name": "k"}).status_code == 200


def test_second_required_request_property() -> None:
    client = client_of("expires-in-days")
    sent = send(client, "expires-in-days", {"name": "k", "expiresInDays": 365})
    assert sent.status_code == 201
    assert sent.json()["expiresInDays"] == 365
    for body in [{"name": "k"}, {"name": "k", "expiresInDays": 0}]:
        refused = send(client, "expires-in-days", body)
        assert refused.status_code == 400
        assert refused.json()["problems"][0]["pointer"] == "/expiresInDays"


def test_optional_request_property() -> None:
    client = client_of("description")
    assert "description" not in send(client, "description", {"name": "k"}).json()
    echoed = send(client, "description", {"name": "k", "description": "d" * 200})
    assert echoed.json()["description"] == "d" * 200
    assert send(client, "description", {"name": "k", "description": "d" * 201}).status_code == 400


# -- security ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["api-key-header", "api-key-query", "api-key-cookie", "basic"])
def test_each_scheme_checks_its_credential(variant: str) -> None:
    client = client_of(variant)
    missing = send(client, variant, {"name": "k"}, Presentation())
    assert missing.status_code == 401
    (scheme,) = contract_of(variant).security.schemes
    for wrong_place in misplaced_credentials(scheme, TOKEN):
        assert send(client, variant, {"name": "k"}, wrong_place).status_code == 401
    assert send(client, variant, {"name": "k"}).status_code == 201
    forbidden = send(client, variant, {"name": "k"}, credentials(variant, "readonly-token"))
    assert forbidden.status_code == 403
    assert forbidden.json() == contract_of(variant).responses[403].examples["default"]
    expired = send(client, variant, {"name": "k"}, credentials(variant, "expired-token"))
    assert expired.status_code == 401
    assert expired.json() == next(iter(contract_of(variant).responses[401].examples.values()))
    challenge = missing.headers.get("WWW-Authenticate")
    if variant == "basic":
        assert challenge is not None
        assert challenge.startswith("Basic realm=")
    else:
        assert challenge is None  # API keys have no HTTP challenge


def test_basic_token_is_the_password() -> None:
    pair = base64.b64encode(b"alice:readonly-token").decode()
    response = send(
        client_of("basic"), "basic", {"name": "k"}, Presentation({"Authorization": f"Basic {pair}"})
    )
    assert response.status_code == 403
    bad = post_name("basic", Presentation({"Authorization": "Basic %%%"}))
    assert bad.status_code == 401
    assert "base64" in bad.json()["message"]


def test_alternatives_accept_either_credential() -> None:
    client = client_of("alternatives")
    bearer, api_key = contract_of("alternatives").security.schemes
    assert post_name("alternatives", present_credential(bearer, TOKEN)).status_code == 201
    assert post_name("alternatives", present_credential(api_key, TOKEN)).status_code == 201
    missing = send(client, "alternatives", {"name": "k"}, Presentation())
    assert missing.status_code == 401
    assert "or" in missing.json()["message"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")


def test_combination_needs_every_credential() -> None:
    client = client_of("combination")
    bearer, api_key = contract_of("combination").security.schemes
    both = present_credential(bearer, TOKEN).merged(present_credential(api_key, TOKEN))
    assert send(client, "combination", {"name": "k"}, both).status_code == 201
    only = send(client, "combination", {"name": "k"}, present_credential(bearer, TOKEN))
    assert only.status_code == 401
    assert "X-API-Key" in only.json()["message"]
    one_forbidden = present_credential(bearer, TOKEN).merged(
        present_credential(api_key, "readonly-token")
    )
    assert send(client, "combination", {"name": "k"}, one_forbidden).status_code == 403


def test_optional_and_no_authentication() -> None:
    anonymous = Presentation()
    assert send(client_of("no-auth"), "no-auth", {"name": "k"}, anonymous).status_code == 201
    client = client_of("optional-auth")
    assert send(client, "optional-auth", {"name": "k"}, anonymous).status_code == 201
    (bearer,) = contract_of("optional-auth").security.schemes
    forbidden = present_credential(bearer, "readonly-token")
    assert send(client, "optional-auth", {"name": "k"}, forbidden).status_code == 403
    malformed = Presentation({"Authorization": "Bearer a b"})
    assert send(client, "optional-auth", {"name": "k"}, malformed).status_code == 401


@pytest.mark.parametrize(
    ("variant", "words"),
    [("oauth2", "cannot check security scheme 'oauth' (oauth2)"), ("impossible", "/region")],
)
def test_what_the_mock_cannot_serve_is_refused_in_one_line(variant: str, words: str) -> None:
    with pytest.raises(SpecError, match=re.escape(words)):
        create_app(Settings(spec=spec(variant)))
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "--port", "0", "--spec", str(spec(variant))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert words in done.stderr


def test_the_token_policy_names_the_expired_example(tmp_path: Path) -> None:
    policy = TokenPolicy(expired_example="missing_token")
    client = TestClient(create_app(Settings(spec=spec("api-key-header"), tokens=policy)))
    expired = credentials("api-key-header", "expired-token")
    response = send(client, "api-key-header", {"name": "k"}, expired)
    documented = contract_of("api-key-header").responses[401].examples
    assert response.json() == documented["missing_token"]
    with pytest.raises(SpecError, match="not an example of the 401"):
        create_app(Settings(tokens=TokenPolicy(expired_example="nope")))


def test_the_oracle_flags_a_mock_serving_another_version() -> None:
    """Every judgement above can fail: the bundled contract's 201 lacks the variant's fields."""
    response = client_of("api-key-header").post(
        "/api-keys", json={"name": "k"}, headers={"X-API-Key": TOKEN}
    )
    with pytest.raises(Exception, match=r"createdAt|required"):
        assert_conforms(response, spec("formats"))


# -- over real HTTP ---------------------------------------------------------------------


@pytest.fixture(params=["formats", "api-key-query", "api-key-cookie", "basic", "retry-after"])
def live(request: pytest.FixtureRequest) -> Iterator[tuple[str, httpx.Client]]:
    variant = str(request.param)
    with (
        serve(create_app(Settings(spec=spec(variant)))) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        yield variant, client


def test_variants_over_real_http(live: tuple[str, httpx.Client]) -> None:
    variant, client = live
    contract = contract_of(variant)
    assert send(client, variant, valid_body(variant)).status_code == contract.success_status
    if contract.security.required:
        assert send(client, variant, valid_body(variant), Presentation()).status_code == 401
    for status in contract.statuses:
        assert send(client, variant, {}, headers={"Prefer": f"code={status}"}).status_code == status


def test_an_echo_the_response_schema_refuses_is_replaced(tmp_path: Path) -> None:
    """The request allows 100 characters, the response only 10: a long name is not echoed
    into an invalid body."""
    text = spec("description").read_text(encoding="utf-8")
    short = text.replace(
        "          description: The name sent in the request, unchanged.\n"
        "          x-mock: echo\n"
        "          minLength: 1\n"
        "          maxLength: 100\n",
        "          description: The name sent in the request, shortened.\n"
        "          x-mock: echo\n"
        "          minLength: 1\n"
        "          maxLength: 10\n",
    )
    assert short != text
    path = tmp_path / "short-name.yaml"
    path.write_text(short, encoding="utf-8")
    client = TestClient(create_app(Settings(spec=path)))
    for name, echoed in [("short", True), ("n" * 50, False)]:
        response = client.post(
            "/api-keys", json={"name": name}, headers={"Authorization": "Bearer t"}
        )
        assert_conforms(response, path)
        assert (response.json()["name"] == name) is echoed
