"""The report as Markdown, for a CI job's summary page (GitHub's ``GITHUB_STEP_SUMMARY``):
the verdict, each finding with its reproducer in a fenced block, the checks, the coverage
table and what the coverage gate found."""

from __future__ import annotations

import re
from pathlib import Path

from ._console import gate_lines
from ._coverage_table import State, coverage_rows, coverage_total
from ._model import CheckState, Finding, Report

MARKS = {State.COVERED: "✅", State.MISSING: "❌", State.GOOD: "✅"}


def cell(text: str) -> str:
    """``text`` safe in a table cell: pipes escaped, one line."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split())


def fenced(text: str, language: str = "") -> str:
    """``text`` in a fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _verdict(report: Report) -> str:
    if report.internal_errors:
        return f"⚠️ Internal error of the harness: {report.internal_errors[0].summary}"
    if report.aborted:
        return f"❌ Run aborted: {report.aborted}"
    if not report.conforms:
        failing = sum(c.state is CheckState.FAILED for c in report.checks)
        return f"❌ FAIL: {len(report.findings)} distinct violations in {failing} checks"
    if report.coverage_missing:
        return f"❌ Conforms, but the coverage gate failed ({len(report.coverage_missing)} missing)"
    return "✅ PASS: the target conforms"


def _finding(number: int, finding: Finding) -> list[str]:
    example = finding.example
    answered = f" → HTTP {example.status}" if example.status is not None else ""
    return [
        f"#### {number}. `{finding.check}`: {cell(finding.summary)}",
        "",
        f"- received: {cell(finding.received)}",
        f"- contract: {cell(finding.documented)}",
        f"- example: {cell(example.kind)}{answered} (seen {finding.occurrences} times)",
        "",
        fenced(example.curl, "sh"),
        "",
    ]


def markdown_summary(report: Report) -> str:
    lines = [
        f"## Conformance of {cell(report.target)}",
        "",
        f"**{_verdict(report)}** ({report.requests} requests, {report.duration:.1f} s, "
        f"seed {report.seed}, profile {report.profile}{', strict' if report.strict else ''})",
        "",
        "| Check | Passed | Failed | Result |",
        "|---|---:|---:|---|",
    ]
    lines += [f"| `{c.name}` | {c.passed} | {c.failed} | {c.state.value} |" for c in report.checks]
    if report.findings:
        lines += ["", "### Findings", ""]
        for number, finding in enumerate(report.findings, 1):
            lines += _finding(number, finding)
    if report.coverage is not None:
        rows = list(coverage_rows(report.coverage))
        lines += [
            "",
            f"### Coverage of {report.coverage.operation}: {coverage_total(rows)}",
            "",
            "| | Section | Item | Detail |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {MARKS[r.state]} | {r.section} | {cell(r.item)} | {cell(r.detail)} |" for r in rows
        ]
    gate = gate_lines(report)
    if gate:
        lines += ["", "### Coverage gate", "", *(line.strip() for line in gate[1:])]
    return "\n".join(lines) + "\n"


def append_markdown(path: str | Path, report: Report) -> None:
    """Append the summary to ``path`` (GitHub's step summary collects every step's)."""
    with Path(path).open("a", encoding="utf-8") as file:
        file.write(markdown_summary(report) + "\n")
