"""Properties of the mock, judged by an oracle independent of its validator.

The oracle reads the constraints from the spec and applies them with ``regress`` (an
ECMA-262 engine) and ``len`` (code points); the mock uses jsonschema_rs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import regress
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from apikeys_contract import load_contract
from mock_server import create_app

from .conftest import JSON_HEADERS
from .openapi_oracle import assert_conforms

CONTRACT = load_contract()
NAME = CONTRACT.schema(CONTRACT.request_schema_pointer)["properties"]["name"]
PATTERN = regress.Regex(NAME["pattern"], "u")
MIN, MAX = NAME["minLength"], NAME["maxLength"]

# ECMA-262 WhiteSpace and LineTerminator: what `\s` matches in the contract's pattern.
ECMA_SPACE = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000\ufeff")
)
# Characters Python's `re` treats as whitespace and ECMA-262 does not, and friends.
DISAGREE = "\x1c\x1d\x1e\x1f\x85\u180e\u200b"


def expected_valid(name: str) -> bool:
    return MIN <= len(name) <= MAX and PATTERN.find(name) is not None


names = st.one_of(
    st.text(max_size=110),
    st.text(alphabet=ECMA_SPACE + DISAGREE + "a😀", max_size=8),
    st.text(alphabet=ECMA_SPACE, min_size=1, max_size=110),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=95, max_size=105),
)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def post(client: TestClient, body: Any) -> Any:
    content = json.dumps(body, ensure_ascii=False).encode()
    return client.post("/api-keys", content=content, headers=JSON_HEADERS)


@given(name=names)
@example(name="\ufeff")
@example(name="\u001c")
@example(name="   ")
@example(name=" a ")
@example(name="😀" * 100)
@example(name="😀" * 101)
def test_valid_names_get_201_and_invalid_names_get_400(client: TestClient, name: str) -> None:
    response = post(client, {"name": name})
    if expected_valid(name):
        assert response.status_code == 201, response.text
        assert response.json()["name"] == name
    else:
        assert response.status_code == 400, response.text
        assert response.json()["problems"][0]["pointer"] == "/name"
    assert_conforms(response)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(body=json_values)
def test_any_body_without_a_valid_name_gets_a_contract_shaped_400(
    client: TestClient, body: Any
) -> None:
    valid = (
        isinstance(body, dict)
        and isinstance(body.get("name"), str)
        and expected_valid(body["name"])
    )
    response = post(client, body)
    assert response.status_code == (201 if valid else 400), response.text
    assert_conforms(response)


@given(raw=st.binary(max_size=64))
def test_arbitrary_bytes_never_break_the_mock(client: TestClient, raw: bytes) -> None:
    response = client.post("/api-keys", content=raw, headers=JSON_HEADERS)
    assert response.status_code in (201, 400)
    assert_conforms(response)
