"""Writers over a ``Report``: live console progress, the console summary, JUnit XML, JSON.

They only read results; every secret was masked by the engine before it got here.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from ._model import (
    CheckState,
    CheckSummary,
    Event,
    Finding,
    PhaseFinished,
    PhaseStarted,
    ProbeSent,
    Report,
)

FORMAT_VERSION = 2
# Checks whose findings are told apart by what the probe held (its traits).
TRAIT_CHECKS = ("acceptance", "rejection")
WIDTH = 60
SHAPES_SHOWN = 12
PHASE_COLUMN = 15
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold written as escapes."""
    return NOT_XML.sub(
        lambda m: m.group().encode("unicode_escape", "backslashreplace").decode(), text
    )


class ConsoleProgress:
    """A listener for the engine: one character per request, a line per phase. A phase's
    name is shown with its first request, so that a target that never answers leaves no
    label behind."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.column = 0
        self.mid_line = False
        self.label = ""

    def end_line(self) -> None:
        """End a line of progress cut short, so that what follows starts on a line of its own."""
        if self.mid_line:
            self._write("\n")

    def __call__(self, event: Event) -> None:
        if isinstance(event, PhaseStarted):
            self.label = f"{event.phase:<{PHASE_COLUMN}}"
            self.column = 0
            return
        self._write(self.label)
        self.label = ""
        if isinstance(event, ProbeSent):
            if self.column == WIDTH:
                self._write("\n" + " " * PHASE_COLUMN)
                self.column = 0
            mark = "E" if event.status is None else ("F" if event.violations else ".")
            self._write(mark)
            self.column += 1
        elif isinstance(event, PhaseFinished):
            self._write(" " * (WIDTH - self.column) + f" {event.requests:>4}\n")
            if event.stopped_early:
                self._write(f"{'':<{PHASE_COLUMN}}stopped early: {event.stopped_early}\n")

    def _write(self, text: str) -> None:
        if text:
            self.stream.write(text)
            self.stream.flush()
            self.mid_line = not text.endswith("\n")


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


def _finding_lines(number: int, finding: Finding) -> list[str]:
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


def console_summary(report: Report, *, token_hint: str | None = None) -> str:
    lines = ["", f"{'Check':<20} {'Passed':>7} {'Failed':>7}  Result"]
    for check in report.checks:
        lines.append(f"{check.name:<20} {check.passed:>7} {check.failed:>7}  {check.state.value}")
        if check.skipped_reason:
            lines.append(f"{'':<20} note: {check.skipped_reason}")
    for number, finding in enumerate(report.findings, 1):
        lines += ["", *_finding_lines(number, finding)]
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
        f"profile {report.profile}{', strict' if report.strict else ''}). Target: {report.target}"
    )
    return "\n".join(lines) + "\n"


def junit_xml(report: Report) -> str:
    """One test case per cause, so that CI systems list each defect once (named by its
    check and cause, which do not change with counts); a check without a finding of its
    own is one test case: passed, skipped when it never ran, or skipped when its failures
    belong to a cause listed under another check. Internal errors are errors."""
    cases: list[tuple[CheckSummary, Finding | None]] = []
    for check in report.checks:
        own = [f for f in report.findings if f.check == check.name]
        cases += [(check, f) for f in own] or [(check, None)]
    failures = sum(finding is not None for _, finding in cases)
    skipped = sum(
        finding is None and check.state is not CheckState.PASSED for check, finding in cases
    )
    errors = len(report.internal_errors) + (1 if report.aborted else 0)
    suite = ET.Element(
        "testsuite",
        name="apikeys-conformance",
        tests=str(len(cases) + errors),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        time=f"{report.duration:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("target", report.target),
        ("seed", str(report.seed)),
        ("profile", report.profile),
        ("requests", str(report.requests)),
        ("strict", str(report.strict).lower()),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    numbers = {id(f): n for n, f in enumerate(report.findings, 1)}
    for check, finding in cases:
        name = check.name if finding is None else f"{check.name}: {finding.cause}"
        case = ET.SubElement(
            suite,
            "testcase",
            classname="conformance",
            name=_xml_text(name),
            time=f"{check.seconds:.3f}",
        )
        if finding is not None:
            failure = ET.SubElement(
                case, "failure", message=_xml_text(finding.message), type="ContractViolation"
            )
            failure.text = _xml_text("\n".join(_finding_lines(numbers[id(finding)], finding)))
        elif check.state is CheckState.NOT_RUN:
            ET.SubElement(case, "skipped", message=_xml_text(check.skipped_reason or "not run"))
        elif check.state is CheckState.FAILED:
            elsewhere = [f"{f.check}: {f.cause}" for f in report.findings_for(check.name)]
            message = "its failures belong to " + ("; ".join(elsewhere) or "no finding")
            ET.SubElement(case, "skipped", message=_xml_text(message))
        out = f"{check.description}. passed {check.passed}, failed {check.failed}"
        if check.skipped_reason:
            out += f". note: {check.skipped_reason}"
        for note in report.notes_for(check.name):
            out += f"\nnote: {note.summary}: {note.detail}"
        ET.SubElement(case, "system-out").text = _xml_text(out)
    for error in report.internal_errors:
        case = ET.SubElement(suite, "testcase", classname="conformance", name="internal")
        node = ET.SubElement(case, "error", message=_xml_text(error.summary), type="InternalError")
        node.text = _xml_text(error.detail)
    if report.aborted:
        case = ET.SubElement(suite, "testcase", classname="conformance", name="run")
        ET.SubElement(case, "error", message=_xml_text(report.aborted), type="Aborted")
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def report_data(report: Report) -> dict[str, Any]:
    data = asdict(report)
    data["format_version"] = FORMAT_VERSION
    data["conforms"] = report.conforms
    for check, summary in zip(data["checks"], report.checks, strict=True):
        check["state"] = summary.state.value
    for finding, found in zip(data["findings"], report.findings, strict=True):
        finding["seen_with"] = dict(found.seen_with.most_common())
        finding["common_traits"] = list(found.common_traits)
        finding["message"] = (
            f"{finding['summary']}: received {finding['received']}; "
            f"the contract documents {finding['documented']}"
        )
    return data


def json_report(report: Report) -> str:
    return json.dumps(report_data(report), indent=2) + "\n"


def write(path: str | Path, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")
