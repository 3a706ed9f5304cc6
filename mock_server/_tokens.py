"""Bearer-token parsing and the token policy that decides 401 and 403."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ._errors import ApiError


class TokenPolicyError(Exception):
    """The token policy file is missing or malformed."""


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


def _frozen(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@dataclass(frozen=True)
class TokenPolicy:
    """Which bearer tokens may create keys (201), lack permission (403) or are expired (401).

    Tokens listed nowhere are allowed when ``allow_unknown`` is true, else rejected (401).
    """

    allow_unknown: bool = True
    allowed: frozenset[str] = field(default_factory=frozenset)
    forbidden: frozenset[str] = field(default_factory=lambda: frozenset({"readonly-token"}))
    expired: frozenset[str] = field(default_factory=lambda: frozenset({"expired-token"}))

    def verdict(self, token: str) -> Verdict:
        if token in self.forbidden:
            return Verdict.FORBIDDEN
        if token in self.expired:
            return Verdict.EXPIRED
        if token in self.allowed or self.allow_unknown:
            return Verdict.ALLOWED
        return Verdict.UNKNOWN

    def __repr__(self) -> str:
        # Never show the tokens themselves: a policy file may hold real-looking ones.
        return (
            f"TokenPolicy(allow_unknown={self.allow_unknown}, allowed={len(self.allowed)} tokens, "
            f"forbidden={len(self.forbidden)} tokens, expired={len(self.expired)} tokens)"
        )

    @classmethod
    def from_file(cls, path: str | Path) -> TokenPolicy:
        """Read a policy from YAML or JSON: ``unknown: allow|reject``, ``allow``,
        ``forbidden`` and ``expired`` lists. Lists left out keep their defaults."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise TokenPolicyError(f"token policy file not found: {path}") from exc
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise TokenPolicyError(f"cannot read token policy {path}: {exc}") from exc
        return cls.from_mapping(data if data is not None else {}, origin=str(path))

    @classmethod
    def from_mapping(cls, data: Any, *, origin: str = "token policy") -> TokenPolicy:
        if not isinstance(data, dict):
            raise TokenPolicyError(f"{origin}: expected a mapping, got {type(data).__name__}")
        unexpected = set(data) - {"unknown", "allow", "forbidden", "expired"}
        if unexpected:
            raise TokenPolicyError(f"{origin}: unknown keys {sorted(unexpected)}")
        unknown = data.get("unknown", "allow")
        if unknown not in ("allow", "reject"):
            raise TokenPolicyError(f"{origin}: 'unknown' must be 'allow' or 'reject'")
        default = cls()
        lists: dict[str, frozenset[str]] = {}
        for key, fallback in (
            ("allow", default.allowed),
            ("forbidden", default.forbidden),
            ("expired", default.expired),
        ):
            value = data.get(key, sorted(fallback))
            if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
                raise TokenPolicyError(f"{origin}: {key!r} must be a list of non-empty strings")
            lists[key] = _frozen(value)
        return cls(
            allow_unknown=unknown == "allow",
            allowed=lists["allow"],
            forbidden=lists["forbidden"],
            expired=lists["expired"],
        )


# RFC 6750 section 2.1: b64token
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; ApiError(401) otherwise.

    The scheme is case-insensitive (RFC 9110) and spaces around the token are ignored.
    """
    if authorization is None:
        raise unauthorized("Missing bearer token in the Authorization header.")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise unauthorized("The Authorization header must use the Bearer scheme.")
    token = token.strip()
    if not token:
        raise unauthorized("The bearer token is empty.")
    if not _TOKEN68.fullmatch(token):  # the common case first: one regex match
        if any(c.isspace() for c in token):
            raise unauthorized("The bearer token must not contain spaces.")
        raise unauthorized("The bearer token has characters RFC 6750 does not allow.")
    return token


# RFC 6750 section 3: a 401 names the scheme and the error.
_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def unauthorized(message: str, *, code: str = "invalid_token") -> ApiError:
    return ApiError(401, code, message, headers=_CHALLENGE)


def authorize(
    policy: TokenPolicy, authorization: list[str], *, expired_body: dict[str, Any]
) -> None:
    """Decide 401/403 from the request's Authorization header values; return if allowed."""
    if len(authorization) > 1:
        raise unauthorized("Send one Authorization header, not several.")
    token = bearer_token(authorization[0] if authorization else None)
    verdict = policy.verdict(token)
    if verdict is Verdict.ALLOWED:
        return
    if verdict is Verdict.FORBIDDEN:
        raise ApiError(
            403, "permission_denied", "This access token is not allowed to create API keys."
        )
    if verdict is Verdict.EXPIRED:
        body = {"code": "invalid_token", **expired_body}
        error = ApiError.from_body(401, body, fallback="The access token expired.")
        error.headers.update(_CHALLENGE)
        raise error
    raise unauthorized("The access token is not valid.")
