"""The contract and its docs, served: /openapi.json, /openapi.yaml, /docs and its assets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from apikeys_contract import Contract, bundled_spec_text
from mock_server import Settings, create_app

from .conftest import JSON_HEADERS

SERVED = ("/openapi.json", "/openapi.yaml", "/docs")


def base_url(client: httpx.Client) -> str:
    return str(client.base_url).rstrip("/")


def test_openapi_json_is_the_contract_with_servers_pointing_at_the_mock(
    client: httpx.Client, contract: Contract
) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    assert served["servers"] == [{"url": base_url(client), "description": "This mock server"}]
    assert {**served, "servers": None} == {**contract.document, "servers": None}
    assert response.headers["x-request-id"]


def test_openapi_yaml_is_the_same_document(client: httpx.Client) -> None:
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/yaml"
    assert yaml.safe_load(response.text) == client.get("/openapi.json").json()


def test_the_served_contract_can_be_served_again(client: httpx.Client, tmp_path: Path) -> None:
    # A team that saves /openapi.yaml gets a contract the mock (and any tool) can load.
    spec = tmp_path / "served.yaml"
    spec.write_text(client.get("/openapi.yaml").text, encoding="utf-8")
    again = TestClient(create_app(Settings(spec=spec)))
    response = again.post("/api-keys", json={"name": "k"}, headers=JSON_HEADERS)
    assert response.status_code == 201


def test_docs_with_a_trailing_slash_leads_to_the_page(client: httpx.Client) -> None:
    moved = client.get("/docs/", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == "../docs"  # relative: holds under any mount point
    followed = client.get("/docs/", follow_redirects=True)
    assert followed.status_code == 200
    assert followed.url.path == "/docs"
    assert followed.text == client.get("/docs").text


def test_docs_page_loads_its_assets_from_the_mock(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:href|src)="(docs/[^"]+)"', page.text)
    assert len(assets) == 3
    assert "http" not in " ".join(assets)  # nothing from a CDN
    for asset in assets:
        response = client.get("/" + asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 500
    assert '"openapi.json"' in page.text


def test_served_paths_can_be_turned_off() -> None:
    client = TestClient(create_app(Settings(docs=False)))
    for path in (*SERVED, "/docs/swagger-ui.css"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def _spec_at(tmp_path: Path, path: str) -> Path:
    document: dict[str, Any] = yaml.safe_load(bundled_spec_text())
    document["paths"] = {path: document["paths"]["/api-keys"]}
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return spec


@pytest.mark.parametrize("path", SERVED)
def test_the_contracts_own_path_wins(tmp_path: Path, path: str) -> None:
    client = TestClient(create_app(Settings(spec=_spec_at(tmp_path, path))))
    assert client.get(path).status_code == 405  # the contract's path: POST only
    assert client.get(path).headers["allow"] == "POST"
    assert client.post(path, json={"name": "k"}, headers=JSON_HEADERS).status_code == 201
    for other in SERVED:
        if other != path:
            assert client.get(other).status_code == 200, other
