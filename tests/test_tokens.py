from __future__ import annotations

from pathlib import Path

import pytest

from apikeys_contract import CredentialState, Location, Scheme, SchemeKind, read_bearer
from mock_server import TokenPolicy, TokenPolicyError
from mock_server.mock._tokens import Verdict

BEARER = Scheme("bearerAuth", SchemeKind.BEARER, Location.HEADER, "Authorization")


def test_default_policy_allows_any_token_but_the_demo_ones() -> None:
    policy = TokenPolicy()
    assert policy.verdict("anything") is Verdict.ALLOWED
    assert policy.verdict("readonly-token") is Verdict.FORBIDDEN
    assert policy.verdict("expired-token") is Verdict.EXPIRED


def test_policy_file_can_reject_unknown_tokens(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text("unknown: reject\nallow: [good]\nforbidden: [ro]\n")
    policy = TokenPolicy.from_file(path)
    assert policy.verdict("good") is Verdict.ALLOWED
    assert policy.verdict("ro") is Verdict.FORBIDDEN
    assert policy.verdict("expired-token") is Verdict.EXPIRED  # default kept
    assert policy.verdict("other") is Verdict.UNKNOWN


def test_repr_never_shows_tokens() -> None:
    policy = TokenPolicy(allowed=frozenset({"s3cr3t"}))
    assert "s3cr3t" not in repr(policy)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "expected a mapping"),
        ("unknown: maybe", "'unknown' must be"),
        ("allow: [1]", "'allow' must be a list"),
        ("allowed: [a]", "unknown keys"),
        ("expired_example: 3", "'expired_example' must be"),
    ],
)
def test_malformed_policy_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text(text)
    with pytest.raises(TokenPolicyError, match=message):
        TokenPolicy.from_file(path)


def test_missing_policy_file() -> None:
    with pytest.raises(TokenPolicyError, match="not found"):
        TokenPolicy.from_file("/nonexistent/tokens.yaml")


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        (" Bearer x.y-z~", "x.y-z~"),
    ],
)
def test_bearer_token_parsing(header: str, token: str) -> None:
    reading = read_bearer(BEARER, [header])
    assert reading.state is CredentialState.SATISFIED
    assert reading.token == token


@pytest.mark.parametrize(
    "headers", [[], [""], ["Bearer"], ["Bearer "], ["Basic abc"], ["Token abc"], ["Bearer a b"]]
)
def test_bearer_token_refusals(headers: list[str]) -> None:
    reading = read_bearer(BEARER, headers)
    assert reading.state is not CredentialState.SATISFIED
    assert reading.token is None
    assert reading.message


def test_two_authorization_headers_are_refused() -> None:
    reading = read_bearer(BEARER, ["Bearer a", "Bearer b"])
    assert reading.state is CredentialState.MALFORMED
    assert reading.message == "Send one Authorization header, not several."
    assert read_bearer(BEARER, ["Bearer a"]).token == "a"  # one is fine


def test_policy_file_names_the_examples(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text("expired_example: gone\nforbidden_example: nope\n")
    policy = TokenPolicy.from_file(path)
    assert (policy.expired_example, policy.forbidden_example) == ("gone", "nope")
    assert TokenPolicy().expired_example is None
