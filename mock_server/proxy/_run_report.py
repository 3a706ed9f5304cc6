"""The proxy's run report, written when it stops, in the harness's formats.

The session's ledger (``apikeys_contract.judge``) holds each distinct violation seen on
live traffic once, with its first example; the shared writers
(``apikeys_contract.report``) write it as JSON (``--report-json``) and JUnit XML
(``--junit-xml``). They need nothing beyond the light install.
"""

from __future__ import annotations

from pathlib import Path

from apikeys_contract import report as writers
from apikeys_contract.report import Report

from ._live_checks import Session


def build_report(session: Session, target: str, *, strict: bool) -> Report:
    return session.ledger.report(target, profile="proxy", strict=strict)


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
    report = build_report(session, target, strict=strict)
    if report_json is not None:
        writers.write(report_json, writers.json_report(report))
    if junit_xml is not None:
        writers.write(junit_xml, writers.junit_xml(report))
