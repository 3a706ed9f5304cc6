"""``--rate-limit N/s``: a request budget per window, answered with the contract's 429.

Only a contract that documents a 429 for the operation gets one (``rate_limit_refusal``
says why not, in one line). The budget is per token (the credential the request presents)
or per client address; each key gets ``requests`` per window, the window starting at its
first request. Once spent, the answer is the contract's 429, with its required headers and
its documented body; the header that tells when to retry (``Retry-After`` in the contract's
spelling, bounded by its schema) carries the seconds left in the window, after which the
budget is whole again.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from apikeys_contract import Contract

TOO_MANY_REQUESTS = 429  # RFC 6585; the contract decides whether the operation has one
RETRY_AFTER = "retry-after"  # RFC 9110's name, matched against the contract's headers
KEYS = ("token", "client")
_SPEC = re.compile(r"(\d+)/(\d*)(s|sec|second|m|min|minute|h|hour)")
_UNIT_S = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
_UNIT_S |= {"h": 3600, "hour": 3600}
# Past this many keys, windows that have ended are forgotten.
PRUNE_AT = 10_000


@dataclass(frozen=True)
class RateLimit:
    """``requests`` per ``window_s`` seconds."""

    requests: int
    window_s: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        found = _SPEC.fullmatch(text.strip().lower())
        if found is None:
            raise ValueError(f"{text!r} is not a rate such as 10/s, 100/min or 5/10s")
        requests, count, unit = int(found.group(1)), found.group(2), found.group(3)
        window = int(count or 1) * _UNIT_S[unit]
        if requests < 1 or window < 1:
            raise ValueError(f"{text!r}: give at least 1 request per at least 1 second")
        return cls(requests, float(window))

    def __str__(self) -> str:
        window = "" if self.window_s == 1 else f"{self.window_s:g}"
        return f"{self.requests}/{window}s"


def rate_limit_refusal(contract: Contract) -> str | None:
    """Why the contract cannot have a rate limit (it documents no 429), else None."""
    if TOO_MANY_REQUESTS in contract.responses:
        return None
    listed = ", ".join(map(str, contract.statuses))
    return (
        f"--rate-limit: {contract.method} {contract.path} documents no "
        f"{TOO_MANY_REQUESTS} response in {contract.origin} (documented: {listed}); "
        "a rate-limited answer would break the contract"
    )


@dataclass(frozen=True)
class RetryHeader:
    """The 429's header that says when to retry, as the contract spells and bounds it."""

    name: str
    minimum: int = 1
    maximum: int | None = None

    @classmethod
    def from_contract(cls, contract: Contract) -> RetryHeader | None:
        response = contract.responses[TOO_MANY_REQUESTS]
        for name in response.headers:
            if name.lower() == RETRY_AFTER:
                schema = (response.header_objects.get(name) or {}).get("schema") or {}
                low, high = schema.get("minimum"), schema.get("maximum")
                return cls(
                    name,
                    int(low) if isinstance(low, int | float) else 1,
                    int(high) if isinstance(high, int | float) else None,
                )
        return None

    def value(self, seconds: float) -> str:
        whole = max(self.minimum, math.ceil(seconds))
        return str(whole if self.maximum is None else min(whole, self.maximum))


@dataclass
class RateLimiter:
    """Fixed windows per key; ``take`` spends one request of a key's budget."""

    limit: RateLimit
    clock: Callable[[], float] = time.monotonic
    _windows: dict[bytes, list[float]] = field(default_factory=dict)

    def take(self, key: bytes) -> float | None:
        """None when the key's budget allows the request, else the seconds until it
        refills."""
        now = self.clock()
        window = self._windows.get(key)
        if window is None or now >= window[0] + self.limit.window_s:
            if len(self._windows) >= PRUNE_AT:
                self._prune(now)
            self._windows[key] = [now, 1]
            return None
        if window[1] < self.limit.requests:
            window[1] += 1
            return None
        return window[0] + self.limit.window_s - now

    def _prune(self, now: float) -> None:
        span = self.limit.window_s
        self._windows = {k: w for k, w in self._windows.items() if now < w[0] + span}


def token_key(credentials: list[bytes]) -> bytes:
    """A key for what a request presents, without keeping the credential itself."""
    return hashlib.blake2b(b"\n".join(credentials), digest_size=16).digest()
