"""Sending probes: one deadline per request, a response size cap, an optional rate limit.

The only module that sees the bearer tokens: a probe names its credential, and the
transport puts the secret on the wire.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from apikeys_contract import (
    Location,
    Presentation,
    Requirement,
    Scheme,
    SchemeKind,
    Security,
    misplaced_credentials,
    present_requirement,
    read_credentials,
)
from apikeys_contract.checks import Credential

from ._model import Probe, Reply

# Far more than any conforming response; a larger body is cut short, and the checks call
# it "too large to judge" instead of judging the cut body.
MAX_RESPONSE_BYTES = 16 << 20


# RFC 6750 section 2.3: where OAuth clients put a bearer token in the URI. A place the
# contract does not name (unless its security says so): the token must not authenticate.
QUERY_TOKEN_PARAMETER = "access_token"  # noqa: S105 - a parameter name, not a secret
# The auth scheme's name respelt, RFC 9110 section 11.1: credentials the target must accept.
RESPELT: dict[Credential, Callable[[str, str], str]] = {
    Credential.SCHEME_LOWER_CASE: lambda scheme, rest: f"{scheme.lower()} {rest}",
    Credential.SCHEME_UPPER_CASE: lambda scheme, rest: f"{scheme.upper()} {rest}",
    Credential.SCHEME_TWO_SPACES: lambda scheme, rest: f"{scheme}  {rest}",
}

# Bearer in the Authorization header: what a Transport presents unless told otherwise.
BEARER = Security(
    (Requirement((Scheme("bearerAuth", SchemeKind.BEARER, Location.HEADER, "Authorization"),)),)
)


class TransportError(Exception):
    """No complete HTTP response: refused, timed out, not HTTP, or cut off."""

    elapsed: float = 0.0  # from sending the request to giving up on it


@dataclass(frozen=True)
class Tokens:
    """The secrets a run presents. ``repr`` never shows them."""

    valid: str = field(repr=False)
    forbidden: str | None = field(default=None, repr=False)
    unknown: str | None = field(default=None, repr=False)
    # A fresh token no target ever issued: sent as the unknown token when none is given.
    never_issued: str = field(
        default_factory=lambda: "never-issued-" + secrets.token_urlsafe(24), repr=False
    )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The tokens the user gave: masked in every output."""
        return tuple(t for t in (self.valid, self.forbidden, self.unknown) if t)

    def presented(self, credential: Credential) -> tuple[str, ...]:
        """The secrets a request with ``credential`` puts on the wire."""
        match credential:
            case Credential.VALID | Credential.QUERY_PARAMETER:
                return (self.valid,)
            case Credential.FORBIDDEN:
                return (self.forbidden,) if self.forbidden else ()
            case Credential.UNKNOWN:
                return (self.unknown or self.never_issued,)
            case Credential.MISPLACED | Credential.INCOMPLETE:
                return (self.valid,)
            case _ if credential.authenticates:
                return (self.valid,)
            case _:
                return ()


def presentation(credential: Credential, tokens: Tokens, security: Security) -> Presentation:
    """What a request with ``credential`` adds, presented the way the contract's security
    says (its first alternative that carries credentials)."""
    requirement = next((r for r in security.requirements if not r.anonymous), None)
    if requirement is None or credential is Credential.NONE:
        return Presentation()
    match credential:
        case Credential.EMPTY:
            return present_requirement(requirement, "")
        case Credential.MISPLACED:
            return _misplaced(requirement, tokens.valid, security)
        case Credential.INCOMPLETE:
            return present_requirement(Requirement(requirement.schemes[1:]), tokens.valid)
        case Credential.QUERY_PARAMETER:
            return Presentation(query={QUERY_TOKEN_PARAMETER: tokens.valid})
    if credential in RESPELT:
        return respelt(present_requirement(requirement, tokens.valid), credential)
    secret = tokens.presented(credential)
    return present_requirement(requirement, secret[0]) if secret else Presentation()


def respelt(shown: Presentation, credential: Credential) -> Presentation:
    """``shown`` with its ``Authorization`` header's scheme name spelt as ``credential`` says."""
    value = shown.headers.get("Authorization")
    if value is None:
        return shown
    scheme, _, rest = value.partition(" ")
    headers = {**shown.headers, "Authorization": RESPELT[credential](scheme, rest)}
    return Presentation(headers, shown.query, shown.cookies)


