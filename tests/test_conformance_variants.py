"""Edited contracts: the harness follows each edit, passes the mock serving the same
contract, and flags a mock serving another version wherever the difference shows."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from apikeys_contract import bundled_spec_text
from conformance import Report, Settings, Tokens, run_engine
from mock_server import Settings as MockSettings
from mock_server import TokenPolicy, create_app

from .servers import serve

TOKEN = "variant-token-1"
FORBIDDEN = "readonly-token"
POLICY = TokenPolicy(allow_unknown=False, allowed=frozenset({TOKEN}))
Edit = Callable[[dict[str, Any]], None]


def request_schema(document: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"]["CreateApiKeyRequest"]
    return schema


def required_integer(document: dict[str, Any]) -> None:
    schema = request_schema(document)
    schema["properties"]["expiresInDays"] = {"type": "integer", "minimum": 1, "maximum": 365}
    schema["required"].append("expiresInDays")
    post = document["paths"]["/api-keys"]["post"]
    post["requestBody"]["content"]["application/json"]["examples"]["default"]["value"][
        "expiresInDays"
    ] = 30


def optional_description(document: dict[str, Any]) -> None:
    request_schema(document)["properties"]["description"] = {"type": "string", "maxLength": 200}


def shorter_name(document: dict[str, Any]) -> None:
    request_schema(document)["properties"]["name"]["maxLength"] = 99


def retyped_name(document: dict[str, Any]) -> None:
    request_schema(document)["properties"]["name"] = {"type": "integer", "minimum": 1}
    success = document["components"]["schemas"]["ApiKey"]["properties"]
    success["name"] = {"type": "integer", "minimum": 1, "x-mock": "echo"}
    post = document["paths"]["/api-keys"]["post"]
    post["requestBody"]["content"]["application/json"]["examples"]["default"]["value"] = {"name": 7}
    example = post["responses"]["201"]["content"]["application/json"]["examples"]["default"]
    example["value"]["name"] = 7


VARIANTS: dict[str, Edit] = {
    "required-integer": required_integer,
    "optional-description": optional_description,
    "shorter-name": shorter_name,
    "retyped-name": retyped_name,
}
# What the harness, judging by the variant, finds in the mock serving the bundled contract.
DIFFERENCES = {
    "required-integer": ("rejection", "missing /expiresInDays answered 201"),
    "optional-description": ("rejection", "/description over maxLength answered 201"),
    "shorter-name": ("rejection", "/name over maxLength answered 201"),
    "retyped-name": ("acceptance", "valid body answered 400"),
}


def write_variant(tmp_path: Path, name: str) -> Path:
    document = yaml.safe_load(bundled_spec_text())
    edited = copy.deepcopy(document)
    VARIANTS[name](edited)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(edited, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def bundled_mock() -> Iterator[str]:
    with serve(create_app(MockSettings(tokens=POLICY))) as url:
        yield url


def judge(url: str, spec: Path) -> Report:
    tokens = Tokens(TOKEN, FORBIDDEN)
    return run_engine(Settings(url, tokens, spec=str(spec), max_examples=10))


def describe(report: Report) -> str:
    return "\n".join(f"{f.check}: {f.message}" for f in report.findings) or "no findings"


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_harness_passes_the_mock_serving_the_same_variant(tmp_path: Path, name: str) -> None:
    spec = write_variant(tmp_path, name)
    with serve(create_app(MockSettings(spec=spec, tokens=POLICY))) as url:
        report = judge(url, spec)
    assert report.conforms, describe(report)
    assert not report.internal_errors


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_harness_flags_a_mock_serving_another_version(
    tmp_path: Path, name: str, bundled_mock: str
) -> None:
    report = judge(bundled_mock, write_variant(tmp_path, name))
    check, summary = DIFFERENCES[name]
    assert summary in {f.summary for f in report.findings_for(check)}, describe(report)


def test_every_property_is_probed_with_the_others_valid(tmp_path: Path) -> None:
    from apikeys_contract import judge_body, load_contract
    from conformance._fields import RequestShape
    from conformance._probes import Budget, boundary_probes

    contract = load_contract(write_variant(tmp_path, "required-integer"))
    shape = RequestShape(contract)
    assert [f.pointer for f in shape.fields] == ["/name", "/expiresInDays"]
    probes = boundary_probes(contract, shape, Budget(forbidden=True, unknown=True))
    causes = {p.verdict.cause for p in probes}
    assert {"/expiresInDays over maximum", "/expiresInDays under minimum"} <= causes
    assert "/name over maxLength" in causes
    # A name probe never fails for the integer it did not vary.
    name_probes = [p for p in probes if p.kind.startswith("/name:")]
    assert name_probes
    for probe in name_probes:
        assert "expiresInDays" not in judge_body(contract, probe.body, probe.content_type).cause


VARIANT_FILES = Path(__file__).parent / "variants"
REFUSED = {"oauth2"}  # a scheme neither tool can check: both refuse it in one line
# The mock also refuses "impossible" (no success body it can build); the harness, which
# builds none, judges it.
SERVED = sorted(
    p.stem for p in VARIANT_FILES.glob("*.yaml") if p.stem not in {*REFUSED, "impossible"}
)


@pytest.mark.parametrize("name", SERVED)
def test_the_harness_passes_the_mock_serving_each_contract_variant(name: str) -> None:
    spec = VARIANT_FILES / f"{name}.yaml"
    with serve(create_app(MockSettings(spec=spec, tokens=POLICY))) as url:
        report = judge(url, spec)
    assert report.conforms, describe(report)
    assert not report.internal_errors


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_contract_the_tools_cannot_check_is_one_usage_error(name: str) -> None:
    from conformance import UsageError

    with pytest.raises(UsageError) as raised:
        judge("http://127.0.0.1:9", VARIANT_FILES / f"{name}.yaml")
    assert "\n" not in str(raised.value)


# Judged by the variant, the mock serving the bundled contract shows the difference here.
OBSERVABLE = {
    "api-key-header": ("acceptance", "valid body answered 401"),
    "api-key-query": ("acceptance", "valid body answered 401"),
    "api-key-cookie": ("acceptance", "valid body answered 401"),
    "formats": ("success_shape", "success body fails required at /createdAt"),
    "expires-in-days": ("rejection", "missing /expiresInDays answered 201"),
    "description": ("rejection", "/description over maxLength answered 201"),
}


@pytest.mark.parametrize("name", sorted(OBSERVABLE))
def test_the_harness_flags_the_bundled_mock_judged_by_each_variant(
    name: str, bundled_mock: str
) -> None:
    report = judge(bundled_mock, VARIANT_FILES / f"{name}.yaml")
    check, summary = OBSERVABLE[name]
    assert summary in {f.summary for f in report.findings_for(check)}, describe(report)


def test_a_mock_without_the_contracts_api_key_fails_its_authentication(tmp_path: Path) -> None:
    # The mock serving the API-key variant, judged by the bundled (bearer) contract: the
    # harness's bearer tokens are not what that mock reads, so valid requests get 401.
    spec = VARIANT_FILES / "api-key-header.yaml"
    with serve(create_app(MockSettings(spec=spec, tokens=POLICY))) as url:
        report = judge(url, Path(__file__).parent.parent / "openapi" / "api-keys.yaml")
    assert "valid body answered 401" in {f.summary for f in report.findings_for("acceptance")}
