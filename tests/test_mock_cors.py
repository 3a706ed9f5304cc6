"""CORS: origins echoed with credentials, the contract's headers exposed, its methods only,
and refused preflights in the contract's error shape. (tests/test_browser.py proves the
same in Chromium.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from apikeys_contract import Contract, bundled_spec_text, load_contract
from mock_server import Settings, create_app

from .conftest import JSON_HEADERS

APP = "http://app.test"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, prefer",
}


def documented_headers(contract: Contract) -> set[str]:
    return {name.lower() for r in contract.responses.values() for name in r.headers}


def exposed(response: httpx.Response) -> set[str]:
    value = response.headers["access-control-expose-headers"]
    return {name.strip().lower() for name in value.split(",")}


def assert_refused(response: httpx.Response, contract: Contract, reason: str) -> None:
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == "cors_rejected"
    assert reason in body["message"]
    assert contract.validator("/components/schemas/ApiError").is_valid(body)
    assert response.headers["x-request-id"]
    assert "access-control-allow-origin" not in response.headers


def test_preflight_allows_the_origin_with_credentials_and_only_the_contracts_method(
    client: httpx.Client,
) -> None:
    response = client.options("/api-keys", headers=PREFLIGHT)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-methods"] == "POST"
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "prefer"} <= {h.strip() for h in allowed.split(",")}
    assert "origin" in response.headers["vary"].lower()
    assert response.headers["x-request-id"]


def test_response_exposes_every_documented_header_and_preference_applied(
    client: httpx.Client, contract: Contract
) -> None:
    headers = {**JSON_HEADERS, "Origin": APP, "Prefer": "code=401"}
    response = client.post("/api-keys", content=b'{"name": "k"}', headers=headers)
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"
    assert exposed(response) == documented_headers(contract) | {"preference-applied"}
    assert {"x-request-id", "www-authenticate"} <= exposed(response)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "QUERY"])
def test_preflight_for_an_undocumented_method_is_refused(
    client: httpx.Client, contract: Contract, method: str
) -> None:
    response = client.options(
        "/api-keys", headers={"Origin": APP, "Access-Control-Request-Method": method}
    )
    assert_refused(response, contract, f"CORS method {method} is not allowed")


def test_explicit_origins_answer_only_those_origins(contract: Contract) -> None:
    client = TestClient(create_app(Settings(cors_origins=(APP,))))
    allowed = client.post("/api-keys", json={"name": "k"}, headers={**JSON_HEADERS, "Origin": APP})
    assert allowed.headers["access-control-allow-origin"] == APP
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert allowed.headers["vary"] == "Origin"
    evil = {**JSON_HEADERS, "Origin": "http://evil.test"}
    other = client.post("/api-keys", json={"name": "k"}, headers=evil)
    assert other.status_code == 201
    assert "access-control-allow-origin" not in other.headers
    assert other.headers["vary"] == "Origin"
    preflight = client.options("/api-keys", headers={**PREFLIGHT, "Origin": "http://evil.test"})
    assert_refused(preflight, contract, "Origin http://evil.test is not allowed")
    assert client.options("/api-keys", headers=PREFLIGHT).status_code == 204


def test_no_origin_no_cors_headers(client: httpx.Client) -> None:
    response = client.post("/api-keys", json={"name": "k"}, headers=JSON_HEADERS)
    assert not [h for h in response.headers if h.startswith("access-control-")]


def _spec(tmp_path: Path, mutate: Any) -> Path:
    document = yaml.safe_load(bundled_spec_text())
    mutate(document)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_methods_and_exposed_headers_are_read_from_the_contract(tmp_path: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        paths = document["paths"]
        paths["/api-keys"]["put"] = paths["/api-keys"].pop("post")
        responses = paths["/api-keys"]["put"]["responses"]
        responses["201"]["headers"]["X-Rate-Limit-Remaining"] = {"schema": {"type": "integer"}}

    spec = _spec(tmp_path, change)
    client = TestClient(create_app(Settings(spec=spec)))
    preflight = client.options(
        "/api-keys", headers={**PREFLIGHT, "Access-Control-Request-Method": "PUT"}
    )
    assert preflight.headers["access-control-allow-methods"] == "PUT"
    refused = client.options("/api-keys", headers=PREFLIGHT)
    assert_refused(refused, load_contract(spec), "CORS method POST is not allowed")
    response = client.put("/api-keys", json={"name": "k"}, headers={**JSON_HEADERS, "Origin": APP})
    assert "x-rate-limit-remaining" in exposed(response)
