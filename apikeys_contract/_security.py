"""The security the contract declares, how to present a credential, and how to read one.

One rule for the mock (which turns a reading into 401 and its challenge), the conformance
harness (which sends credentials the way the contract says and predicts what a request
calls for) and any proxy. OpenAPI's model: an operation's ``security`` is a list of
*alternatives* (any one will do); each alternative is a *combination* of schemes (all of
them are needed); an empty alternative ``{}`` means "no credentials needed", and
``security: []`` switches authentication off.

What can be checked: HTTP ``bearer`` and ``basic``, and ``apiKey`` in a header, a query
parameter or a cookie. Anything else (oauth2, openIdConnect, mutualTLS, other HTTP schemes)
is kept as data in ``Security.unsupported``; the tools refuse such a contract with
``Security.refusal``. Nothing here raises.

The *token* of a credential, the string a token policy judges: the bearer token; for HTTP
basic the password (the user-id is free); for an API key its value.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

SUPPORTED = "http bearer, http basic, apiKey in a header, query parameter or cookie"


class SchemeKind(enum.Enum):
    BEARER = "http bearer"
    BASIC = "http basic"
    API_KEY = "apiKey"


class Location(enum.Enum):
    HEADER = "header"
    QUERY = "query"
    COOKIE = "cookie"


@dataclass(frozen=True)
class Scheme:
    """One security scheme the contract declares: what carries the credential, and where.

    ``field`` is the header name (``Authorization`` for HTTP schemes), query parameter or
    cookie name.
    """

    name: str
    kind: SchemeKind
    location: Location
    field: str

    @property
    def noun(self) -> str:
        """What the credential is called in messages."""
        return {
            SchemeKind.BEARER: "access token",
            SchemeKind.BASIC: "password",
            SchemeKind.API_KEY: "API key",
        }[self.kind]

    def describe(self) -> str:
        """Where the credential goes, in words: 'a bearer token in the Authorization header'."""
        what = {
            SchemeKind.BEARER: "a bearer token",
            SchemeKind.BASIC: "HTTP basic credentials",
            SchemeKind.API_KEY: "an API key",
        }[self.kind]
        where = "query parameter" if self.location is Location.QUERY else self.location.value
        return f"{what} in the {self.field} {where}"


@dataclass(frozen=True)
class Requirement:
    """One alternative of the operation's ``security``: every scheme in it is needed.
    No scheme at all (``{}``) means the request may come without credentials."""

    schemes: tuple[Scheme, ...]

    @property
    def anonymous(self) -> bool:
        return not self.schemes

    def describe(self) -> str:
        if not self.schemes:
            return "no credentials"
        return " and ".join(scheme.describe() for scheme in self.schemes)


@dataclass(frozen=True)
class Security:
    """The operation's security requirements, parsed once from the contract.

    ``requirements`` is empty when the operation needs no authentication (no ``security``
    anywhere, or ``security: []``). ``unsupported`` describes each scheme a tool cannot
    check; ``refusal`` turns it into one line.
    """

    requirements: tuple[Requirement, ...] = ()
    unsupported: tuple[str, ...] = ()
    realm: str = "api"

    @property
    def required(self) -> bool:
        """True when a request without credentials must be refused."""
        return bool(self.requirements) and not any(r.anonymous for r in self.requirements)

    @property
    def schemes(self) -> tuple[Scheme, ...]:
        """Every scheme used by some alternative, each once, in order."""
        seen: dict[str, Scheme] = {}
        for requirement in self.requirements:
            for scheme in requirement.schemes:
                seen.setdefault(scheme.name, scheme)
        return tuple(seen.values())

    @property
    def header_names(self) -> frozenset[str]:
        """Lower-case names of the request headers that carry credentials (with Cookie)."""
        names = {s.field.lower() for s in self.schemes if s.location is Location.HEADER}
        if any(s.location is Location.COOKIE for s in self.schemes):
            names.add("cookie")
        return frozenset(names)

    def refusal(self, origin: str) -> str | None:
        """One line saying why the contract's security cannot be checked, or None."""
        if not self.unsupported:
            return None
        return f"{origin}: cannot check {'; '.join(self.unsupported)} (supported: {SUPPORTED})"

    def challenge(self) -> str | None:
        """The ``WWW-Authenticate`` value a 401 carries: one challenge per HTTP scheme
        (RFC 6750 for Bearer, RFC 7617 for Basic); None when only API keys are declared."""
        challenges = []
        for scheme in self.schemes:
            if scheme.kind is SchemeKind.BEARER:
                challenges.append('Bearer error="invalid_token"')
            elif scheme.kind is SchemeKind.BASIC:
                challenges.append(f'Basic realm="{self.realm}", charset="UTF-8"')
        return ", ".join(challenges) or None


