"""The mock's behaviour, in-process and over real HTTP (the ``client`` fixture runs both)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from .conftest import AUTH, JSON_HEADERS
from .openapi_oracle import assert_conforms

SEED_401 = {"code": "invalid_token", "message": "The access token expired."}


def post(
    client: httpx.Client, body: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = json.dumps(body, ensure_ascii=False).encode()
    return client.post(
        "/api-keys", content=content, headers=JSON_HEADERS if headers is None else headers
    )


def assert_error(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body["message"], str)
    assert body["message"]
    if code is not None:
        assert body["code"] == code
    assert_conforms(response)
    return body


@pytest.mark.parametrize(
    "name",
    [
        "ci-deploy-key",
        "a",
        "a" * 100,
        " a ",
        "two words",
        "\u001c",
        "\u0085",
        "x\u3000",
        "😀" * 100,
    ],
    ids=[
        "plain",
        "one",
        "hundred",
        "padded",
        "inner-space",
        "U+001C",
        "U+0085",
        "ideographic",
        "emoji",
    ],
)
def test_valid_name_gets_201_with_name_echoed(client: httpx.Client, name: str) -> None:
    response = post(client, {"name": name})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == name
    assert body["clientId"]
    assert body["clientSecret"]
    assert_conforms(response)


def test_each_key_is_fresh(client: httpx.Client) -> None:
    bodies = [post(client, {"name": "same"}).json() for _ in range(5)]
    assert len({b["clientId"] for b in bodies}) == 5
    assert len({b["clientSecret"] for b in bodies}) == 5
    assert all(len(b["clientSecret"]) >= 32 for b in bodies)


def test_extra_request_properties_are_allowed(client: httpx.Client) -> None:
    assert post(client, {"name": "k", "note": {"any": ["thing"]}}).status_code == 201


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Missing bearer token"),
        ({"Authorization": "Basic dTpw"}, "Bearer scheme"),
        ({"Authorization": "Bearer"}, "empty"),
        ({"Authorization": "Bearer a b"}, "spaces"),
    ],
    ids=["missing", "basic", "no-token", "two-tokens"],
)
def test_missing_or_malformed_token_gets_401(
    client: httpx.Client, headers: dict[str, str], message: str
) -> None:
    response = post(client, {"name": "k"}, headers={"Content-Type": "application/json", **headers})
    body = assert_error(response, 401, "invalid_token")
    assert message in str(body["message"])
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_bearer_scheme_is_case_insensitive(client: httpx.Client, scheme: str) -> None:
    headers = {"Content-Type": "application/json", "Authorization": f"{scheme}  tok"}
    assert post(client, {"name": "k"}, headers=headers).status_code == 201


def test_readonly_token_gets_403(client: httpx.Client) -> None:
    headers = {"Content-Type": "application/json", "Authorization": "Bearer readonly-token"}
    assert_error(post(client, {"name": "k"}, headers=headers), 403, "permission_denied")


def test_expired_token_gets_the_seed_example(client: httpx.Client) -> None:
    headers = {"Content-Type": "application/json", "Authorization": "Bearer expired-token"}
    body = assert_error(post(client, {"name": "k"}, headers=headers), 401)
    assert body == SEED_401


def test_auth_is_checked_before_the_body(client: httpx.Client) -> None:
    response = client.post(
        "/api-keys", content=b"{not json", headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 401, "invalid_token")


@pytest.mark.parametrize(
    ("body", "pointer", "keyword"),
    [
        ({}, "/name", "required"),
        ({"name": None}, "/name", "type"),
        ({"name": 5}, "/name", "type"),
        ({"name": ["a"]}, "/name", "type"),
        ({"name": ""}, "/name", "minLength"),
        ({"name": "   "}, "/name", "pattern"),
        ({"name": "\ufeff"}, "/name", "pattern"),
        ({"name": "\u2028\u3000"}, "/name", "pattern"),
        ({"name": "a" * 101}, "/name", "maxLength"),
        ({"name": "😀" * 101}, "/name", "maxLength"),
        ({"name": "x" * 50_000}, "/name", "maxLength"),
        ([], "", "type"),
        ([{"name": "a"}], "", "type"),
        ("name", "", "type"),
        (42, "", "type"),
        (None, "", "type"),
    ],
    ids=lambda v: repr(v)[:30],
)
def test_invalid_body_gets_400_pointing_at_the_problem(
    client: httpx.Client, body: object, pointer: str, keyword: str
) -> None:
    error = assert_error(post(client, body), 400, "invalid_request")
    problems = error["problems"]
    assert isinstance(problems, list)
    assert {"pointer": pointer, "keyword": keyword} in [
        {"pointer": p["pointer"], "keyword": p["keyword"]} for p in problems
    ]
    assert len(str(error["message"])) < 1000  # a huge name is not echoed in full


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b'{"name": "a"} trailing',
        b'\xef\xbb\xbf{"name": "a"}',
        b'{"name": "\xff"}',
        '{"name": "a"}'.encode("utf-16"),
        b'{"name": NaN}',
        b'{"name": "a", "n": Infinity}',
        b'{"name": "a", "n": ' + b"1" * 10_000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
        b"[" * 256 + b"]" * 256,
        b"[" * 999 + b"]" * 999,
        b'{"name": "a", "name": "b"}',
    ],
    ids=[
        "empty",
        "truncated",
        "trailing-garbage",
        "bom",
        "invalid-utf8",
        "utf16",
        "nan",
        "infinity",
        "huge-int",
        "deep-nesting",
        "deep-256",
        "deep-999",
        "duplicate-key",
    ],
)
def test_malformed_json_gets_400(client: httpx.Client, raw: bytes) -> None:
    response = client.post("/api-keys", content=raw, headers=JSON_HEADERS)
    assert_error(response, 400, "malformed_json")


def test_lone_surrogate_gets_400(client: httpx.Client) -> None:
    response = client.post("/api-keys", content=b'{"name": "\\ud800"}', headers=JSON_HEADERS)
    body = assert_error(response, 400, "invalid_request")
    assert body["problems"] == [
        {"pointer": "/name", "keyword": "unicode", "message": "lone surrogate"}
    ]


def test_deeply_nested_lone_surrogate_gets_400(client: httpx.Client) -> None:
    raw = b'{"name": ' + b"[" * 900 + b'"\\ud800"' + b"]" * 900 + b"}"
    response = client.post("/api-keys", content=raw, headers=JSON_HEADERS)
    assert_error(response, 400)


def test_escaped_surrogate_pair_is_one_code_point(client: httpx.Client) -> None:
    raw = b'{"name": "' + b"\\ud83d\\ude00" * 100 + b'"}'
    response = client.post("/api-keys", content=raw, headers=JSON_HEADERS)
    assert response.status_code == 201
    assert response.json()["name"] == "😀" * 100


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 201),
        ("application/json; charset=utf-8", 201),
        ("APPLICATION/JSON", 201),
        ("application/json;charset=UTF-8", 201),
        ("text/plain", 400),
        ("application/x-www-form-urlencoded", 400),
        ("application/json; charset=latin-1", 400),
        ("application/jsonx", 400),
        (None, 400),
    ],
)
def test_content_type(client: httpx.Client, content_type: str | None, status: int) -> None:
    headers = dict(AUTH)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.post("/api-keys", content=b'{"name": "k"}', headers=headers)
    assert response.status_code == status
    if status == 400:
        assert_error(response, 400, "unsupported_media_type")


@pytest.mark.parametrize(
    ("prefer", "status"),
    [("code=500", 500), ("code=400", 400), ("code=401", 401), ("code=403", 403), ("code=201", 201)],
)
def test_prefer_code_forces_a_documented_response(
    client: httpx.Client, prefer: str, status: int
) -> None:
    response = client.post("/api-keys", json={"name": "forced"}, headers={"Prefer": prefer})
    assert response.status_code == status
    assert response.headers["preference-applied"].startswith(f"code={status}")
    assert_conforms(response)


def test_prefer_example_picks_a_named_example(client: httpx.Client, contract: object) -> None:
    response = client.post("/api-keys", headers={"Prefer": "example=missing_token"})
    body = assert_error(response, 401, "invalid_token")
    assert "Missing bearer token" in str(body["message"])
    response = client.post("/api-keys", headers={"Prefer": "code=401, example=expired_token"})
    assert response.json() == SEED_401


def test_forced_201_echoes_a_valid_name_with_fresh_credentials(client: httpx.Client) -> None:
    first = post(client, {"name": "mine"}, headers={**JSON_HEADERS, "Prefer": "code=201"}).json()
    second = post(client, {"name": "mine"}, headers={**JSON_HEADERS, "Prefer": "code=201"}).json()
    assert first["name"] == second["name"] == "mine"
    assert first["clientSecret"] != second["clientSecret"]
    # An invalid body still gets the forced 201, with the example's name.
    forced = client.post("/api-keys", content=b"junk", headers={"Prefer": "code=201"})
    assert forced.status_code == 201
    assert_conforms(forced)


@pytest.mark.parametrize(
    "prefer", ["code=418", "code=abc", "code=422", "example=nope", "code=500, example=nope"]
)
def test_undocumented_prefer_gets_a_clear_400(client: httpx.Client, prefer: str) -> None:
    response = client.post("/api-keys", json={"name": "k"}, headers={**AUTH, "Prefer": prefer})
    body = assert_error(response, 400, "invalid_prefer")
    assert "not documented" in str(body["message"])


def test_unrelated_preferences_are_ignored(client: httpx.Client) -> None:
    response = post(client, {"name": "k"}, headers={**JSON_HEADERS, "Prefer": "return=minimal"})
    assert response.status_code == 201


def test_unknown_path_gets_404_in_the_error_shape(client: httpx.Client) -> None:
    for path in ("/", "/nope", "/api-keys/", "/api-keys/123"):
        response = client.post(path, json={"name": "k"}, headers=AUTH)
        body = assert_error_off_contract(response, 404)
        assert body["code"] == "not_found"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_get_405_with_allow(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/api-keys", headers=AUTH)
    body = assert_error_off_contract(response, 405)
    assert body["code"] == "method_not_allowed"
    assert response.headers["allow"] == "POST"


def assert_error_off_contract(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    uuid.UUID(response.headers["x-request-id"])
    body = response.json()
    assert isinstance(body["message"], str)
    return body  # type: ignore[no-any-return]


def test_every_response_has_a_fresh_uuid_request_id(client: httpx.Client) -> None:
    responses = [
        post(client, {"name": "k"}),
        post(client, {"name": ""}),
        post(client, {"name": "k"}, headers={"Content-Type": "application/json"}),
        post(client, {"name": "k"}, headers={**JSON_HEADERS, "Prefer": "code=500"}),
        post(client, {"name": "k"}, headers={**JSON_HEADERS, "Prefer": "code=500"}),
        client.get("/api-keys"),
        client.get("/elsewhere"),
        client.options(
            "/api-keys",
            headers={"Origin": "http://app.test", "Access-Control-Request-Method": "POST"},
        ),
    ]
    ids = [r.headers["x-request-id"] for r in responses]
    assert all(uuid.UUID(i).version == 4 for i in ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "authorization",
    [
        [(b"Authorization", b"Bearer a"), (b"Authorization", b"Bearer b")],
        [(b"Authorization", "Bearer tök".encode())],
        [(b"Authorization", b"Bearer \xff\xfe")],
        [(b"Authorization", b"Bearer " + b"a" * 65_536)],
    ],
    ids=["two-headers", "utf8-token", "binary-token", "64k-header"],
)
def test_hostile_authorization_gets_a_documented_status(
    client: httpx.Client, authorization: list[tuple[bytes, bytes]]
) -> None:
    headers = [(b"Content-Type", b"application/json"), *authorization]
    response = client.post("/api-keys", content=b'{"name": "k"}', headers=headers)
    assert response.status_code in (201, 401)
    assert_conforms(response)
    if len(authorization) > 1 or not authorization[0][1].isascii():
        assert response.status_code == 401


def test_json_orjson_refuses_is_still_written() -> None:
    # Found by the harness on a contract with an integer name: 10**30 is valid JSON.
    from mock_server.common._errors import to_json

    assert to_json({"name": 10**30}) == b'{"name":1000000000000000000000000000000}'
    assert to_json({"name": "\ud800"}) == b'{"name":"\\ud800"}'
