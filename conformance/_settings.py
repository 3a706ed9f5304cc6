"""Run settings: small value objects that check their input and never show a token."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ._shard import WHOLE, Shard
from ._transport import Tokens
from .errors import UsageError


@dataclass(frozen=True)
class Profile:
    """How deep a run goes: examples per fuzzing phase, and the budget to shrink findings."""

    name: str
    max_examples: int
    hunts_per_phase: int
    requests_per_hunt: int


PROFILES = {
    "default": Profile("default", max_examples=40, hunts_per_phase=3, requests_per_hunt=60),
    "thorough": Profile("thorough", max_examples=400, hunts_per_phase=10, requests_per_hunt=400),
}
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Settings:
    base_url: str
    tokens: Tokens = field(repr=False)
    seed: int = 0
    profile: Profile = PROFILES["default"]
    max_examples: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    rate_limit: float | None = None
    spec: str | None = None
    strict: bool = False
    checks: tuple[str, ...] | None = None
    unknown_token_check: bool = True
    shard: Shard = WHOLE

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"--base-url must be an http(s) URL, not {self.base_url!r}")
        if not self.tokens.valid:
            raise UsageError("a token is required (--token or APIKEYS_CONFORMANCE_TOKEN)")
        if self.max_examples is not None and self.max_examples < 1:
            raise UsageError("--max-examples must be at least 1")
        if self.timeout <= 0:
            raise UsageError("--timeout must be positive")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise UsageError("--rate-limit must be positive")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @property
    def examples(self) -> int:
        return self.max_examples if self.max_examples is not None else self.profile.max_examples


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UsageError(f"unknown profile {name!r}; choose from {', '.join(PROFILES)}") from None
