"""Sending probes: one deadline per request, a response size cap, an optional rate limit.

The only module that sees the bearer tokens: a probe names its credential, and the
transport puts the secret on the wire.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

import httpx

from apikeys_contract.checks import Credential

from ._model import Probe, Reply

# Far more than any conforming response; a larger body is cut short, and the checks call
# it "too large to judge" instead of judging the cut body.
MAX_RESPONSE_BYTES = 16 << 20


class TransportError(Exception):
    """No complete HTTP response: refused, timed out, not HTTP, or cut off."""


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
            case Credential.VALID:
                return (self.valid,)
            case Credential.FORBIDDEN:
                return (self.forbidden,) if self.forbidden else ()
            case Credential.UNKNOWN:
                return (self.unknown or self.never_issued,)
            case _:
                return ()


def authorization(credential: Credential, tokens: Tokens) -> str | None:
    """The Authorization header value for ``credential``."""
    match credential:
        case Credential.VALID:
            return f"Bearer {tokens.valid}"
        case Credential.FORBIDDEN:
            return f"Bearer {tokens.forbidden}"
        case Credential.UNKNOWN:
            return f"Bearer {tokens.unknown or tokens.never_issued}"
        case Credential.EMPTY:
            # "Bearer " on the wire: servers strip the trailing space (RFC 9110 OWS), and
            # h11 refuses to send it, so the empty token is sent as the bare scheme.
            return "Bearer"
        case Credential.OTHER_SCHEME:
            return "Basic Y29uZm9ybWFuY2U6aGFybmVzcw=="
        case Credential.NONE:
            return None


class Transport:
    """Sends probes to ``url`` one at a time."""

    def __init__(
        self, url: str, tokens: Tokens, *, timeout: float, rate_limit: float | None = None
    ) -> None:
        self.url = url
        self.tokens = tokens
        self.timeout = timeout
        self.interval = 1.0 / rate_limit if rate_limit else 0.0
        self.sent = 0
        self._last = 0.0
        self._client = self._new_client()

    def _new_client(self) -> httpx.Client:
        return httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def headers(self, probe: Probe) -> dict[str, str]:
        headers = dict(probe.extra_headers)
        if probe.content_type is not None:
            headers["Content-Type"] = probe.content_type
        value = authorization(probe.credential, self.tokens)
        if value is not None:
            headers["Authorization"] = value
        return headers

    def send(self, probe: Probe) -> Reply:
        wait = self._last + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
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
            raise TransportError(f"no complete response within {self.timeout:g} s")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _fetch(self, probe: Probe, outcome: list[Reply | BaseException]) -> None:
        started = time.monotonic()
        try:
            request = self._client.build_request(
                "POST", self.url, headers=self.headers(probe), content=probe.body
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
