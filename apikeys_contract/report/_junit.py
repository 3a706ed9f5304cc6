"""The report as JUnit XML: one test case per cause, so that CI lists each defect once."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ._console import finding_lines
from ._coverage_gate import TERMS
from ._coverage_table import State, coverage_rows
from ._model import CheckState, CheckSummary, Finding, Report

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold written as escapes."""
    return NOT_XML.sub(
        lambda m: m.group().encode("unicode_escape", "backslashreplace").decode(), text
    )


def coverage_cases(report: Report) -> list[ET.Element]:
    """One test case per coverage item (class ``coverage``): passed when covered, skipped
    with the reason when not (CI dashboards list skipped cases with their message, without
    failing the build), failed when ``--require-coverage`` required it."""
    if report.coverage is None:
        return []
    cases = []
    for row in coverage_rows(report.coverage):
        name = f"{row.section}: {row.item}"
        case = ET.Element("testcase", classname="coverage", name=_xml_text(name), time="0")
        term = next((t for t, section in TERMS.items() if section == row.section), "")
        if any(line.startswith(f"{term} {row.item}: ") for line in report.coverage_missing):
            ET.SubElement(case, "failure", message=_xml_text(row.detail), type="CoverageGap")
        elif row.state is State.MISSING:
            ET.SubElement(case, "skipped", message=_xml_text(row.detail))
        ET.SubElement(case, "system-out").text = _xml_text(row.detail)
        cases.append(case)
    return cases


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
    coverage = coverage_cases(report)
    suite = ET.Element(
        "testsuite",
        name="apikeys-conformance",
        tests=str(len(cases) + errors + len(coverage)),
        failures=str(failures + sum(c.find("failure") is not None for c in coverage)),
        errors=str(errors),
        skipped=str(skipped + sum(c.find("skipped") is not None for c in coverage)),
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
            failure.text = _xml_text("\n".join(finding_lines(numbers[id(finding)], finding)))
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
    suite.extend(coverage)
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