def parse_security(document: Mapping[str, Any], operation: Mapping[str, Any]) -> Security:
    """The security requirements of ``operation`` (or the document's default)."""
    raw = operation.get("security", document.get("security"))
    components = document.get("components")
    declared = components.get("securitySchemes") if isinstance(components, Mapping) else None
    schemes = declared if isinstance(declared, Mapping) else {}
    info = document.get("info")
    title = info.get("title") if isinstance(info, Mapping) else None
    realm = re.sub(r'["\\\x00-\x1f\x7f]', "", str(title or "")) or "api"
    requirements: list[Requirement] = []
    unsupported: dict[str, str] = {}
    for alternative in raw if isinstance(raw, list) else []:
        parsed: list[Scheme] = []
        for name in alternative if isinstance(alternative, Mapping) else ():
            scheme, problem = _parse_scheme(str(name), schemes.get(name))
            if scheme is not None:
                parsed.append(scheme)
            else:
                unsupported.setdefault(str(name), problem)
        requirements.append(Requirement(tuple(parsed)))
    return Security(tuple(requirements), tuple(unsupported.values()), realm)


def _parse_scheme(name: str, raw: Any) -> tuple[Scheme | None, str]:
    if not isinstance(raw, Mapping):
        return None, f"security scheme {name!r} (not declared in components.securitySchemes)"
    kind = raw.get("type")
    if kind == "http":
        http = str(raw.get("scheme", "")).lower()
        if http == "bearer":
            return Scheme(name, SchemeKind.BEARER, Location.HEADER, "Authorization"), ""
        if http == "basic":
            return Scheme(name, SchemeKind.BASIC, Location.HEADER, "Authorization"), ""
        return None, f"security scheme {name!r} (http {http or 'without a scheme'})"
    if kind == "apiKey":
        where, field_name = raw.get("in"), raw.get("name")
        if where in ("header", "query", "cookie") and isinstance(field_name, str) and field_name:
            return Scheme(name, SchemeKind.API_KEY, Location(where), field_name), ""
        return None, f"security scheme {name!r} (apiKey in {where!r} named {field_name!r})"
    return None, f"security scheme {name!r} ({kind})"


# -- presenting a credential ------------------------------------------------------------


@dataclass(frozen=True)
class Presentation:
    """What to add to a request so that it carries a credential."""

    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)

    def merged(self, other: Presentation) -> Presentation:
        return Presentation(
            {**self.headers, **other.headers},
            {**self.query, **other.query},
            {**self.cookies, **other.cookies},
        )

    def query_string(self) -> str:
        return urlencode(dict(self.query))

    def cookie_header(self) -> str | None:
        """The ``Cookie`` header value for ``cookies`` (None when there is none)."""
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items()) or None


def present_credential(scheme: Scheme, token: str) -> Presentation:
    """How to send ``token`` the way ``scheme`` says.

    For HTTP basic, ``token`` is ``user-id:password`` when it holds a colon, else the
    password alone (sent with an empty user-id): either way the password is the token.
    """
    match scheme.kind:
        case SchemeKind.BEARER:
            return Presentation(headers={"Authorization": f"Bearer {token}"})
        case SchemeKind.BASIC:
            pair = token if ":" in token else f":{token}"
            encoded = base64.b64encode(pair.encode("utf-8")).decode("ascii")
            return Presentation(headers={"Authorization": f"Basic {encoded}"})
    if scheme.location is Location.QUERY:
        return Presentation(query={scheme.field: token})
    if scheme.location is Location.COOKIE:
        return Presentation(cookies={scheme.field: token})
    return Presentation(headers={scheme.field: token})


def misplaced_credentials(scheme: Scheme, token: str) -> tuple[Presentation, ...]:
    """``token`` sent where ``scheme`` does not say: every one must be refused (401).

    An API key goes to the other two places under the same name; an HTTP credential goes
    under the other HTTP scheme's name and in an ``X-API-Key`` header.
    """
    if scheme.kind is not SchemeKind.API_KEY:
        other = "Basic" if scheme.kind is SchemeKind.BEARER else "Bearer"
        return (
            Presentation(headers={"Authorization": f"{other} {token}"}),
            Presentation(headers={"X-API-Key": token}),
        )
    places = {
        Location.HEADER: Presentation(headers={scheme.field: token}),
        Location.QUERY: Presentation(query={scheme.field: token}),
        Location.COOKIE: Presentation(cookies={scheme.field: token}),
    }
    return tuple(p for where, p in places.items() if where is not scheme.location)


