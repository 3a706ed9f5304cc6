"""One judge for every exchange, wherever it came from.

``judge_exchange`` runs the checks on one request (``Sent``) and the response it got
(``Received``): the harness feeds it its probes, the proxy live traffic, and a replay
recorded pairs, without sending anything. What it says goes into a ``Ledger``
(``apikeys_contract.ledger``), which keeps it for a report. Nothing here raises on what a
target sends.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from .checks import CHECKS, CheckError, Received, Remark, Rules, Sent, Violation, run_check

__all__ = [
    "NO_RESPONSE",
    "Judgement",
    "Verdict",
    "answers_the_body",
    "judge_exchange",
    "no_response",
]

NO_RESPONSE = "no HTTP response"
# A failure of these is about how the target answered what the body held, so what the
# contract leaves open about that body is no longer the story (see ``answers_the_body``).
BODY_CHECKS = ("acceptance", "rejection")
SHAPE_CHECK = "success_shape"


def answers_the_body(check: str, summary: str) -> bool:
    """Is this failure about how the target answered what the body held (its status, or
    the echo of its values), rather than about the target alone?"""
    return check in BODY_CHECKS or (check == SHAPE_CHECK and " fails " in summary)


@dataclass(frozen=True)
class Verdict:
    """What one check said of one exchange (``seconds``: the time it took)."""

    check: str
    violations: tuple[Violation, ...]
    notes: tuple[Remark, ...]
    seconds: float = 0.0


@dataclass(frozen=True)
class Judgement:
    """What the checks said of one exchange; ``errors``: the checks that raised."""

    verdicts: tuple[Verdict, ...]
    errors: tuple[tuple[str, CheckError], ...] = ()

    @property
    def violations(self) -> list[tuple[str, Violation]]:
        return [(v.check, found) for v in self.verdicts for found in v.violations]


def judge_exchange(
    rules: Rules,
    sent: Sent,
    received: Received,
    *,
    checks: Iterable[str] = CHECKS,
    strict: bool = False,
) -> Judgement:
    """Run ``checks`` on one exchange. A lenient note is a violation under ``strict``; a
    probe is a finding or a note, never both (a body whose answer broke a rule has its
    lenient notes dropped). Never raises: a check that does is in ``errors``."""
    verdicts: list[Verdict] = []
    errors: list[tuple[str, CheckError]] = []
    for name in checks:
        began = time.monotonic()
        result = run_check(name, rules, sent, received)
        if isinstance(result, CheckError):
            errors.append((name, result))
            continue
        if result is None:
            continue
        violations: list[Violation] = []
        notes: list[Remark] = []
        for item in result:
            if isinstance(item, Remark) and item.lenient and strict:
                item = Violation(
                    f"strict: {item.summary.removeprefix('lenient: ')}",
                    f"{received.status} for {sent.label or sent.verdict.cause}",
                    item.strictly,
                )
            if isinstance(item, Violation):
                violations.append(item)
            else:
                notes.append(item)
        verdicts.append(Verdict(name, tuple(violations), tuple(notes), time.monotonic() - began))
    broken = any(answers_the_body(check, v.summary) for check, v in _violations(verdicts))
    if broken:
        verdicts = [
            Verdict(v.check, v.violations, tuple(n for n in v.notes if not n.lenient), v.seconds)
            for v in verdicts
        ]
    return Judgement(tuple(verdicts), tuple(errors))


def _violations(verdicts: Iterable[Verdict]) -> Iterable[tuple[str, Violation]]:
    return ((v.check, found) for v in verdicts for found in v.violations)


def no_response(received: str, documented: str) -> Violation:
    """The violation of an exchange that got no HTTP response (``status_conformance``)."""
    return Violation(NO_RESPONSE, received, documented)
