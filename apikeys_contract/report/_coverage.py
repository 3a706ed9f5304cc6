"""Contract coverage as data: what a run exercised of the operation's contract.

Every item is read from the contract (its documented statuses, the headers and success-body
properties its responses declare, the constraints of its request-body properties, its
security schemes and request examples) and carries counts only, so the coverage of several
runs (CI shards, a replay after a run) adds up with ``merge``. ``coverage_data`` and
``coverage_from_data`` are its JSON form, under ``coverage`` in the JSON report.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, TypeVar

__all__ = [
    "SIDES",
    "ConstraintItem",
    "Coverage",
    "CredentialItem",
    "ExampleItem",
    "FieldItem",
    "StatusItem",
    "coverage_data",
    "coverage_from_data",
    "merge",
]

# The two sides of a constraint's boundary: values that meet it, values that break it.
SIDES = ("inside", "outside")


@dataclass
class StatusItem:
    """One status: how many responses had it (``produced``) and how many of those were
    checked against the contract (``validated``). ``documented``: the contract lists it."""

    status: int
    produced: int = 0
    validated: int = 0
    documented: bool = True


@dataclass
class FieldItem:
    """A response header or success-body property the contract declares for ``status``
    (``place``: ``"header"`` or ``"body"``): in how many responses it was present and how
    many of those passed the contract's schema for it."""

    status: int
    place: str
    name: str
    required: bool = False
    seen: int = 0
    validated: int = 0


@dataclass
class ConstraintItem:
    """One constraint of a request-body property (``pointer``, e.g. ``/name``;
    ``keyword`` and its ``value``, e.g. ``minLength`` ``1``): how many requests were sent
    on each side of its boundary, and why a side was not probed (``why_not``, by side);
    ``impossible``: the sides no value can be on (``minLength 0`` has no outside)."""

    pointer: str
    keyword: str
    value: str = ""
    inside: int = 0
    outside: int = 0
    why_not: dict[str, str] = field(default_factory=dict)
    impossible: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.pointer} {self.keyword} {self.value}".rstrip()

    @property
    def both_sides(self) -> bool:
        """Probed on each side of its boundary that some value can be on."""
        return all(getattr(self, s) > 0 or s in self.impossible for s in SIDES)


@dataclass
class CredentialItem:
    """One way of presenting a security scheme's credential (``mode``: ``valid``,
    ``missing``, ``malformed``, ``never issued``, ``forbidden``): how many requests used
    it, or why none could (``why_not``)."""

    scheme: str
    mode: str
    sent: int = 0
    why_not: str = ""


@dataclass
class ExampleItem:
    """One request example of the contract: how many times it was sent."""

    name: str
    sent: int = 0


@dataclass
class Coverage:
    """What a run exercised of the contract of ``operation`` (e.g. ``POST /api-keys``)."""

    operation: str
    statuses: list[StatusItem] = field(default_factory=list)
    fields: list[FieldItem] = field(default_factory=list)
    constraints: list[ConstraintItem] = field(default_factory=list)
    credentials: list[CredentialItem] = field(default_factory=list)
    examples: list[ExampleItem] = field(default_factory=list)

    def status(self, status: int) -> StatusItem:
        """The item of ``status``; an undocumented status gets one on first sight."""
        found = next((s for s in self.statuses if s.status == status), None)
        if found is None:
            found = StatusItem(status, documented=False)
            self.statuses.append(found)
        return found

    def constraint(self, pointer: str, keyword: str) -> ConstraintItem | None:
        return next(
            (c for c in self.constraints if (c.pointer, c.keyword) == (pointer, keyword)), None
        )

    def credential(self, scheme: str, mode: str) -> CredentialItem | None:
        return next((c for c in self.credentials if (c.scheme, c.mode) == (scheme, mode)), None)

    def example(self, name: str) -> ExampleItem | None:
        return next((e for e in self.examples if e.name == name), None)


Item = TypeVar("Item", StatusItem, FieldItem, ConstraintItem, CredentialItem, ExampleItem)


def _key_of(item: object) -> Hashable:
    if isinstance(item, StatusItem):
        return item.status
    if isinstance(item, FieldItem):
        return (item.status, item.place, item.name)
    if isinstance(item, ConstraintItem):
        return (item.pointer, item.keyword)
    if isinstance(item, CredentialItem):
        return (item.scheme, item.mode)
    assert isinstance(item, ExampleItem)
    return item.name


# The fields of each kind of item that count, and so add up when runs merge.
COUNTS: dict[type, tuple[str, ...]] = {
    StatusItem: ("produced", "validated"),
    FieldItem: ("seen", "validated"),
    ConstraintItem: SIDES,
    CredentialItem: ("sent",),
    ExampleItem: ("sent",),
}


def _added(first: Item, second: Item) -> Item:
    """``first`` with ``second``'s counts added (a reason stays only while its count is 0)."""
    counts = {name: getattr(first, name) + getattr(second, name) for name in COUNTS[type(first)]}
    merged: Item = replace(first, **counts)
    if isinstance(merged, StatusItem):
        assert isinstance(second, StatusItem)
        merged.documented = merged.documented or second.documented
    elif isinstance(merged, ConstraintItem):
        assert isinstance(second, ConstraintItem)
        reasons = {**second.why_not, **merged.why_not}
        merged.why_not = {s: r for s, r in reasons.items() if getattr(merged, s) == 0}
        merged.impossible = sorted({*merged.impossible, *second.impossible})
    elif isinstance(merged, CredentialItem):
        assert isinstance(second, CredentialItem)
        merged.why_not = "" if merged.sent else (merged.why_not or second.why_not)
    return merged


def _merged(lists: Iterable[list[Item]]) -> list[Item]:
    kept: dict[Hashable, Item] = {}
    for items in lists:
        for item in items:
            key = _key_of(item)
            kept[key] = _added(kept[key], item) if key in kept else replace(item)
    return list(kept.values())


def merge(*coverages: Coverage) -> Coverage:
    """The coverage of several runs of one operation: each item once, its counts added."""
    if not coverages:
        raise ValueError("merge needs at least one coverage")
    operations = {c.operation for c in coverages}
    if len(operations) > 1:
        raise ValueError(f"cannot merge the coverage of different operations: {sorted(operations)}")
    parts: dict[str, Callable[[Coverage], list[Any]]] = {
        "statuses": lambda c: c.statuses,
        "fields": lambda c: c.fields,
        "constraints": lambda c: c.constraints,
        "credentials": lambda c: c.credentials,
        "examples": lambda c: c.examples,
    }
    merged = {name: _merged(get(c) for c in coverages) for name, get in parts.items()}
    return Coverage(coverages[0].operation, **merged)


def coverage_data(coverage: Coverage) -> dict[str, Any]:
    return asdict(coverage)


def coverage_from_data(data: Mapping[str, Any]) -> Coverage:
    """The ``Coverage`` that ``coverage_data`` wrote (a missing list reads as empty)."""
    return Coverage(
        operation=str(data["operation"]),
        statuses=[StatusItem(**item) for item in data.get("statuses", ())],
        fields=[FieldItem(**item) for item in data.get("fields", ())],
        constraints=[
            ConstraintItem(
                **{
                    **item,
                    "why_not": dict(item.get("why_not", {})),
                    "impossible": list(item.get("impossible", [])),
                }
            )
            for item in data.get("constraints", ())
        ],
        credentials=[CredentialItem(**item) for item in data.get("credentials", ())],
        examples=[ExampleItem(**item) for item in data.get("examples", ())],
    )
