"""``apikeys-conformance merge REPORT.json...``: the shards' JSON reports as one run's
report, with one console summary, one JUnit file, one JSON report and one exit status."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from apikeys_contract.report import (
    CoverageGateError,
    MergeError,
    Report,
    ReportFormatError,
    merge_reports,
    missing_coverage,
    parse_coverage_terms,
    prepare_report_path,
    report_from_data,
)

from . import reports
from ._cli import (
    EXIT_CONFORMS,
    EXIT_COVERAGE,
    EXIT_INTERNAL_ERROR,
    EXIT_USAGE,
    EXIT_VIOLATIONS,
    PROG,
    _Parser,
    _summaries,
    write_reports,
)

NAME = f"{PROG} merge"


def load(path: str) -> Report:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise MergeError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise MergeError(f"{path} is not JSON: {exc}") from None
    try:
        return report_from_data(data)
    except ReportFormatError as exc:
        raise MergeError(f"{path}: {exc}") from None


def exit_status(report: Report) -> int:
    if report.internal_errors:
        return EXIT_INTERNAL_ERROR
    if not report.conforms:
        return EXIT_VIOLATIONS
    return EXIT_COVERAGE if report.coverage_missing else EXIT_CONFORMS


def gate(report: Report) -> None:
    """The shards' ``--require-coverage`` judged on the coverage they had together."""
    if report.coverage is None or not report.coverage_required:
        return
    try:
        required = parse_coverage_terms(report.coverage_required)
    except CoverageGateError as exc:
        raise MergeError(f"the reports' --require-coverage: {exc}") from None
    report.coverage_missing = missing_coverage(report.coverage, required)


def merge(
    paths: Sequence[str],
    *,
    junit_xml: str | None = None,
    report_json: str | None = None,
    summary_md: str | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Merge the reports at ``paths``; write the merged ones; return the exit status."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    summaries = _summaries(summary_md)
    try:
        for path in (junit_xml, report_json, *summaries):
            problem = prepare_report_path(path) if path else None
            if problem:
                raise MergeError(f"cannot write a report: {problem}")
        report = merge_reports([load(path) for path in paths])
        gate(report)
    except (MergeError, ValueError) as exc:
        err.write(f"{NAME}: error: {exc}\n")
        return EXIT_USAGE
    out.write(f"{NAME}: {len(paths)} reports of one run\n")
    out.write(reports.console_summary(report))
    if not write_reports(report, (junit_xml, report_json, summaries), err, NAME):
        return EXIT_USAGE
    if report.conforms and report.coverage_missing:
        err.write(f"{NAME}: coverage gate failed: {report.coverage_missing[0]}\n")
    return exit_status(report)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=NAME,
        description="Combine the JSON reports of the shards of one run (--shard I/N) into "
        "one report, one JUnit file and one exit status.",
        epilog="Exit status: 0 conforms, 1 violations, 2 usage error (reports of different "
        "runs, a shard missing), 3 internal error of the harness in some shard, 4 conforms "
        "but the shards together covered less than their --require-coverage asks.",
    )
    parser.add_argument("reports", nargs="+", metavar="REPORT.json")
    parser.add_argument("--junit-xml", metavar="PATH", help="write the merged JUnit XML")
    parser.add_argument(
        "--report-json", "--json-report", metavar="PATH", help="write the merged JSON report"
    )
    parser.add_argument(
        "--summary-md",
        metavar="PATH",
        help="append the Markdown summary to PATH (also to $GITHUB_STEP_SUMMARY when set)",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    return merge(
        args.reports,
        junit_xml=args.junit_xml,
        report_json=args.report_json,
        summary_md=args.summary_md,
    )
