"""Authentication as the contract declares it, and the token policy that decides 401 and 403.

Reading credentials is the contract package's rule (``apikeys_contract.read_credentials``);
this module turns its verdict, and the token policy's, into the mock's errors. The 403 body
and the expired-credential 401 body are examples documented in the contract, chosen by the
token policy (``forbidden_example``, ``expired_example``; by default each response's first
example).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from starlette.types import Scope

from apikeys_contract import (
    Contract,
    CredentialState,
    Location,
    SchemeKind,
    SpecError,
    bearer_token,
    read_credentials,
)

from ..common import ApiError, Rule


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
    """Which tokens may create keys (201), lack permission (403) or are expired (401).

    A token is whatever credential the contract's security scheme carries: the bearer token,
    the API key, or the password of HTTP basic. Tokens listed nowhere are allowed when
    ``allow_unknown`` is true, else rejected (401). ``expired_example`` and
    ``forbidden_example`` name the documented 401 and 403 examples sent for expired and
    forbidden tokens (None: the response's first example).
    """

    allow_unknown: bool = True
    allowed: frozenset[str] = field(default_factory=frozenset)
    forbidden: frozenset[str] = field(default_factory=lambda: frozenset({"readonly-token"}))
    expired: frozenset[str] = field(default_factory=lambda: frozenset({"expired-token"}))
    expired_example: str | None = None
    forbidden_example: str | None = None

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
            f"forbidden={len(self.forbidden)} tokens, expired={len(self.expired)} tokens, "
            f"expired_example={self.expired_example!r}, "
            f"forbidden_example={self.forbidden_example!r})"
        )

    @classmethod
    def from_file(cls, path: str | Path) -> TokenPolicy:
        """Read a policy from YAML or JSON: ``unknown: allow|reject``, ``allow``,
        ``forbidden`` and ``expired`` lists, ``expired_example`` and ``forbidden_example``
        names. What is left out keeps its default."""
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
        unexpected = set(data) - {
            "unknown", "allow", "forbidden", "expired", "expired_example", "forbidden_example"
        }  # fmt: skip
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
        examples: dict[str, str | None] = {}
        for key in ("expired_example", "forbidden_example"):
            name = data.get(key)
            if name is not None and not (isinstance(name, str) and name):
                raise TokenPolicyError(f"{origin}: {key!r} must be an example name")
            examples[key] = name
        return cls(
            allow_unknown=unknown == "allow",
            allowed=lists["allow"],
            forbidden=lists["forbidden"],
            expired=lists["expired"],
            expired_example=examples["expired_example"],
            forbidden_example=examples["forbidden_example"],
        )


def _example(contract: Contract, status: int, name: str | None, key: str) -> dict[str, Any] | None:
    """The documented example ``name`` of ``status`` (None: its first example)."""
    response = contract.responses.get(status)
    examples = response.examples if response is not None else {}
    if name is None:
        first = next(iter(examples.values()), None)
        return dict(first) if isinstance(first, dict) else None
    if name not in examples:
        documented = ", ".join(examples) or "none"
        raise SpecError(
            f"{contract.origin}: token policy {key} {name!r} is not an example of the "
            f"{status} response (documented: {documented})"
        )
    found = examples[name]
    return dict(found) if isinstance(found, dict) else None


class Authenticator:
    """Decides 401 and 403 for a request, from the contract's security and the policy.

    Built once at start-up; refuses (SpecError) a contract whose security it cannot check.
    """

    def __init__(self, contract: Contract, policy: TokenPolicy) -> None:
        security = contract.security
        refusal = security.refusal(contract.origin)
        if refusal is not None:
            raise SpecError(refusal)
        self.security = security
        self.policy = policy
        self.active = bool(security.requirements)
        if security.schemes and 401 not in contract.responses:
            raise SpecError(
                f"{contract.origin}: the operation declares security but documents no 401"
            )
        challenge = security.challenge()
        self.challenge = {"WWW-Authenticate": challenge} if challenge else {}
        self.expired_body = _example(contract, 401, policy.expired_example, "expired_example")
        self.forbidden_body = _example(contract, 403, policy.forbidden_example, "forbidden_example")
        self.forbidden_status = 403 if 403 in contract.responses else 401
        # The bundled contract's case, read without the general machinery: one bearer scheme.
        schemes = security.schemes
        self.bearer_only = (
            len(security.requirements) == 1
            and len(schemes) == 1
            and schemes[0].kind is SchemeKind.BEARER
        )
        self.reads_query = any(s.location is Location.QUERY for s in schemes)

    def unauthorized(self, message: str, *, code: str = "invalid_token") -> ApiError:
        return ApiError(401, code, message, headers=self.challenge, rule=Rule.CREDENTIALS)

    def check(self, scope: Scope, authorization: list[str]) -> None:
        """Return if the request may create keys; raise ApiError(401 or 403) otherwise."""
        if self.bearer_only:
            state, text = bearer_token(authorization)
            if state is not CredentialState.SATISFIED:
                raise self.unauthorized(text)
            if self.policy.verdict(text) is not Verdict.ALLOWED:
                self.judge((("access token", text),))
            return
        security = read_credentials(
            self.security,
            headers=scope["headers"],
            query=scope.get("query_string", b"") if self.reads_query else b"",
        )
        met = security.satisfied
        if met is None:
            raise self.unauthorized(security.message)
        self.judge(tuple((scheme.noun, token) for scheme, token in met.credentials))

    def judge(self, credentials: tuple[tuple[str, str], ...]) -> None:
        """Apply the token policy to every credential presented (a combination has several):
        expired, then unknown, then forbidden decides."""
        verdicts = [(noun, self.policy.verdict(token)) for noun, token in credentials]
        for noun, verdict in verdicts:
            if verdict is Verdict.EXPIRED:
                raise self.expired(noun)
        for noun, verdict in verdicts:
            if verdict is Verdict.UNKNOWN:
                raise self.unauthorized(f"The {noun} is not valid.")
        for noun, verdict in verdicts:
            if verdict is Verdict.FORBIDDEN:
                raise self.forbidden(noun)

    def expired(self, noun: str) -> ApiError:
        if self.expired_body is None:
            return self.unauthorized(f"The {noun} expired.")
        error = ApiError.from_body(
            401, self.expired_body, fallback=f"The {noun} expired.", rule=Rule.CREDENTIALS
        )
        error.headers.update(self.challenge)
        return error

    def forbidden(self, noun: str) -> ApiError:
        fallback = f"This {noun} is not allowed to create API keys."
        if self.forbidden_status != 403:
            return self.unauthorized(fallback)
        if self.forbidden_body is None:
            return ApiError(403, "permission_denied", fallback, rule=Rule.CREDENTIALS)
        return ApiError.from_body(
            403, self.forbidden_body, fallback=fallback, rule=Rule.CREDENTIALS
        )
