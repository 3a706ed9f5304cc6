"""Several shards' reports of one run (``--shard I/N``) as the one report of that run.

The reports must come from the same run: the same target, contract, seed, profile and
strictness, and shards 1..N of one N, each once. Tallies and request counts add up; a
finding that several shards saw (the same check and cause) is one finding, its
occurrences added, with the clearest example (the fewest traits, then the fewest bytes,
as a run picks among generated examples); a summary that counts says what the shard that
saw the finding most often counted. Notes likewise; the coverage's counts add up. The
duration is the longest shard's: the shards ran side by side. Each shard groups its
failures by cause on its own, so a cause whose evidence one shard alone would not show is
named only as its shards name it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import replace
from typing import TypeVar

from ._coverage import Coverage
from ._coverage import merge as merge_coverage
from ._model import CheckSummary, Example, Finding, Note, Report, Shape

T = TypeVar("T")
SAME_RUN = ("target", "contract", "seed", "profile", "strict", "coverage_required")


class MergeError(ValueError):
    """The reports cannot be one run's: the one-line reason."""


def _shard_of(report: Report) -> tuple[int, int]:
    index, _, count = (report.shard or "1/1").partition("/")
    return int(index), int(count)


def _check_same_run(reports: Sequence[Report]) -> None:
    if not reports:
        raise MergeError("no reports to merge")
    for name in SAME_RUN:
        values = list(dict.fromkeys(str(getattr(r, name)) for r in reports))
        if len(values) > 1:
            raise MergeError(f"the reports come from different runs: {name} {' vs '.join(values)}")
    shards = [_shard_of(r) for r in reports]
    counts = sorted({count for _, count in shards})
    if len(counts) > 1:
        raise MergeError(f"the reports split the run differently: into {counts} shards")
    seen = Counter(index for index, _ in shards)
    repeated = [f"{i}/{counts[0]}" for i, n in sorted(seen.items()) if n > 1]
    if repeated:
        raise MergeError(f"shard {', '.join(repeated)} given more than once")
    missing = [f"{i}/{counts[0]}" for i in range(1, counts[0] + 1) if i not in seen]
    if missing:
        raise MergeError(f"shard {', '.join(missing)} missing: merge every shard of the run")


def _by(items: Iterable[T], key: Callable[[T], Hashable]) -> dict[Hashable, list[T]]:
    groups: dict[Hashable, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def _clarity(example: Example, size: int = 0) -> tuple[int, int, int]:
    return (example.kind.count(", "), size, len(example.request_body))


def _checks(reports: Sequence[Report]) -> list[CheckSummary]:
    merged = []
    for name, same in _by((c for r in reports for c in r.checks), lambda c: c.name).items():
        summary = CheckSummary(
            str(name),
            same[0].description,
            passed=sum(c.passed for c in same),
            failed=sum(c.failed for c in same),
            selected=same[0].selected,
            seconds=sum(c.seconds for c in same),
        )
        # A reason given where the check ran stands (a note on its scope); "it did not
        # run" stands only if it ran nowhere.
        reasons = [
            c.skipped_reason for c in same if c.skipped_reason and (c.ran or not summary.ran)
        ]
        summary.skipped_reason = "; ".join(dict.fromkeys(r for r in reasons if r)) or None
        merged.append(summary)
    return merged


def _shapes(findings: Sequence[Finding]) -> list[Shape]:
    shapes = _by((s for f in findings for s in f.shapes), lambda s: s.shape)
    merged = [
        Shape(
            str(name),
            sum(s.occurrences for s in same),
            min((s.example for s in same), key=_clarity),
        )
        for name, same in shapes.items()
    ]
    return sorted(merged, key=lambda s: -s.occurrences)


def _finding(same: Sequence[Finding]) -> Finding:
    best = min(same, key=lambda f: _clarity(f.example, f.example_size))
    # A summary may count what its shard saw: the most telling one is the widest shard's.
    widest = max(same, key=lambda f: f.occurrences)
    seen: Counter[str] = Counter()
    for finding in same:
        seen.update(finding.seen_with)
    return replace(
        best,
        summary=widest.summary,
        occurrences=sum(f.occurrences for f in same),
        seen_with=seen,
        checks=tuple(dict.fromkeys(c for f in same for c in f.checks)),
        shapes=_shapes(same),
    )


def _note(same: Sequence[Note]) -> Note:
    examples = [n.example for n in same if n.example is not None]
    return replace(
        same[0],
        occurrences=sum(n.occurrences for n in same),
        example=min(examples, key=_clarity) if examples else None,
    )


def merge_reports(reports: Sequence[Report]) -> Report:
    """One report for the shards of one run; ``MergeError`` if they are not that."""
    _check_same_run(reports)
    reports = sorted(reports, key=_shard_of)
    first = reports[0]
    checks = _checks(reports)
    order = [c.name for c in checks]
    findings = _by((f for r in reports for f in r.findings), lambda f: (f.check, f.cause))
    notes = _by(
        (n for r in reports for n in r.notes), lambda n: (n.check, n.summary, n.detail, n.lenient)
    )
    aborted = [
        f"shard {r.shard}: {r.aborted}" if r.shard else r.aborted for r in reports if r.aborted
    ]
    phases: Counter[str] = Counter()
    for report in reports:
        phases.update(report.phases)
    return Report(
        target=first.target,
        seed=first.seed,
        profile=first.profile,
        checks=checks,
        findings=sorted(
            (_finding(same) for same in findings.values()),
            key=lambda f: order.index(f.check) if f.check in order else len(order),
        ),
        notes=[_note(same) for same in notes.values()],
        internal_errors=list(dict.fromkeys(e for r in reports for e in r.internal_errors)),
        hints=list(dict.fromkeys(h for r in reports for h in r.hints)),
        requests=sum(r.requests for r in reports),
        duration=max(r.duration for r in reports),
        aborted="; ".join(aborted) or None,
        strict=first.strict,
        phases=dict(phases),
        contract=first.contract,
        coverage=_coverage(reports),
        coverage_required=list(first.coverage_required),
    )


def _coverage(reports: Sequence[Report]) -> Coverage | None:
    """The shards' coverage added up; None when a shard did not measure it."""
    measured = [r.coverage for r in reports if r.coverage is not None]
    if len(measured) < len(reports):
        return None
    try:
        return merge_coverage(*measured)
    except ValueError as exc:
        raise MergeError(str(exc)) from None
