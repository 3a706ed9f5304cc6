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

from ._model import Event, Finding, PhaseFinished, PhaseStarted, ProbeSent, Report

FORMAT_VERSION = 1
WIDTH = 60
PHASE_COLUMN = 15
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold written as escapes."""
    return NOT_XML.sub(
        lambda m: m.group().encode("unicode_escape", "backslashreplace").decode(), text
    )


class ConsoleProgress:
    """A listener for the engine: one character per request, a line per phase."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.column = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, PhaseStarted):
            self._write(f"{event.phase:<{PHASE_COLUMN}}")
            self.column = 0
        elif isinstance(event, ProbeSent):
            if self.column == WIDTH:
                self._write("\n" + " " * PHASE_COLUMN)
                self.column = 0
            mark = "E" if event.status is None else ("F" if event.violations else ".")
            self._write(mark)
            self.column += 1
        elif isinstance(event, PhaseFinished):
            self._write(" " * (WIDTH - self.column) + f" {event.requests:>4}\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _finding_lines(number: int, finding: Finding) -> list[str]:
    example = finding.example
    answered = f" -> HTTP {example.status}" if example.status is not None else ""
    return [
        f"[{number}] {finding.check}: {finding.summary}",
        f"    received:  {finding.received}",
        f"    contract:  {finding.documented}",
        f"    example:   {example.kind}{answered} (seen {finding.occurrences} time"
        f"{'s' if finding.occurrences != 1 else ''})",
        f"    reproduce: {example.curl}",
    ]


def console_summary(report: Report) -> str:
    lines = ["", f"{'Check':<20} {'Passed':>7} {'Failed':>7}  Result"]
    for check in report.checks:
        verdict = "ok" if check.ok else "FAIL"
        lines.append(f"{check.name:<20} {check.passed:>7} {check.failed:>7}  {verdict}")
        if check.skipped_reason:
            lines.append(f"{'':<20} note: {check.skipped_reason}")
    for number, finding in enumerate(report.findings, 1):
        lines += ["", *_finding_lines(number, finding)]
    lines.append("")
    if report.aborted:
        lines.append(f"Run aborted: {report.aborted}")
    failing = sum(not c.ok for c in report.checks)
    outcome = (
        "PASS: the target conforms"
        if report.conforms
        else f"FAIL: {len(report.findings)} distinct violations in {failing} checks"
    )
    lines.append(
        f"{outcome} ({report.requests} requests, {report.duration:.1f} s, seed {report.seed}, "
        f"profile {report.profile}). Target: {report.target}"
    )
    return "\n".join(lines) + "\n"


def junit_xml(report: Report) -> str:
    """One test case per check, so that CI systems list each property."""
    suite = ET.Element(
        "testsuite",
        name="apikeys-conformance",
        tests=str(len(report.checks)),
        failures=str(sum(not c.ok for c in report.checks)),
        errors="1" if report.aborted else "0",
        skipped="0",
        time=f"{report.duration:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("target", report.target),
        ("seed", str(report.seed)),
        ("profile", report.profile),
        ("requests", str(report.requests)),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    for check in report.checks:
        case = ET.SubElement(suite, "testcase", classname="conformance", name=check.name, time="0")
        findings = report.findings_for(check.name)
        if findings:
            failure = ET.SubElement(
                case, "failure", message=_xml_text(findings[0].message), type="ContractViolation"
            )
            failure.text = _xml_text(
                "\n\n".join("\n".join(_finding_lines(n, f)) for n, f in enumerate(findings, 1))
            )
        out = f"{check.description}. passed {check.passed}, failed {check.failed}"
        if check.skipped_reason:
            out += f". note: {check.skipped_reason}"
        ET.SubElement(case, "system-out").text = _xml_text(out)
    if report.aborted:
        case = ET.SubElement(suite, "testcase", classname="conformance", name="run")
        ET.SubElement(case, "error", message=_xml_text(report.aborted), type="Aborted")
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def report_data(report: Report) -> dict[str, Any]:
    data = asdict(report)
    data["format_version"] = FORMAT_VERSION
    data["conforms"] = report.conforms
    for finding in data["findings"]:
        finding["message"] = (
            f"{finding['summary']}: received {finding['received']}; "
            f"the contract documents {finding['documented']}"
        )
    return data


def json_report(report: Report) -> str:
    return json.dumps(report_data(report), indent=2) + "\n"


def write(path: str | Path, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
