"""The figures of bench/mock_vs_prism.py: one load, medians over rounds, ratios against targets."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

KINDS = ("valid", "invalid")
STEADY_RSS_MB = 5.0

# Targets of issue 4, as ratios from one run (CPU also as the absolute figure).
MIN_VS_PRISM = 5.0
MIN_VS_FLOOR = 0.75
MAX_P99_VS_PRISM = 0.2
MAX_CPU_US = 45.0
MAX_RSS_MB = 100.0
# Issue 12: the request log (on by default) costs at most 10% of the quiet mock's req/s.
MIN_LOGGED_VS_QUIET = 0.90


@dataclass(frozen=True)
class Load:
    """One wrk run against one server, with the server's counters around it."""

    server: str
    kind: str
    round: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    statuses: dict[int, int]
    expected: int
    cpu_us_per_request: float
    rss_before_mb: float
    rss_after_mb: float
    peak_rss_mb: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        unexpected = sum(n for status, n in self.statuses.items() if status != self.expected)
        return unexpected + self.socket_errors


@dataclass(frozen=True)
class Summary:
    """Medians over rounds for one (server, kind); errors add up, memory takes the worst."""

    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float
    errors: int
    peak_rss_mb: float
    rss_growth_mb: float
    statuses: dict[int, int] = field(default_factory=dict)


def progress_line(load: Load) -> str:
    statuses = " ".join(f"{s}x{n}" for s, n in sorted(load.statuses.items()))
    return (
        f"  round {load.round} {load.server:<13} {load.kind:<7} {load.rps:>9,.0f} req/s  "
        f"p50 {load.p50_ms:6.2f} ms  p99 {load.p99_ms:7.2f} ms  "
        f"{load.cpu_us_per_request:6.0f} us CPU/req  RSS {load.rss_before_mb:.0f}->"
        f"{load.rss_after_mb:.0f} MB (peak {load.peak_rss_mb:.0f})  statuses {statuses}"
        + (f"  socket errors {load.socket_errors}" if load.socket_errors else "")
    )


def summarise(loads: list[Load]) -> dict[tuple[str, str], Summary]:
    grouped: dict[tuple[str, str], list[Load]] = {}
    for load in loads:
        grouped.setdefault((load.server, load.kind), []).append(load)
    summaries = {}
    for key, group in grouped.items():
        statuses: dict[int, int] = {}
        for load in group:
            for status, n in load.statuses.items():
                statuses[status] = statuses.get(status, 0) + n
        summaries[key] = Summary(
            rps=statistics.median(load.rps for load in group),
            p50_ms=statistics.median(load.p50_ms for load in group),
            p99_ms=statistics.median(load.p99_ms for load in group),
            cpu_us=statistics.median(load.cpu_us_per_request for load in group),
            errors=sum(load.errors for load in group),
            peak_rss_mb=max(load.peak_rss_mb for load in group),
            rss_growth_mb=max(load.rss_after_mb - load.rss_before_mb for load in group),
            statuses=statuses,
        )
    return summaries


def print_table(
    summaries: dict[tuple[str, str], Summary], expected: Mapping[str, Mapping[str, int]]
) -> None:
    print(
        f"\n{'kind':<8}{'server':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'CPU us/req':>12}{'errors':>8}{'peak RSS MB':>13}{'RSS growth MB':>15}  statuses"
    )
    for kind in KINDS:
        for name, statuses_due in expected.items():
            s = summaries[(name, kind)]
            statuses = " ".join(f"{st}x{n}" for st, n in sorted(s.statuses.items()))
            print(
                f"{kind:<8}{name:<14}{s.rps:>9,.0f}{s.p50_ms:>9.2f}{s.p99_ms:>9.2f}"
                f"{s.cpu_us:>12.0f}{s.errors:>8}{s.peak_rss_mb:>13.0f}{s.rss_growth_mb:>15.1f}"
                f"  {statuses} (expected {statuses_due[kind]})"
            )


# (label, compared with, attribute, target check, target text)
RELATIVE_TARGETS: list[tuple[str, str, str, Callable[[float], bool], str]] = [
    ("req/s vs prism", "prism", "rps", lambda r: r >= MIN_VS_PRISM, ">= 5x"),
    ("p99 vs prism", "prism", "p99_ms", lambda r: r <= MAX_P99_VS_PRISM, "<= 0.20x"),
    ("req/s vs floor", "floor", "rps", lambda r: r >= MIN_VS_FLOOR, ">= 0.75x"),
    ("CPU per request vs floor", "floor", "cpu_us", lambda r: r <= 1 / MIN_VS_FLOOR, "<= 1.33x"),
]
ABSOLUTE_TARGETS: list[tuple[str, str, Callable[[float], bool], str]] = [
    ("CPU us/request", "cpu_us", lambda v: v <= MAX_CPU_US, "<= 45 (on the issue's machine)"),
    ("peak RSS MB", "peak_rss_mb", lambda v: v < MAX_RSS_MB, "< 100"),
    ("RSS growth during a load MB", "rss_growth_mb", lambda v: v <= STEADY_RSS_MB, "~ 0"),
    ("errors", "errors", lambda v: v == 0, "0"),
]


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_ratios(
    summaries: dict[tuple[str, str], Summary], expected: Mapping[str, Mapping[str, int]]
) -> None:
    names = set(expected)
    for mock in sorted(n for n in names if n.startswith("mock")):
        print(f"\n{mock}, from this run's medians:{'valid':>17}{'invalid':>15}   target")
        for label, other, attribute, ok, target in RELATIVE_TARGETS:
            if other not in names:
                continue
            cells = []
            for kind in KINDS:
                theirs = float(getattr(summaries[(other, kind)], attribute))
                value = float(getattr(summaries[(mock, kind)], attribute)) / theirs
                cells.append(f"{value:7.2f}x {verdict(ok(value)):<6}")
            print(f"  {label:<30}{cells[0]:>15}{cells[1]:>15}   {target}")
        print_against_mock(mock, summaries, names)
        for label, attribute, ok, target in ABSOLUTE_TARGETS:
            cells = []
            for kind in KINDS:
                value = float(getattr(summaries[(mock, kind)], attribute))
                shown = f"{value:7.0f}" if attribute == "errors" else f"{value:7.1f}"
                cells.append(f"{shown}  {verdict(ok(value)):<6}")
            print(f"  {label:<30}{cells[0]:>15}{cells[1]:>15}   {target}")


def print_against_mock(
    mock: str, summaries: dict[tuple[str, str], Summary], names: set[str]
) -> None:
    """The log's cost (the mock as started by default vs mock-quiet), and each other
    variant against the default mock (e.g. workers2: the scaling from one to two workers)."""
    if mock == "mock":
        if "mock-quiet" not in names:
            return
        label, other, ok, target = "req/s vs mock-quiet (log)", "mock-quiet", True, ">= 0.90x"
    else:
        if "mock" not in names:
            return
        label, other, ok, target = "req/s vs mock", "mock", False, "(no target)"
    cells = []
    for kind in KINDS:
        value = summaries[(mock, kind)].rps / summaries[(other, kind)].rps
        shown = verdict(value >= MIN_LOGGED_VS_QUIET) if ok else ""
        cells.append(f"{value:7.2f}x {shown:<6}")
    print(f"  {label:<30}{cells[0]:>15}{cells[1]:>15}   {target}")
