"""The proxy's run report, written when it stops: the harness's own formats and writers.

Each distinct violation seen on live traffic is listed once, with its first example, in a
``conformance`` ``Report``; ``conformance.reports`` writes it as JSON (``--report-json``)
and JUnit XML (``--junit-xml``). The harness package is imported only when a report is
asked for, so the mock and the proxy alone never load Hypothesis or Schemathesis; without
the harness installed, asking for a report is refused at start-up in one line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from apikeys_contract import request_body_text
from apikeys_contract.checks import CHECKS

from ._journal_view import REQUEST_CHECK
from ._live_checks import Sample, Session

if TYPE_CHECKING:
    from conformance import Report

REQUEST_DESCRIPTION = "the client sends what the contract accepts (body and credentials)"


def reports_unavailable() -> str | None:
    """Why the report writers cannot be used (None: they can)."""
    try:
        import conformance.reports  # noqa: F401
    except ImportError as exc:
        return (
            f"--report-json and --junit-xml need the conformance harness ({exc.name} is "
            "missing): pip install 'apikeys-contract[conformance]'"
        )
    return None


def build_report(session: Session, target: str, *, strict: bool) -> Report:
    from conformance import CheckSummary, Example, Finding, InternalError, Note, Report

    names = {REQUEST_CHECK: REQUEST_DESCRIPTION} | {n: d for n, (_, d) in CHECKS.items()}
    checks = [
        CheckSummary(name, description, session.passed.get(name, 0), session.failed.get(name, 0))
        for name, description in names.items()
    ]

    def example(sample: Sample) -> Example:
        body, encoding = request_body_text(sample.body)
        return Example(sample.text, sample.curl, sample.status, sample.excerpt, body, encoding)

    findings = [
        Finding(s.check, s.summary, s.received, s.documented, example(s.example), s.occurrences)
        for s in session.findings.values()
    ]
    notes = [
        Note(s.check, s.summary, s.received, s.lenient, s.occurrences, example(s.example))
        for s in session.notes.values()
    ]
    errors = [InternalError("proxy", k, v) for k, v in session.internal_errors.items()]
    return Report(
        target=target,
        seed=0,
        profile="proxy",
        checks=checks,
        findings=findings,
        notes=notes,
        internal_errors=errors,
        requests=session.requests,
        duration=time.time() - session.started,
        strict=strict,
    )


def write_reports(
    session: Session,
    target: str,
    *,
    strict: bool,
    report_json: Path | None,
    junit_xml: Path | None,
) -> None:
    if report_json is None and junit_xml is None:
        return
    from conformance.reports import json_report, write
    from conformance.reports import junit_xml as junit

    report = build_report(session, target, strict=strict)
    if report_json is not None:
        write(report_json, json_report(report))
    if junit_xml is not None:
        write(junit_xml, junit(report))
