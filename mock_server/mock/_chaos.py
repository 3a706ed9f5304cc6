"""``--chaos SPEC``: a seeded mix of documented errors, transport faults and latency.

    500=5%,reset=1%,truncated=1%,latency=uniform:50-200ms

Items are comma-separated ``NAME=VALUE``:

- ``STATUS=RATE``: answer that share of requests with the contract's documented response
  for STATUS (an error status the operation documents), as ``Prefer: code=STATUS`` would;
- ``FAULT=RATE``: break that share of connections (``reset``, ``empty``, ``truncated``,
  ``garbage``, ``slow-body``; see ``_faults``);
- ``latency=DIST``: delay every request by a draw from ``DIST``: ``120ms``/``fixed:120ms``,
  ``uniform:50-200ms``, or a percentile profile ``p50:40ms/p90:120ms/p99:400ms``;
- ``dribble=DURATION``: how long a ``slow-body`` takes to send its body (default 2 s).

RATE is a percentage (``0.5%``); the rates add up to at most 100%. Each request's draws
come from the seed and the request's sequence number (1, 2, ... in the order the
operation's requests arrive at a process), never from the clock or a shared generator: the
same seed and the same request sequence give the same answers.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass

from ._faults import DRIBBLE_S, Fault

Outcome = int | Fault  # a documented status to answer with, or a transport fault

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s)")
_RATE = re.compile(r"(\d+(?:\.\d+)?)%")
_PERCENTILE = re.compile(r"p(\d+(?:\.\d+)?)")
ITEMS = f"a status (500), {Fault.names()}, latency or dribble"


class ChaosSpecError(ValueError):
    """A spec that cannot be read; its message is one line naming the bad item."""


def duration(text: str) -> float:
    """``120ms`` or ``1.5s`` in seconds."""
    found = _DURATION.fullmatch(text.strip())
    if found is None:
        raise ChaosSpecError(f"{text!r} is not a duration such as 120ms or 1.5s")
    number = float(found.group(1))
    return number / 1000 if found.group(2) == "ms" else number


def _show_seconds(seconds: float) -> str:
    return f"{seconds * 1000:g}ms"


@dataclass(frozen=True)
class Latency:
    """A delay distribution, as its quantile function: straight lines through ``points``
    (quantile in [0, 1], seconds), from quantile 0 to quantile 1."""

    points: tuple[tuple[float, float], ...]
    text: str

    def at(self, u: float) -> float:
        """The delay at quantile ``u`` (a uniform draw in [0, 1))."""
        points = self.points
        i = bisect.bisect_right([q for q, _ in points], u)
        if i >= len(points):
            return points[-1][1]
        (q0, s0), (q1, s1) = points[i - 1], points[i]
        return s0 + (s1 - s0) * (u - q0) / (q1 - q0) if q1 > q0 else s1

    @classmethod
    def parse(cls, text: str) -> Latency:
        kind, sep, rest = text.partition(":")
        if not sep and _DURATION.fullmatch(text.strip()):
            kind, rest = "fixed", text
        if kind == "fixed":
            seconds = duration(rest)
            return cls(((0.0, seconds), (1.0, seconds)), f"fixed:{_show_seconds(seconds)}")
        if kind == "uniform":
            low, dash, high = rest.partition("-")
            unit = _DURATION.fullmatch(high.strip())
            if not dash or unit is None:
                raise ChaosSpecError(f"latency=uniform:{rest} is not uniform:LOW-HIGH (50-200ms)")
            if _DURATION.fullmatch(low.strip()) is None:
                low += unit.group(2)  # 50-200ms: the unit is said once
            lo, hi = duration(low), duration(high)
            if lo > hi:
                raise ChaosSpecError(f"latency=uniform:{rest}: the low end is above the high end")
            shown = f"uniform:{_show_seconds(lo)}-{_show_seconds(hi)}"
            return cls(((0.0, lo), (1.0, hi)), shown)
        if _PERCENTILE.fullmatch(kind):
            return cls._percentiles(text)
        raise ChaosSpecError(
            f"latency={text} is not a delay (120ms), fixed:120ms, uniform:50-200ms "
            "or percentiles (p50:40ms/p99:300ms)"
        )

    @classmethod
    def _percentiles(cls, text: str) -> Latency:
        points = [(0.0, 0.0)]
        for part in text.split("/"):
            name, _, value = part.partition(":")
            found = _PERCENTILE.fullmatch(name.strip())
            if found is None or not value:
                raise ChaosSpecError(f"latency={text}: {part!r} is not pNN:DURATION (p99:300ms)")
            q, seconds = float(found.group(1)) / 100, duration(value)
            if not 0 < q <= 1 or q <= points[-1][0] or seconds < points[-1][1]:
                raise ChaosSpecError(
                    f"latency={text}: percentiles rise from p0 to p100, and so do their delays"
                )
            points.append((q, seconds))
        shown = "/".join(f"p{q * 100:g}:{_show_seconds(s)}" for q, s in points[1:])
        if points[-1][0] < 1:
            points.append((1.0, points[-1][1]))  # above the last percentile: its delay
        return cls(tuple(points), shown)


@dataclass(frozen=True)
class ChaosSpec:
    """What ``--chaos`` injects: outcomes with their rates, in the order given, and the
    latency drawn for every request."""

    outcomes: tuple[tuple[Outcome, float], ...] = ()
    latency: Latency | None = None
    dribble_s: float = DRIBBLE_S

    @classmethod
    def parse(cls, text: str) -> ChaosSpec:
        outcomes: list[tuple[Outcome, float]] = []
        latency: Latency | None = None
        dribble: float | None = None
        seen: set[str] = set()
        for item in (part.strip() for part in text.split(",")):
            name, sep, value = item.partition("=")
            name, value = name.strip().lower(), value.strip()
            if not sep or not name or not value:
                raise ChaosSpecError(f"{item!r} is not NAME=VALUE (500=5%, latency=100ms)")
            if name in seen:
                raise ChaosSpecError(f"{name} is given twice")
            seen.add(name)
            if name == "latency":
                latency = Latency.parse(value)
            elif name == "dribble":
                dribble = duration(value)
            else:
                outcomes.append((_outcome(name), _rate(name, value)))
        total = sum(rate for _, rate in outcomes)
        if total > 1 + 1e-9:
            raise ChaosSpecError(f"the rates add up to {total * 100:g}%, more than 100%")
        return cls(tuple(outcomes), latency, DRIBBLE_S if dribble is None else dribble)

    def pick(self, u: float) -> Outcome | None:
        """The outcome a uniform draw ``u`` in [0, 1) falls on; None: the contract's own
        answer."""
        edge = 0.0
        for outcome, rate in self.outcomes:
            edge += rate
            if u < edge:
                return outcome
        return None

    @property
    def statuses(self) -> tuple[int, ...]:
        return tuple(o for o, _ in self.outcomes if isinstance(o, int))

    def __str__(self) -> str:
        items = [f"{_name(o)}={rate * 100:g}%" for o, rate in self.outcomes]
        if self.latency is not None:
            items.append(f"latency={self.latency.text}")
        if self.dribble_s != DRIBBLE_S:
            items.append(f"dribble={_show_seconds(self.dribble_s)}")
        return ",".join(items)


def _name(outcome: Outcome) -> str:
    return outcome.value if isinstance(outcome, Fault) else str(outcome)


def _outcome(name: str) -> Outcome:
    if name.isascii() and name.isdigit() and len(name) == 3:
        return int(name)
    try:
        return Fault(name)
    except ValueError:
        raise ChaosSpecError(f"unknown item {name!r}; use {ITEMS}") from None


def _rate(name: str, value: str) -> float:
    found = _RATE.fullmatch(value)
    if found is None:
        raise ChaosSpecError(f"{name}={value}: the rate is a percentage such as 5% or 0.5%")
    rate = float(found.group(1)) / 100
    if not 0 < rate <= 1:
        raise ChaosSpecError(f"{name}={value}: a rate is above 0% and at most 100%")
    return rate


def draw(seed: int, sequence: int, purpose: bytes) -> float:
    """A uniform number in [0, 1) for one purpose of one request, from the seed and the
    request's sequence number only: no state, the same in every run and every thread."""
    digest = hashlib.blake2b(b"%d:%d:%s" % (seed, sequence, purpose), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64


def garbage(seed: int, sequence: int) -> bytes:
    """Bytes that are not HTTP (no status line can start with a NUL), seeded like a draw."""
    digest = hashlib.blake2b(b"%d:%d:garbage" % (seed, sequence), digest_size=48).digest()
    return b"\x00" + digest
