"""Conformance results as data: what was sent, what came back, what the checks found."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class Credential(enum.Enum):
    """Which Authorization header a probe carries. Probes never hold a secret itself."""

    VALID = "valid token"
    FORBIDDEN = "forbidden token"
    UNKNOWN = "unknown token"
    NONE = "no Authorization header"
    EMPTY = "empty bearer token"
    OTHER_SCHEME = "another scheme (Basic)"


class Outcome(enum.Enum):
    """What the contract calls for, judged from the request alone."""

    ACCEPT = "accepted (success status, the same name back)"
    REJECT = "rejected as invalid input"
    ACCEPT_OR_REJECT = "accepted or rejected as invalid input, never a server error"
    UNAUTHENTICATED = "rejected as unauthenticated"
    FORBIDDEN = "rejected as forbidden"


@dataclass(frozen=True)
class Probe:
    """One request to send, with the verdict the contract calls for."""

    kind: str
    body: bytes
    content_type: str | None
    credential: Credential = Credential.VALID
    expected: Outcome = Outcome.ACCEPT
    name: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> int:
        return len(self.body)


@dataclass(frozen=True)
class Reply:
    """An HTTP response as received (header names lower-cased, body possibly cut short)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool = False
    elapsed: float = 0.0

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key == wanted]

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Exchange:
    probe: Probe
    reply: Reply


@dataclass(frozen=True)
class Example:
    """A reproducible request, with every secret already masked."""

    kind: str
    curl: str
    status: int | None
    response_excerpt: str


@dataclass
class Finding:
    """One distinct violation, with the smallest example that shows it."""

    check: str
    summary: str
    received: str
    documented: str
    example: Example
    occurrences: int = 1
    example_size: int = 0

    @property
    def message(self) -> str:
        return f"{self.summary}: received {self.received}; the contract documents {self.documented}"


@dataclass
class CheckSummary:
    name: str
    description: str
    passed: int = 0
    failed: int = 0
    skipped_reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0


@dataclass
class Report:
    target: str
    seed: int
    profile: str
    checks: list[CheckSummary]
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    duration: float = 0.0
    aborted: str | None = None
    phases: Mapping[str, int] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        return not self.findings and self.aborted is None

    def findings_for(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]


@dataclass(frozen=True)
class PhaseStarted:
    phase: str
    description: str


@dataclass(frozen=True)
class ProbeSent:
    phase: str
    kind: str
    status: int | None
    violations: int


@dataclass(frozen=True)
class PhaseFinished:
    phase: str
    requests: int


@dataclass(frozen=True)
class RunFinished:
    report: Report


Event = PhaseStarted | ProbeSent | PhaseFinished | RunFinished
