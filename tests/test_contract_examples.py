"""Every example in the contract is what the mock really sends for its trigger.

Each documented example is paired with the request that triggers it (never a ``Prefer``
header, except for the 500, which only ``Prefer`` can produce); the mock's answer must be
the example, apart from the values the contract marks as fresh on every call (``x-mock``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import yaml
from starlette.testclient import TestClient

from apikeys_contract import Contract, bundled_spec_text, load_contract
from mock_server import Settings, create_app

from .conftest import JSON_HEADERS


class Trigger(NamedTuple):
    headers: Mapping[str, str]
    body: bytes


def _json(body: str, **headers: str) -> Trigger:
    return Trigger({**JSON_HEADERS, **headers}, body.encode())


TRIGGERS: dict[tuple[int, str], Trigger] = {
    (201, "default"): _json('{"name": "ci-deploy-key"}'),
    (400, "invalid_name"): _json('{"name": "   "}'),
    (400, "missing_name"): _json("{}"),
    (400, "malformed_json"): _json("not json"),
    (400, "unsupported_media_type"): _json('{"name": "x"}', **{"Content-Type": "text/plain"}),
    (400, "body_too_large"): _json('{"name": "' + "x" * 1_048_576 + '"}'),
    (400, "invalid_prefer"): _json('{"name": "x"}', Prefer="code=418"),
    (401, "expired_token"): _json('{"name": "x"}', Authorization="Bearer expired-token"),
    (401, "missing_token"): Trigger({"Content-Type": "application/json"}, b'{"name": "x"}'),
    (403, "default"): _json('{"name": "x"}', Authorization="Bearer readonly-token"),
    (500, "default"): _json('{"name": "x"}', Prefer="code=500"),
}


def fresh_properties(contract: Contract) -> set[str]:
    """The success properties the mock generates anew on every call (``x-mock``)."""
    response = contract.responses[contract.success_status]
    assert response.schema_pointer is not None
    properties = contract.schema(response.schema_pointer).get("properties") or {}
    return {name for name, schema in properties.items() if schema.get("x-mock", "echo") != "echo"}


def mismatches(contract: Contract, client: httpx.Client) -> Iterator[str]:
    """One line per example that the mock does not send for its trigger."""
    fresh = fresh_properties(contract)
    for status, response in contract.responses.items():
        for name, example in response.examples.items():
            trigger = TRIGGERS.get((status, name))
            if trigger is None:
                yield f"{status} {name}: no trigger known for this example"
                continue
            sent = client.post("/api-keys", headers=dict(trigger.headers), content=trigger.body)
            body = sent.json()
            validator = contract.response_validator(status)
            if sent.status_code != status:
                yield f"{status} {name}: the trigger got {sent.status_code}"
            elif validator is not None and not validator.is_valid(body):
                yield f"{status} {name}: the mock's body breaks the schema: {body}"
            elif _without(body, fresh) != _without(example, fresh):
                yield f"{status} {name}: the mock sends {body}, the example says {example}"


def _without(body: Any, names: set[str]) -> Any:
    if isinstance(body, dict):
        return {key: value for key, value in body.items() if key not in names}
    return body


def test_every_trigger_names_a_documented_example(contract: Contract) -> None:
    documented = {(s, n) for s, r in contract.responses.items() for n in r.examples}
    assert set(TRIGGERS) == documented


def test_every_example_is_what_the_mock_sends(contract: Contract, client: httpx.Client) -> None:
    assert list(mismatches(contract, client)) == []


def test_a_drifted_example_is_caught(tmp_path: Path) -> None:
    document = yaml.safe_load(bundled_spec_text())
    examples = document["paths"]["/api-keys"]["post"]["responses"]["400"]["content"][
        "application/json"
    ]["examples"]
    examples["invalid_name"]["value"]["message"] = 'name: "   " does not match "\\S+"'
    spec = tmp_path / "drifted.yaml"
    spec.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    contract = load_contract(spec)
    with TestClient(create_app(Settings(spec=spec)), base_url="http://mock.test") as client:
        found = list(mismatches(contract, client))
    assert len(found) == 1
    assert found[0].startswith("400 invalid_name: the mock sends")


def test_the_first_example_of_each_status_is_realistic(contract: Contract) -> None:
    # Prefer: code=N answers with the first example: never the vendor's placeholder.
    for status, response in contract.responses.items():
        first = next(iter(response.examples.values()))
        assert "string" not in (first.get("code"), first.get("message")), status


def test_every_example_code_is_documented_on_its_response(contract: Contract) -> None:
    for status, response in contract.responses.items():
        listed = set(re.findall(r"`([a-z_]+)`", response.description))
        for name, example in response.examples.items():
            if "code" in example:
                assert example["code"] in listed, (status, name, response.description)


def test_the_error_schema_is_named_to_clash_with_nothing(contract: Contract) -> None:
    schemas = contract.document["components"]["schemas"]
    assert "Error" not in schemas
    assert {"ApiError", "BadRequestError", "Problem"} <= set(schemas)
    bad_request = contract.responses[400]
    assert bad_request.schema_pointer is not None
    problems = contract.schema("/components/schemas/BadRequestError")["allOf"][1]["properties"]
    assert problems["problems"]["items"] == {"$ref": "#/components/schemas/Problem"}