def present_requirement(requirement: Requirement, token: str) -> Presentation:
    """``token`` presented in every scheme of ``requirement`` (a combination)."""
    presentation = Presentation()
    for scheme in requirement.schemes:
        presentation = presentation.merged(present_credential(scheme, token))
    return presentation


# -- reading credentials ----------------------------------------------------------------


class CredentialState(enum.Enum):
    SATISFIED = "satisfied"
    MISSING = "missing"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class SchemeReading:
    """What a request presents for one scheme: the token, or what is wrong (``message``)."""

    scheme: Scheme
    state: CredentialState
    token: str | None = None
    message: str = ""


@dataclass(frozen=True)
class RequirementReading:
    """One alternative, judged: satisfied when every scheme of it is."""

    requirement: Requirement
    readings: tuple[SchemeReading, ...]

    @property
    def state(self) -> CredentialState:
        states = {reading.state for reading in self.readings}
        if CredentialState.MALFORMED in states:
            return CredentialState.MALFORMED
        if CredentialState.MISSING in states:
            return CredentialState.MISSING
        return CredentialState.SATISFIED

    @property
    def credentials(self) -> tuple[tuple[Scheme, str], ...]:
        """(scheme, token) for each scheme satisfied."""
        return tuple((r.scheme, r.token) for r in self.readings if r.token is not None)

    @property
    def message(self) -> str:
        """What is wrong (the first malformed credential, else the first missing one)."""
        for state in (CredentialState.MALFORMED, CredentialState.MISSING):
            for reading in self.readings:
                if reading.state is state:
                    return reading.message
        return ""


@dataclass(frozen=True)
class SecurityReading:
    """Every alternative of the operation's security, judged against one request."""

    security: Security
    alternatives: tuple[RequirementReading, ...]

    @property
    def satisfied(self) -> RequirementReading | None:
        """The alternative the request meets, preferring one that carries credentials;
        None when it meets none. Always set when the operation has no security."""
        met = [a for a in self.alternatives if a.state is CredentialState.SATISFIED]
        with_credentials = [a for a in met if a.readings]
        if with_credentials:
            return with_credentials[0]
        if met and not any(a.state is CredentialState.MALFORMED for a in self.alternatives):
            return met[0]
        if not self.alternatives:
            return RequirementReading(Requirement(()), ())
        return None

    @property
    def state(self) -> CredentialState:
        if self.satisfied is not None:
            return CredentialState.SATISFIED
        if any(a.state is CredentialState.MALFORMED for a in self.alternatives):
            return CredentialState.MALFORMED
        return CredentialState.MISSING

    @property
    def message(self) -> str:
        """Why the request is refused (empty when it is not): the problem of a malformed
        credential, else what is missing."""
        if self.satisfied is not None:
            return ""
        for alternative in self.alternatives:
            if alternative.state is CredentialState.MALFORMED:
                return alternative.message
        if len(self.alternatives) == 1:
            return self.alternatives[0].message
        wanted = " or ".join(a.requirement.describe() for a in self.alternatives)
        return f"Missing credentials: send {wanted}."


Pairs = Iterable[tuple[str | bytes, str | bytes]]


def read_credentials(
    security: Security,
    *,
    headers: Pairs = (),
    query: str | bytes = "",
    cookies: Mapping[str, str] | None = None,
) -> SecurityReading:
    """Judge the credentials a request presents against every alternative of ``security``.

    ``headers`` are (name, value) pairs as sent (names in any case, repeated names kept),
    ``query`` the raw query string, ``cookies`` any cookies known apart from the ``Cookie``
    headers. Bytes are read as Latin-1, as HTTP/1.1 carries them.
    """
    try:
        found = _Found.gather(security, headers, query, cookies)
        alternatives = tuple(
            RequirementReading(r, tuple(found.read(s) for s in r.schemes))
            for r in security.requirements
        )
    except Exception:  # never raise: an unreadable request presents nothing usable
        alternatives = tuple(
            RequirementReading(
                r,
                tuple(
                    SchemeReading(s, CredentialState.MALFORMED, message="Unreadable credentials.")
                    for s in r.schemes
                ),
            )
            for r in security.requirements
        )
    return SecurityReading(security, alternatives)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


