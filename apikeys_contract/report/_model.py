"""A conformance report as data: each check's tally, the findings with the clearest
example of each, the notes, and the errors of the judge itself.

Whoever judged the exchanges (the harness's probes, the proxy's live traffic, a replay of
recorded traffic) fills one of these; the writers in this package only read it. Every
secret was masked before it got here.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._coverage import Coverage


@dataclass(frozen=True)
class Example:
    """A reproducible request, with every secret already masked. ``request_body`` is
    the body sent, as text when ``request_body_encoding`` is ``"utf-8"``, else base64."""

    kind: str
    curl: str
    status: int | None
    response_excerpt: str
    request_body: str = ""
    request_body_encoding: str = "utf-8"


@dataclass(frozen=True)
class Shape:
    """One kind of request that showed a finding, with its clearest example."""

    shape: str
    occurrences: int
    example: Example


@dataclass
class Finding:
    """One cause of violations, with the smallest example that shows it; the ``received``
    and ``documented`` lines describe that example. ``cause`` names the defect in words;
    ``summary`` says it with what was seen; ``checks`` lists every check that saw it
    (``check`` is the first); ``shapes`` the kinds of request that showed it."""

    check: str
    summary: str
    received: str
    documented: str
    example: Example
    occurrences: int = 1
    example_size: int = 0
    seen_with: Counter[str] = field(default_factory=Counter)
    cause: str = ""
    checks: tuple[str, ...] = ()
    shapes: list[Shape] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cause = self.cause or self.summary
        self.checks = self.checks or (self.check,)
        self.shapes = self.shapes or [Shape(self.summary, self.occurrences, self.example)]

    @property
    def message(self) -> str:
        return f"{self.summary}: received {self.received}; the contract documents {self.documented}"

    @property
    def common_traits(self) -> tuple[str, ...]:
        """What every probe that showed this finding had in common: its likely cause."""
        kinds = [set(kind.split(", ")) for kind in self.seen_with]
        if len(kinds) < 2:
            return ()
        shared = set.intersection(*kinds)
        return tuple(t for t in next(iter(self.seen_with)).split(", ") if t in shared)


@dataclass
class Note:
    """Behaviour the contract leaves open (``lenient``), or what could not be judged."""

    check: str
    summary: str
    detail: str
    lenient: bool = False
    occurrences: int = 1
    example: Example | None = None


@dataclass(frozen=True)
class InternalError:
    """A bug of the judge, not of the target: a check, the engine or the proxy raised."""

    where: str
    summary: str
    detail: str


class CheckState(enum.Enum):
    PASSED = "ok"
    FAILED = "FAIL"
    NOT_RUN = "not run"


@dataclass
class CheckSummary:
    name: str
    description: str
    passed: int = 0
    failed: int = 0
    selected: bool = True
    skipped_reason: str | None = None
    #: Time spent on the exchanges this check judged (their requests, and the check
    #: itself); an exchange judged by several checks counts for each.
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def ran(self) -> bool:
        return self.selected and self.passed + self.failed > 0

    @property
    def state(self) -> CheckState:
        if not self.ran:
            return CheckState.NOT_RUN
        return CheckState.PASSED if self.ok else CheckState.FAILED


@dataclass
class Report:
    target: str
    seed: int
    profile: str
    checks: list[CheckSummary]
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    internal_errors: list[InternalError] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    requests: int = 0
    duration: float = 0.0
    aborted: str | None = None
    strict: bool = False
    phases: Mapping[str, int] = field(default_factory=dict)
    #: ``"I/N"`` when the run was one shard of N (``--shard``), else empty.
    shard: str = ""
    #: A digest of the contract the run judged against: reports to merge must share it.
    contract: str = ""
    #: What the run exercised of the contract (None: not measured, e.g. an old report).
    coverage: Coverage | None = None
    #: What ``--require-coverage`` asked for (its terms), and one line per item missed.
    coverage_required: list[str] = field(default_factory=list)
    coverage_missing: list[str] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.findings and self.aborted is None and not self.internal_errors

    def findings_for(self, check: str) -> list[Finding]:
        """The findings ``check`` saw, alone or with other checks."""
        return [f for f in self.findings if check in f.checks]

    def notes_for(self, check: str) -> list[Note]:
        return [n for n in self.notes if n.check == check]

    def summary(self, check: str) -> CheckSummary:
        return next(s for s in self.checks if s.name == check)


def check_summaries(
    described: Mapping[str, str], selected: tuple[str, ...] | None = None
) -> list[CheckSummary]:
    """One empty tally per check (``name -> description``); ``selected``: the checks run."""
    return [
        CheckSummary(name, text, selected=selected is None or name in selected)
        for name, text in described.items()
    ]
