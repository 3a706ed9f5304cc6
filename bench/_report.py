"""The figures of bench/mock_vs_prism.py: one load, medians over rounds, ratios against targets."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from _docs import Table

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
    statuses = statuses_text(load.statuses)
    return (
        f"  round {load.round} {load.server:<13} {load.kind:<7} {load.rps:>9,.0f} req/s  "
        f"p50 {load.p50_ms:6.2f} ms  p99 {load.p99_ms:7.2f} ms  "
        f"{load.cpu_us_per_request:6.0f} us CPU/req  RSS {load.rss_before_mb:.0f}->"
        f"{load.rss_after_mb:.0f} MB (peak {load.peak_rss_mb:.0f})  statuses {statuses}"
        + (f"  socket errors {load.socket_errors}" if load.socket_errors else "")
    )


LOAD_COLUMNS = (
    "round", "server", "kind", "req/s", "p50 ms", "p99 ms", "CPU us/req", "RSS MB",
    "peak RSS MB", "statuses", "socket errors",
)  # fmt: skip


def loads_table(loads: list[Load]) -> Table:
    rows = tuple(
        (
            str(load.round), load.server, load.kind, f"{load.rps:,.0f}", f"{load.p50_ms:.2f}",
            f"{load.p99_ms:.2f}", f"{load.cpu_us_per_request:.0f}",
            f"{load.rss_before_mb:.0f}->{load.rss_after_mb:.0f}", f"{load.peak_rss_mb:.0f}",
            statuses_text(load.statuses), str(load.socket_errors),
        )
        for load in loads
    )  # fmt: skip
    return Table("loads", "every load, in the order run", LOAD_COLUMNS, rows)


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


MEDIAN_COLUMNS = (
    "kind", "server", "req/s", "p50 ms", "p99 ms", "CPU us/req", "errors", "peak RSS MB",
    "RSS growth MB", "statuses", "expected",
)  # fmt: skip


def medians_table(
    summaries: dict[tuple[str, str], Summary], expected: Mapping[str, Mapping[str, int]]
) -> Table:
    rows = []
    for kind in KINDS:
        for name, statuses_due in expected.items():
            s = summaries[(name, kind)]
            rows.append((
                kind, name, f"{s.rps:,.0f}", f"{s.p50_ms:.2f}", f"{s.p99_ms:.2f}",
                f"{s.cpu_us:.0f}", str(s.errors), f"{s.peak_rss_mb:.0f}",
                f"{s.rss_growth_mb:.1f}", statuses_text(s.statuses), str(statuses_due[kind]),
            ))  # fmt: skip
    return Table("medians", "medians over the rounds", MEDIAN_COLUMNS, tuple(rows))


def statuses_text(statuses: Mapping[int, int]) -> str:
    return " ".join(f"{status}x{n}" for status, n in sorted(statuses.items()))


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


def targets_tables(
    summaries: dict[tuple[str, str], Summary], expected: Mapping[str, Mapping[str, int]]
) -> list[Table]:
    """For each mock row, its ratios and figures against their targets."""
    names = set(expected)
    tables = []
    for mock in sorted(n for n in names if n.startswith("mock")):
        rows: list[tuple[str, ...]] = []
        for label, other, attribute, ok, target in RELATIVE_TARGETS:
            if other not in names:
                continue
            cells: list[str] = []
            for kind in KINDS:
                theirs = float(getattr(summaries[(other, kind)], attribute))
                value = float(getattr(summaries[(mock, kind)], attribute)) / theirs
                cells += [f"{value:.2f}x", verdict(ok(value))]
            rows.append((label, *cells, target))
        rows += against_mock(mock, summaries, names)
        for label, attribute, ok, target in ABSOLUTE_TARGETS:
            cells = []
            for kind in KINDS:
                value = float(getattr(summaries[(mock, kind)], attribute))
                cells += [f"{value:.0f}" if attribute == "errors" else f"{value:.1f}"]
                cells += [verdict(ok(value))]
            rows.append((label, *cells, target))
        columns = ("figure", "valid", "", "invalid", "", "target")
        title = f"{mock}, from this run's medians"
        tables.append(Table(f"targets-{mock}", title, columns, tuple(rows)))
    return tables


def against_mock(
    mock: str, summaries: dict[tuple[str, str], Summary], names: set[str]
) -> list[tuple[str, ...]]:
    """The log's cost (the mock as started by default vs mock-quiet), and each other
    variant against the default mock (e.g. workers2: the scaling from one to two workers)."""
    if mock == "mock":
        if "mock-quiet" not in names:
            return []
        label, other, ok, target = "req/s vs mock-quiet (log)", "mock-quiet", True, ">= 0.90x"
    else:
        if "mock" not in names:
            return []
        label, other, ok, target = "req/s vs mock", "mock", False, "(no target)"
    cells: list[str] = []
    for kind in KINDS:
        value = summaries[(mock, kind)].rps / summaries[(other, kind)].rps
        cells += [f"{value:.2f}x", verdict(value >= MIN_LOGGED_VS_QUIET) if ok else ""]
    return [(label, *cells, target)]