def _misplaced(requirement: Requirement, token: str, security: Security) -> Presentation:
    """The valid token where no alternative of the contract's security looks for it."""
    for scheme in requirement.schemes:
        for shown in misplaced_credentials(scheme, token):
            headers = [*shown.headers.items()]
            cookie = shown.cookie_header()
            if cookie is not None:
                headers.append(("Cookie", cookie))
            reading = read_credentials(security, headers=headers, query=shown.query_string())
            if reading.satisfied is None:
                return shown
    return Presentation()


class Transport:
    """Sends probes to ``url`` one at a time, with the contract's ``method``."""

    def __init__(
        self,
        url: str,
        tokens: Tokens,
        *,
        timeout: float,
        rate_limit: float | None = None,
        security: Security | None = None,
        method: str = "POST",
    ) -> None:
        self.url = url
        self.method = method
        self.tokens = tokens
        self.security = security or BEARER
        self.timeout = timeout
        self.interval = 1.0 / rate_limit if rate_limit else 0.0
        self.sent = 0
        self._last = 0.0
        self._client = self._new_client()

    def _new_client(self) -> httpx.Client:
        return httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def presentation(self, probe: Probe) -> Presentation:
        return presentation(probe.credential, self.tokens, self.security)

    def url_for(self, probe: Probe) -> str:
        query = self.presentation(probe).query_string()
        return f"{self.url}?{query}" if query else self.url

    def headers(self, probe: Probe) -> dict[str, str]:
        headers = dict(probe.extra_headers)
        if probe.content_type is not None:
            headers["Content-Type"] = probe.content_type
        shown = self.presentation(probe)
        # An empty credential leaves a bare scheme ("Bearer"): servers strip the trailing
        # space anyway (RFC 9110 OWS), and the HTTP client refuses to send it.
        headers.update({name: value.strip() for name, value in shown.headers.items()})
        cookie = shown.cookie_header()
        if cookie is not None:
            headers["Cookie"] = cookie
        return headers

    def send(self, probe: Probe) -> Reply:
        wait = self._last + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = started = time.monotonic()
        self.sent += 1
        # A worker thread, so that one deadline covers connecting, a slow header, a
        # dripping body: httpx's timeouts apply to each socket operation, not the whole.
        outcome: list[Reply | BaseException] = []
        worker = threading.Thread(target=self._fetch, args=(probe, outcome), daemon=True)
        worker.start()
        worker.join(self.timeout)
        if not outcome:
            self._client.close()  # unblocks the worker; it dies on its own
            self._client = self._new_client()
            late = TransportError(f"no complete response within {self.timeout:g} s")
            late.elapsed = time.monotonic() - started
            raise late
        result = outcome[0]
        if isinstance(result, TransportError):
            result.elapsed = time.monotonic() - started
        if isinstance(result, BaseException):
            raise result
        return result

    def _fetch(self, probe: Probe, outcome: list[Reply | BaseException]) -> None:
        started = time.monotonic()
        try:
            request = self._client.build_request(
                self.method, self.url_for(probe), headers=self.headers(probe), content=probe.body
            )
            response = self._client.send(request, stream=True)
            try:
                body, truncated = _read_capped(response)
            finally:
                response.close()
            outcome.append(
                Reply(
                    status=response.status_code,
                    headers=tuple(
                        (k.decode("latin-1").lower(), v.decode("latin-1"))
                        for k, v in response.headers.raw
                    ),
                    body=body,
                    truncated=truncated,
                    elapsed=time.monotonic() - started,
                )
            )
        except httpx.ConnectError as exc:
            outcome.append(TransportError(f"connection failed ({_reason(exc)})"))
        except httpx.TimeoutException:
            outcome.append(TransportError(f"no complete response within {self.timeout:g} s"))
        except httpx.RemoteProtocolError as exc:
            outcome.append(TransportError(f"not a valid HTTP response ({_reason(exc)})"))
        except Exception as exc:  # e.g. the client closed under us at the deadline
            outcome.append(TransportError(f"{type(exc).__name__}: {_reason(exc)}"))


def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return b"".join(chunks)[:MAX_RESPONSE_BYTES], True
    return b"".join(chunks), False


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
