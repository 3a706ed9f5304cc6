"""The coverage as rows of a table, one per item: the console, Markdown and JUnit writers
all show these rows, so every format says the same thing in the same words."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from ._coverage import SIDES, ConstraintItem, Coverage, CredentialItem, FieldItem, StatusItem

SERVER_ERRORS = 500


class State(enum.Enum):
    COVERED = "covered"
    MISSING = "not covered"
    # Not produced, and that is good news: no request caused a server error.
    GOOD = "not produced (good)"


@dataclass(frozen=True)
class Row:
    """One item of the coverage: its ``section``, its name, whether it was covered, and
    what was counted (or why not)."""

    section: str
    item: str
    state: State
    detail: str


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _status(item: StatusItem) -> Row:
    name = str(item.status) + ("" if item.documented else " (undocumented)")
    if item.produced:
        detail = f"produced {item.produced}, validated {item.validated}"
        return Row("statuses", name, State.COVERED, detail)
    if item.status >= SERVER_ERRORS:
        return Row("statuses", name, State.GOOD, "not produced: no request caused it")
    return Row("statuses", name, State.MISSING, "not produced")


def _field(item: FieldItem, produced: bool) -> Row:
    name = f"{item.status} {item.place} {item.name}"
    if not produced and item.status >= SERVER_ERRORS:
        return Row("response fields", name, State.GOOD, f"{item.status} not produced")
    if not item.seen:
        why = "not seen" if produced else f"not seen: {item.status} not produced"
        return Row("response fields", name, State.MISSING, why)
    state = State.COVERED if item.validated else State.MISSING
    return Row("response fields", name, state, f"seen {item.seen}, valid {item.validated}")


def _constraint(item: ConstraintItem) -> Row:
    parts = []
    for side in SIDES:
        count = getattr(item, side)
        reason = item.why_not.get(side, "not probed")
        parts.append(f"{side} {count}" if count else f"{side}: {reason}")
    state = State.COVERED if item.both_sides else State.MISSING
    return Row("constraints", item.label, state, "; ".join(parts))


def _credential(item: CredentialItem) -> Row:
    name = f"{item.scheme} {item.mode}"
    if item.sent:
        return Row("credentials", name, State.COVERED, f"sent {item.sent}")
    return Row("credentials", name, State.MISSING, f"not sent: {item.why_not or 'no probe'}")


def coverage_rows(coverage: Coverage) -> Iterator[Row]:
    yield from map(_status, coverage.statuses)
    produced = {s.status for s in coverage.statuses if s.produced}
    yield from (_field(item, item.status in produced) for item in coverage.fields)
    yield from map(_constraint, coverage.constraints)
    yield from map(_credential, coverage.credentials)
    for example in coverage.examples:
        state = State.COVERED if example.sent else State.MISSING
        detail = f"sent {example.sent}" if example.sent else "not sent"
        yield Row("request examples", example.name, state, detail)


def coverage_total(rows: list[Row]) -> str:
    """'12 of 14 items covered (1 not produced, good news)'."""
    covered = sum(r.state is State.COVERED for r in rows)
    good = sum(r.state is State.GOOD for r in rows)
    counted = len(rows) - good
    extra = f" ({good} more about server errors not produced: good news)" if good else ""
    return f"{covered} of {_plural(counted, 'item')} covered{extra}"


def coverage_lines(coverage: Coverage) -> list[str]:
    """The coverage table as the console shows it."""
    rows = list(coverage_rows(coverage))
    width = max((len(r.item) for r in rows), default=0)
    lines = [f"Coverage of {coverage.operation} (items read from the contract):"]
    section = ""
    for row in rows:
        if row.section != section:
            section = row.section
            lines.append(f"  {section}:")
        mark = {State.COVERED: "ok", State.MISSING: "--", State.GOOD: "ok"}[row.state]
        lines.append(f"    {mark} {row.item:<{width}}  {row.detail}")
    lines.append(f"  {coverage_total(rows)}")
    return lines
