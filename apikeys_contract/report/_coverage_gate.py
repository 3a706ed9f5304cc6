"""The coverage gate: what a run must have covered (``statuses=201,400``, ``constraints=all``
...), read from readable terms, and the one-line reason of each required item it missed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ._coverage import Coverage
from ._coverage_table import Row, State, coverage_rows

ALL = "all"
# Each term and the section of the coverage table it requires.
TERMS = {
    "statuses": "statuses",
    "fields": "response fields",
    "constraints": "constraints",
    "security": "credentials",
    "examples": "request examples",
}
VALID = (
    f"valid terms: {', '.join(TERMS)}, each =all or =a comma-separated list "
    "(e.g. statuses=201,400,401,403 constraints=all)"
)


class GateError(ValueError):
    """A term the gate does not know, in one line that names the valid ones."""


@dataclass(frozen=True)
class Requirement:
    """One term: its name and the items it names (empty: all of them)."""

    term: str
    items: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.term}={','.join(self.items) or ALL}"


def parse_requirements(texts: Iterable[str]) -> tuple[Requirement, ...]:
    """The requirements ``texts`` name (each repeatable and comma-joined:
    ``statuses=201,400,examples=all``). Raises ``GateError``."""
    found: dict[str, list[str]] = {}
    term = ""
    for text in texts:
        for piece in (p.strip() for p in text.split(",")):
            if "=" in piece:
                term, _, piece = (part.strip() for part in piece.partition("="))
                if term not in TERMS:
                    raise GateError(f"unknown coverage term {term!r}; {VALID}")
                found.setdefault(term, [])
            elif not term:
                raise GateError(f"{piece!r} names no term; {VALID}")
            if not piece:
                raise GateError(f"{term}= names nothing; {VALID}")
            found[term].append(piece)
    return tuple(
        Requirement(t, () if ALL in items else tuple(dict.fromkeys(items)))
        for t, items in found.items()
    )


def _normal(text: str) -> str:
    return text.replace("-", " ").lower()


def _names(row: Row, requirement: Requirement) -> bool:
    """Does ``requirement`` name ``row`` (a status, field, pointer, keyword, scheme, mode
    or example, by any word of the row's name)?"""
    words = {_normal(row.item), *map(_normal, row.item.split())}
    if requirement.term == "security":
        scheme, _, mode = row.item.partition(" ")
        words |= {_normal(scheme), _normal(mode)}
    return any(_normal(item) in words for item in requirement.items)


def missing(coverage: Coverage, requirements: Iterable[Requirement]) -> list[str]:
    """One line per required item the run did not cover (empty: the gate passes). A named
    item the contract does not have is missing too: no run can cover it."""
    rows = list(coverage_rows(coverage))
    lines: list[str] = []
    for requirement in requirements:
        mine = [r for r in rows if r.section == TERMS[requirement.term]]
        if not requirement.items:
            failing = [r for r in mine if r.state is State.MISSING]
        else:
            for item in requirement.items:
                if not any(_names(r, Requirement(requirement.term, (item,))) for r in mine):
                    lines.append(
                        f"{requirement.term} {item}: not in the contract of {coverage.operation}"
                    )
            failing = [r for r in mine if _names(r, requirement) and r.state is not State.COVERED]
        lines += [f"{requirement.term} {r.item}: {r.detail}" for r in failing]
    return list(dict.fromkeys(lines))