@dataclass
class _Found:
    headers: dict[str, list[str]]
    query: dict[str, list[str]]
    cookies: dict[str, list[str]]

    @classmethod
    def gather(
        cls,
        security: Security,
        headers: Pairs,
        query: str | bytes,
        cookies: Mapping[str, str] | None,
    ) -> _Found:
        wanted = security.header_names
        found: dict[str, list[str]] = {}
        for name, value in headers:
            key = _text(name).lower()
            if key in wanted:
                found.setdefault(key, []).append(_text(value))
        params: dict[str, list[str]] = {}
        if any(s.location is Location.QUERY for s in security.schemes):
            for key, value in parse_qsl(_text(query), keep_blank_values=True):
                params.setdefault(key, []).append(value)
        jar: dict[str, list[str]] = {}
        for line in found.get("cookie", []):
            for item in line.split(";"):
                key, sep, value = item.strip().partition("=")
                if sep:
                    jar.setdefault(key.strip(), []).append(value.strip().strip('"'))
        for key, value in (cookies or {}).items():
            jar.setdefault(key, []).append(value)
        return cls(found, params, jar)

    def read(self, scheme: Scheme) -> SchemeReading:
        if scheme.kind is SchemeKind.BEARER:
            return read_bearer(scheme, self.headers.get("authorization", []))
        if scheme.kind is SchemeKind.BASIC:
            return read_basic(scheme, self.headers.get("authorization", []))
        source = {
            Location.HEADER: self.headers.get(scheme.field.lower(), []),
            Location.QUERY: self.query.get(scheme.field, []),
            Location.COOKIE: self.cookies.get(scheme.field, []),
        }[scheme.location]
        return read_api_key(scheme, source)


def _missing(scheme: Scheme, message: str) -> SchemeReading:
    return SchemeReading(scheme, CredentialState.MISSING, message=message)


def _malformed(scheme: Scheme, message: str) -> SchemeReading:
    return SchemeReading(scheme, CredentialState.MALFORMED, message=message)


# RFC 6750 section 2.1: b64token
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def read_bearer(scheme: Scheme, authorization: list[str]) -> SchemeReading:
    """``Authorization: Bearer <token>``: the scheme name is case-insensitive (RFC 9110),
    spaces around the token are ignored, the token must be an RFC 6750 b64token."""
    state, text = bearer_token(authorization)
    if state is CredentialState.SATISFIED:
        return SchemeReading(scheme, state, text)
    return SchemeReading(scheme, state, message=text)


def bearer_token(authorization: list[str]) -> tuple[CredentialState, str]:
    """``read_bearer`` as a plain pair: (SATISFIED, token) or (state, what is wrong); the
    mock's hot path, which needs no reading object."""
    if len(authorization) == 1:
        name, _, token = authorization[0].strip().partition(" ")
        if name.lower() != "bearer":
            return MISSING, "The Authorization header must use the Bearer scheme."
        token = token.strip()
        if _TOKEN68.fullmatch(token):
            return SATISFIED, token
        if not token:
            return MALFORMED, "The bearer token is empty."
        if any(c.isspace() for c in token):
            return MALFORMED, "The bearer token must not contain spaces."
        return MALFORMED, "The bearer token has characters RFC 6750 does not allow."
    if authorization:
        return MALFORMED, "Send one Authorization header, not several."
    return MISSING, "Missing bearer token in the Authorization header."


SATISFIED, MISSING, MALFORMED = CredentialState


def read_basic(scheme: Scheme, authorization: list[str]) -> SchemeReading:
    """``Authorization: Basic base64(user-id:password)`` (RFC 7617); the token is the
    password."""
    if len(authorization) > 1:
        return _malformed(scheme, "Send one Authorization header, not several.")
    if not authorization:
        return _missing(scheme, "Missing basic credentials in the Authorization header.")
    name, _, encoded = authorization[0].strip().partition(" ")
    if name.lower() != "basic":
        return _missing(scheme, "The Authorization header must use the Basic scheme.")
    try:
        pair = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return _malformed(scheme, "The basic credentials are not base64 of UTF-8 text.")
    _, colon, password = pair.partition(":")
    if not colon:
        return _malformed(scheme, "The basic credentials must be user-id:password.")
    if not password:
        return _malformed(scheme, "The basic password is empty.")
    return SchemeReading(scheme, CredentialState.SATISFIED, password)


def read_api_key(scheme: Scheme, values: list[str]) -> SchemeReading:
    """An API key: exactly one non-empty value where the scheme says."""
    where = scheme.describe().removeprefix("an API key in ")
    if not values:
        return _missing(scheme, f"Missing API key in the {where}.")
    if len(values) > 1:
        return _malformed(scheme, f"Send one API key in the {where}, not several.")
    if not values[0].strip():
        return _malformed(scheme, f"The API key in the {where} is empty.")
    return SchemeReading(scheme, CredentialState.SATISFIED, values[0].strip())
