"""What the validation proxy is told: where the upstream is, and how to treat it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..mock import TokenPolicy


@dataclass(frozen=True, kw_only=True)
class ProxySettings:
    """Where the upstream is, and what the proxy does with what it finds."""

    upstream: str
    strict: bool = False
    timeout_s: float = 10.0
    tokens: TokenPolicy | None = None
    report_json: Path | None = None
    junit_xml: Path | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{self.upstream!r} is not an http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError(f"{self.upstream!r}: give the base URL, without query or fragment")
        if not self.timeout_s > 0:
            raise ValueError("timeout_s must be > 0")
