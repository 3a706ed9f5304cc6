"""The report as a console reads it: a table of checks, then each finding with its example."""

from __future__ import annotations

from ._coverage_table import coverage_lines
from ._model import CheckState, Finding, Report

# Checks whose findings are told apart by what the probe held (its traits).
TRAIT_CHECKS = ("acceptance", "rejection")
SHAPES_SHOWN = 12


def _seen_with(finding: Finding) -> str:
    kinds = finding.seen_with.most_common()
    if len(kinds) <= 1:
        return ""
    shown = ", ".join(f"{kind} ({count})" for kind, count in kinds[:6])
    more = f", and {len(kinds) - 6} more kinds" if len(kinds) > 6 else ""
    return shown + more


def _shape_lines(finding: Finding) -> list[str]:
    shapes = finding.shapes
    if len(shapes) <= 1:
        return []
    lines = [f"    {len(shapes)} kinds (count: clearest example):"]
    for shape in shapes[:SHAPES_SHOWN]:
        lines.append(f"      - {shape.shape} ({shape.occurrences}): {shape.example.kind}")
    if len(shapes) > SHAPES_SHOWN:
        lines.append(f"      - and {len(shapes) - SHAPES_SHOWN} more (in the JSON report)")
    return lines


def finding_lines(number: int, finding: Finding) -> list[str]:
    example = finding.example
    answered = f" -> HTTP {example.status}" if example.status is not None else ""
    checks = f" (also {', '.join(finding.checks[1:])})" if len(finding.checks) > 1 else ""
    lines = [
        f"[{number}] {finding.check}: {finding.summary}{checks}",
        f"    received:  {finding.received}",
        f"    contract:  {finding.documented}",
        f"    example:   {example.kind}{answered} (seen {finding.occurrences} time"
        f"{'s' if finding.occurrences != 1 else ''})",
    ]
    common = finding.common_traits
    if common:
        lines.append(f"    common to all {finding.occurrences}: {', '.join(common)}")
    shapes = _shape_lines(finding)
    lines += shapes
    seen = _seen_with(finding)
    if seen and finding.check in TRAIT_CHECKS and not shapes:
        lines.append(f"    seen with: {seen}")
    lines.append(f"    reproduce: {example.curl}")
    return lines


def gate_lines(report: Report) -> list[str]:
    """What ``--require-coverage`` found: one line per required item the run missed."""
    if not report.coverage_required:
        return []
    asked = " ".join(report.coverage_required)
    if not report.coverage_missing:
        return ["", f"Coverage gate passed ({asked})."]
    count = len(report.coverage_missing)
    lines = [
        "",
        f"Coverage gate FAILED ({asked}): {count} required item{'s' * (count != 1)} missing",
    ]
    return lines + [f"  - {line}" for line in report.coverage_missing]


def console_summary(report: Report, *, token_hint: str | None = None) -> str:
    lines = ["", f"{'Check':<20} {'Passed':>7} {'Failed':>7}  Result"]
    for check in report.checks:
        lines.append(f"{check.name:<20} {check.passed:>7} {check.failed:>7}  {check.state.value}")
        if check.skipped_reason:
            lines.append(f"{'':<20} note: {check.skipped_reason}")
    for number, finding in enumerate(report.findings, 1):
        lines += ["", *finding_lines(number, finding)]
    if report.notes:
        lines += ["", "Notes (the contract leaves these open; --strict makes lenient ones fail):"]
        for note in report.notes:
            times = f" ({note.occurrences} times)" if note.occurrences != 1 else ""
            lines.append(f"  - {note.check}: {note.summary}{times}: {note.detail}")
    if report.internal_errors:
        lines += ["", "INTERNAL ERRORS (harness bugs, not the target's; please report them):"]
        lines += [f"  - {e.summary}: {e.detail}" for e in report.internal_errors]
    for hint in report.hints:
        lines += ["", f"Hint: {hint}"]
    if report.findings and token_hint:
        lines += ["", token_hint]
    if report.coverage is not None:
        lines += ["", *coverage_lines(report.coverage)]
    lines += gate_lines(report)
    lines.append("")
    if report.aborted:
        lines.append(f"Run aborted: {report.aborted}")
    failing = sum(c.state is CheckState.FAILED for c in report.checks)
    if report.internal_errors:
        outcome = f"ERROR: {len(report.internal_errors)} internal errors of the harness"
        if report.findings:
            outcome += f"; {len(report.findings)} distinct violations in {failing} checks"
    elif report.conforms:
        outcome = "PASS: the target conforms"
    else:
        outcome = f"FAIL: {len(report.findings)} distinct violations in {failing} checks"
    not_run = [c.name for c in report.checks if c.state is CheckState.NOT_RUN]
    if not_run:
        outcome += f" (not run: {', '.join(not_run)})"
    lines.append(
        f"{outcome} ({report.requests} requests, {report.duration:.1f} s, seed {report.seed}, "
        f"profile {report.profile}{', strict' if report.strict else ''}"
        f"{f', shard {report.shard}' if report.shard else ''}). Target: {report.target}"
    )
    return "\n".join(lines) + "\n"
