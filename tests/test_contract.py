"""The contract loader: the bundled spec, what it exposes, and how bad specs fail."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from apikeys_contract import Contract, SpecError, bundled_spec_text, load_contract

REPO_SPEC = Path(__file__).parents[1] / "openapi" / "api-keys.yaml"


def test_bundled_spec_is_package_data_and_matches_the_repository() -> None:
    bundled = resources.files("apikeys_contract") / "openapi" / "api-keys.yaml"
    assert bundled.is_file()
    if REPO_SPEC.exists():
        assert bundled_spec_text() == REPO_SPEC.read_text(encoding="utf-8")


def test_spec_is_valid_openapi_3_1() -> None:
    document = yaml.safe_load(bundled_spec_text())
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_contract_reads_the_operation_from_the_spec(contract: Contract) -> None:
    assert (contract.method, contract.path) == ("POST", "/api-keys")
    assert contract.statuses == (201, 400, 401, 403, 500)
    assert contract.success_status == 201
    assert contract.request_id_header == "X-Request-Id"
    assert contract.request_media_type == "application/json"
    assert contract.bearer_auth
    for status in contract.statuses:
        assert contract.responses[status].required_headers == ("X-Request-Id",)


def test_the_401_keeps_the_vendor_example(contract: Contract) -> None:
    examples = contract.responses[401].examples
    assert {"code": "invalid_token", "message": "The access token expired."} in examples.values()


def test_every_example_is_valid_against_its_schema(contract: Contract) -> None:
    for status, response in contract.responses.items():
        validator = contract.response_validator(status)
        assert response.examples, f"{status} has no example"
        assert validator is not None
        for name, value in response.examples.items():
            assert validator.is_valid(value), (status, name)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("a", True),
        ("\u001c", True),
        ("\u0085", True),
        (" a ", True),
        ("😀" * 100, True),
        ("\ufeff", False),
        ("   ", False),
        ("", False),
        ("😀" * 101, False),
    ],
)
def test_request_validator_follows_ecma_262_and_code_points(
    contract: Contract, name: str, valid: bool
) -> None:
    assert contract.request_validator.is_valid({"name": name}) is valid


def _spec_with(tmp_path: Path, mutate: object) -> Path:
    document = yaml.safe_load(bundled_spec_text())
    assert callable(mutate)
    mutate(document)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_a_second_operation_is_refused(tmp_path: Path) -> None:
    def add_get(doc: dict) -> None:  # type: ignore[type-arg]
        doc["paths"]["/api-keys"]["get"] = {"responses": {"200": {"description": "ok"}}}

    with pytest.raises(SpecError, match="exactly one operation"):
        load_contract(_spec_with(tmp_path, add_get))


def test_a_response_without_the_request_id_header_is_refused(tmp_path: Path) -> None:
    def drop_header(doc: dict) -> None:  # type: ignore[type-arg]
        del doc["paths"]["/api-keys"]["post"]["responses"]["403"]["headers"]

    with pytest.raises(SpecError, match="request-id header"):
        load_contract(_spec_with(tmp_path, drop_header))


def test_a_changed_constraint_is_read_not_copied(tmp_path: Path) -> None:
    def shorter(doc: dict) -> None:  # type: ignore[type-arg]
        doc["components"]["schemas"]["CreateApiKeyRequest"]["properties"]["name"]["maxLength"] = 5

    contract = load_contract(_spec_with(tmp_path, shorter))
    assert contract.request_validator.is_valid({"name": "abcde"})
    assert not contract.request_validator.is_valid({"name": "abcdef"})


def test_resolve_follows_refs_midway_and_reports_where_it_landed(contract: Contract) -> None:
    from apikeys_contract import pointer, resolve

    at = pointer("paths", "/api-keys", "post", "responses", "401", "headers", "X-Request-Id")
    node, final = resolve(contract.document, at + "/schema")
    assert node == {"type": "string", "minLength": 1}
    assert final == "/components/headers/XRequestId/schema"
    with pytest.raises(SpecError, match="nothing at"):
        resolve(contract.document, "/paths/nowhere")
