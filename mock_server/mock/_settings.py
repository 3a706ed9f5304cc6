from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ._chaos import ChaosSpec
from ._rate_limit import KEYS, RateLimit
from ._tokens import TokenPolicy


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a mock app serves and how; every field has a CLI option and an env twin."""

    spec: str | Path | None = None
    tokens: TokenPolicy = field(default_factory=TokenPolicy)
    cors_origins: tuple[str, ...] = ("*",)
    delay_ms: int = 0
    max_body_bytes: int = 1_048_576
    body_timeout_s: float = 10.0
    docs: bool = True  # serve /openapi.json, /openapi.yaml and /docs
    journal: bool = True  # keep the last exchanges, served under /__mock/
    journal_size: int = 1000
    # Injected faults (``_injection``): a spec such as "500=5%,reset=1%" or a ChaosSpec,
    # its seed, and a rate limit such as "10/s" or a RateLimit, per token or client.
    chaos: ChaosSpec | str | None = None
    chaos_seed: int = 0
    rate_limit: RateLimit | str | None = None
    rate_limit_key: str = "token"

    def __post_init__(self) -> None:
        if self.delay_ms < 0:
            raise ValueError("delay_ms must be >= 0")
        if self.body_timeout_s <= 0:
            raise ValueError("body_timeout_s must be > 0")
        if self.journal_size < 1:
            raise ValueError("journal_size must be >= 1")
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be >= 1")
        if isinstance(self.cors_origins, str):
            raise TypeError("cors_origins must be a sequence of origins, not a string")
        object.__setattr__(self, "cors_origins", tuple(self.cors_origins))
        if isinstance(self.chaos, str):  # ChaosSpecError: a ValueError naming the bad item
            object.__setattr__(self, "chaos", ChaosSpec.parse(self.chaos))
        if isinstance(self.rate_limit, str):
            object.__setattr__(self, "rate_limit", RateLimit.parse(self.rate_limit))
        if self.rate_limit_key not in KEYS:
            raise ValueError(f"rate_limit_key must be one of {', '.join(KEYS)}")
