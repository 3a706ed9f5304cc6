"""apikeys_contract's security rules: parsing, presenting and reading credentials."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apikeys_contract import (
    CredentialState,
    Location,
    Presentation,
    Scheme,
    SchemeKind,
    Security,
    misplaced_credentials,
    parse_security,
    present_credential,
    read_credentials,
)

SCHEMES: dict[str, Any] = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "basic": {"type": "http", "scheme": "Basic"},
    "header": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "query": {"type": "apiKey", "in": "query", "name": "api_key"},
    "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
    "oauth": {"type": "oauth2", "flows": {}},
    "digest": {"type": "http", "scheme": "digest"},
    "mtls": {"type": "mutualTLS"},
}


def security(*alternatives: dict[str, list[str]], root: Any = None) -> Security:
    document = {"components": {"securitySchemes": SCHEMES}, "info": {"title": 'My "API"'}}
    if root is not None:
        document["security"] = root
    operation = {"security": list(alternatives)} if alternatives or root is None else {}
    return parse_security(document, operation)


def read(sec: Security, presented: Presentation) -> Any:
    headers = list(presented.headers.items())
    cookie = presented.cookie_header()
    if cookie:
        headers.append(("Cookie", cookie))
    return read_credentials(sec, headers=headers, query=presented.query_string())


def test_parsing_alternatives_combinations_and_no_security() -> None:
    either = security({"bearer": []}, {"header": []})
    assert [r.describe() for r in either.requirements] == [
        "a bearer token in the Authorization header",
        "an API key in the X-API-Key header",
    ]
    both = security({"bearer": [], "query": []})
    assert len(both.requirements) == 1
    assert len(both.requirements[0].schemes) == 2
    assert security(root=[]).requirements == ()
    assert not security(root=[]).required
    optional = security({}, {"bearer": []})
    assert not optional.required
    assert optional.requirements[0].anonymous
    assert security(root=[{"basic": []}]).schemes[0].kind is SchemeKind.BASIC  # the default


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("oauth", "(oauth2)"),
        ("digest", "(http digest)"),
        ("mtls", "(mutualTLS)"),
        ("ghost", "not declared"),
    ],
)
def test_schemes_that_cannot_be_checked_are_refused_in_one_line(name: str, words: str) -> None:
    refusal = security({"bearer": []}, {name: []}).refusal("spec.yaml")
    assert refusal is not None
    assert refusal.startswith("spec.yaml: cannot check security scheme")
    assert words in refusal
    assert "\n" not in refusal
    assert security({"bearer": []}).refusal("spec.yaml") is None


@pytest.mark.parametrize("name", ["bearer", "basic", "header", "query", "cookie"])
@given(token=st.from_regex(r"[A-Za-z0-9\-._~+/]{1,40}", fullmatch=True))
def test_a_presented_credential_reads_back_as_the_same_token(name: str, token: str) -> None:
    sec = security({name: []})
    reading = read(sec, present_credential(sec.schemes[0], token))
    assert reading.state is CredentialState.SATISFIED
    satisfied = reading.satisfied
    assert satisfied is not None
    assert [t for _, t in satisfied.credentials] == [token]


def test_basic_user_id_is_free_and_the_password_is_the_token() -> None:
    scheme = security({"basic": []}).schemes[0]
    assert present_credential(scheme, "alice:s3cret").headers == {
        "Authorization": "Basic YWxpY2U6czNjcmV0"
    }
    reading = read(security({"basic": []}), present_credential(scheme, "alice:s3cret"))
    assert reading.satisfied is not None
    assert reading.satisfied.credentials[0][1] == "s3cret"


@pytest.mark.parametrize(
    ("name", "presented", "state", "message"),
    [
        (
            "bearer",
            {},
            CredentialState.MISSING,
            "Missing bearer token in the Authorization header.",
        ),
        ("bearer", {"Authorization": "Basic eDp5"}, CredentialState.MISSING, "must use the Bearer"),
        ("bearer", {"Authorization": "Bearer a b"}, CredentialState.MALFORMED, "spaces"),
        ("basic", {"Authorization": "Basic !!"}, CredentialState.MALFORMED, "base64"),
        ("basic", {"Authorization": "Basic eHl6"}, CredentialState.MALFORMED, "user-id:password"),
        ("basic", {"Authorization": "Basic eDo="}, CredentialState.MALFORMED, "password is empty"),
        ("header", {"X-API-Key": " "}, CredentialState.MALFORMED, "is empty"),
        ("header", {"Authorization": "Bearer k"}, CredentialState.MISSING, "X-API-Key header"),
        ("cookie", {"Cookie": "other=1"}, CredentialState.MISSING, "session cookie"),
    ],
)
def test_what_is_wrong_is_said(
    name: str, presented: dict[str, str], state: CredentialState, message: str
) -> None:
    reading = read(security({name: []}), Presentation(headers=presented))
    assert reading.state is state
    assert message in reading.message


def test_repeated_credentials_are_malformed() -> None:
    sec = security({"query": []})
    assert read_credentials(sec, query="api_key=a&api_key=b").state is CredentialState.MALFORMED
    two = [("Authorization", "Bearer a"), ("authorization", "Bearer b")]
    reading = read_credentials(security({"bearer": []}), headers=two)
    assert reading.message == "Send one Authorization header, not several."


def test_alternatives_and_combinations() -> None:
    either = security({"bearer": []}, {"header": []})
    assert read(either, Presentation(headers={"X-API-Key": "k"})).satisfied is not None
    assert "or an API key" in read(either, Presentation()).message
    both = security({"bearer": [], "header": []})
    only = read(both, Presentation(headers={"Authorization": "Bearer t"}))
    assert only.state is CredentialState.MISSING
    assert "X-API-Key" in only.message
    optional = security({}, {"bearer": []})
    assert read(optional, Presentation()).satisfied is not None
    bad = read(optional, Presentation(headers={"Authorization": "Bearer a b"}))
    assert bad.state is CredentialState.MALFORMED  # a broken credential is not "none"


def test_challenges_follow_the_schemes() -> None:
    assert security({"bearer": []}).challenge() == 'Bearer error="invalid_token"'
    assert security({"basic": []}).challenge() == 'Basic realm="My API", charset="UTF-8"'
    assert security({"header": []}).challenge() is None


@given(
    headers=st.lists(
        st.tuples(st.sampled_from(["Authorization", "Cookie", "X-API-Key"]), st.text())
    ),
    query=st.text(),
)
def test_reading_never_raises(headers: list[tuple[str, str]], query: str) -> None:
    sec = security({"bearer": [], "cookie": []}, {"basic": []}, {"query": [], "header": []})
    reading = read_credentials(sec, headers=headers, query=query)
    assert reading.state in CredentialState


def test_scheme_describes_where_its_credential_goes() -> None:
    scheme = Scheme("k", SchemeKind.API_KEY, Location.QUERY, "api_key")
    assert scheme.describe() == "an API key in the api_key query parameter"
    assert present_credential(scheme, "t").query_string() == "api_key=t"


@pytest.mark.parametrize("name", ["bearer", "basic", "header", "query", "cookie"])
def test_misplaced_credentials_satisfy_nothing(name: str) -> None:
    sec = security({name: []})
    misplaced = misplaced_credentials(sec.schemes[0], "tok")
    assert len(misplaced) == 2
    for presented in misplaced:
        assert read(sec, presented).satisfied is None
