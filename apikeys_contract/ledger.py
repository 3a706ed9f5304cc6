"""The ledger of what a judge found, for a report: a tally per check, each distinct
violation once with its clearest example, each note once, the judge's own errors, and
every secret masked. ``Ledger.report`` turns it into the ``Report`` the writers of
``apikeys_contract.report`` read. The harness, the proxy and a replay keep one each.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ._curl import request_body_text
from .checks import CHECKS, Received, Remark, Sent, Violation
from .coverage import Counter
from .judge import Judgement
from .report import CheckSummary, Example, Finding, InternalError, Note, Report

__all__ = [
    "MASK",
    "Describe",
    "Entry",
    "Key",
    "Ledger",
    "described",
    "example_of",
    "mask",
]

MASK = "[redacted]"

Key = tuple[str, str, Hashable]  # check, summary (masked), how the caller groups it
Describe = Callable[[], Example]  # an exchange's example, built only when it is shown


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``MASK``, the longest first."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


@dataclass
class Entry:
    """One distinct violation as the ledger keeps it: the finding with its example,
    how clear that example is (``rank``, smaller wins), the exchanges that showed it, and
    what the caller attached (``context``, e.g. how the harness groups it by cause)."""

    finding: Finding
    rank: tuple[Any, ...]
    exchanges: set[int] = field(default_factory=set)
    context: Any = None


@dataclass
class Ledger:
    """What a run found: a tally per check, each distinct violation once (with its
    clearest example), each note once, and the judge's own errors; every text masked."""

    checks: list[CheckSummary]
    secrets: set[str] = field(default_factory=set)
    entries: dict[tuple[Key, Hashable], Entry] = field(default_factory=dict)
    notes: dict[tuple[str, str], Note] = field(default_factory=dict)
    internal_errors: list[InternalError] = field(default_factory=list)
    exchanges: int = 0
    started: float = field(default_factory=time.monotonic)
    #: Counts what the judged exchanges covered of the contract (see ``observe``).
    counter: Counter | None = None
    _also: tuple[str, ...] = field(default=(), init=False, repr=False)

    def mask(self, text: str) -> str:
        return mask(text, (*self.secrets, *self._also))

    @contextmanager
    def hiding(self, secrets: Iterable[str]) -> Iterator[None]:
        """Mask ``secrets`` (one exchange's) too in what is kept meanwhile."""
        self._also = tuple(s for s in secrets if s)
        try:
            yield
        finally:
            self._also = ()

    def learn(self, secrets: Iterable[str]) -> None:
        """Mask these from now on (credentials presented, secrets a response carried)."""
        self.secrets.update(s for s in secrets if s)

    def summary(self, check: str) -> CheckSummary:
        return next(s for s in self.checks if s.name == check)

    def masked(self, example: Example) -> Example:
        """``example`` with every secret masked (a body not shown as text is left as sent)."""
        body = example.request_body
        return Example(
            kind=self.mask(example.kind),
            curl=self.mask(example.curl),
            status=example.status,
            response_excerpt=self.mask(example.response_excerpt),
            request_body=self.mask(body) if example.request_body_encoding == "utf-8" else body,
            request_body_encoding=example.request_body_encoding,
        )

    def take(
        self,
        judgement: Judgement,
        describe: Describe,
        *,
        label: str = "",
        group: Callable[[str, str], Hashable] = lambda check, summary: "",
        slot: Hashable = None,
        rank: tuple[Any, ...] = (),
        size: int = 0,
        context: Callable[[], Any] = lambda: None,
        elapsed: float = 0.0,
        secrets: tuple[str, ...] = (),
    ) -> set[Key]:
        """Keep what ``judgement`` found (``describe``: the exchange's example, built only
        when shown; ``label``: what it is called; ``secrets``: this exchange's, masked in
        what it adds; the rest as for ``record``); count each check that applied as passed
        or failed. Returns the keys of the violations."""
        with self.hiding(secrets):
            return self._take(judgement, describe, label, group, slot, rank, size, context, elapsed)

    def _take(
        self,
        judgement: Judgement,
        describe: Describe,
        label: str,
        group: Callable[[str, str], Hashable],
        slot: Hashable,
        rank: tuple[Any, ...],
        size: int,
        context: Callable[[], Any],
        elapsed: float,
    ) -> set[Key]:
        for check, error in judgement.errors:
            self.internal(f"check {check}", error.summary, error.detail)
        found: set[Key] = set()
        for verdict in judgement.verdicts:
            summary = self.summary(verdict.check)
            summary.seconds += elapsed + verdict.seconds
            for violation in verdict.violations:
                masked = self.mask(violation.summary)
                key: Key = (verdict.check, masked, group(verdict.check, masked))
                self.record(
                    key, violation, describe, label=label, slot=slot, rank=rank, size=size,
                    context=context,
                )  # fmt: skip
                found.add(key)
            for note in verdict.notes:
                self.note(verdict.check, note, describe)
            if verdict.violations:
                summary.failed += 1
            else:
                summary.passed += 1
        return found

    def observe(self, sent: Sent, received: Received, judgement: Judgement) -> None:
        """Count what one judged exchange covered of the contract (with a ``counter``)."""
        if self.counter is None:
            return
        try:
            self.counter.observe(sent, received, judgement)
        except Exception as exc:  # a judge returns a verdict, always
            self.internal("coverage", f"{type(exc).__name__} counting coverage", str(exc))

    def record(
        self,
        key: Key,
        violation: Violation,
        describe: Describe,
        *,
        label: str = "",
        slot: Hashable = None,
        rank: tuple[Any, ...] = (),
        size: int = 0,
        context: Callable[[], Any] = lambda: None,
    ) -> Entry:
        """Keep one violation: ``key`` is the check, the masked summary and the caller's
        group, ``slot`` what else tells entries apart. The clearest example wins: a
        clearer one (a smaller ``rank``) replaces the one kept, with the lines that
        describe it; ``context`` is attached to a new entry."""
        check, summary, _ = key
        entry = self.entries.get((key, slot))
        if entry is not None:
            entry.exchanges.add(self.exchanges)
            found = entry.finding
            found.occurrences += 1
            found.seen_with[self.mask(label)] += 1
            if rank >= entry.rank:
                return entry
            # The example and the lines describing it always come from the same request.
            entry.rank = rank
            found.example, found.example_size = self.masked(describe()), size
            found.received = self.mask(violation.received)
            found.documented = self.mask(violation.documented)
            return entry
        finding = Finding(
            check=check,
            summary=summary,
            received=self.mask(violation.received),
            documented=self.mask(violation.documented),
            example=self.masked(describe()),
            example_size=size,
        )
        finding.seen_with[self.mask(label)] += 1
        entry = Entry(finding, rank, {self.exchanges}, context())
        self.entries[(key, slot)] = entry
        return entry

    def note(self, check: str, note: Remark, describe: Describe) -> None:
        key = (check, self.mask(note.summary))
        found = self.notes.get(key)
        if found is not None:
            found.occurrences += 1
            return
        detail = self.mask(note.detail)
        self.notes[key] = Note(check, key[1], detail, note.lenient, 1, self.masked(describe()))

    def internal(self, where: str, summary: str, detail: str = "") -> None:
        """A bug of the judge (kept once per summary), never a verdict on the target."""
        if not any(e.summary == self.mask(summary) for e in self.internal_errors):
            self.internal_errors.append(InternalError(where, self.mask(summary), self.mask(detail)))

    def report(
        self,
        target: str,
        *,
        findings: list[Finding] | None = None,
        seed: int = 0,
        profile: str = "",
        strict: bool = False,
        requests: int | None = None,
    ) -> Report:
        """The ``Report`` of what was kept (``findings``: the caller's grouping of the
        entries' findings; by default each entry's, in the order first seen)."""
        order = [s.name for s in self.checks]
        notes = sorted(self.notes.values(), key=lambda n: order.index(n.check))
        return Report(
            target=target,
            seed=seed,
            profile=profile,
            checks=self.checks,
            findings=[e.finding for e in self.entries.values()] if findings is None else findings,
            notes=notes,
            internal_errors=list(self.internal_errors),
            requests=self.exchanges if requests is None else requests,
            duration=time.monotonic() - self.started,
            strict=strict,
            coverage=self.counter.coverage if self.counter is not None else None,
        )


def example_of(
    label: str, curl: str, body: bytes, status: int | None = None, response: str = ""
) -> Example:
    """An example from what was sent (any bytes) and an excerpt of what came back."""
    text, encoding = request_body_text(body)
    return Example(label, curl, status, response, text, encoding)


def described(checks: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each check's name and what it checks (``CHECKS``'s, unless others are given)."""
    return dict(checks) if checks is not None else {n: d for n, (_, d) in CHECKS.items()}
