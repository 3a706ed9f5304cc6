"""Conformance reports: the data (``Report`` and what it holds) and its writers.

The harness, the proxy and a replay of recorded traffic fill the same ``Report`` (see
``apikeys_contract.judge``); these writers turn it into a console summary, JUnit XML or
JSON; a JSON report reads back, and the reports of a run's shards merge into one.
They import nothing beyond the standard library.
"""

from ._console import console_summary, finding_lines
from ._coverage import (
    ConstraintItem,
    Coverage,
    CredentialItem,
    ExampleItem,
    FieldItem,
    StatusItem,
    coverage_data,
    coverage_from_data,
)
from ._coverage import (
    merge as merge_coverage,
)
from ._coverage_gate import GateError as CoverageGateError
from ._coverage_gate import Requirement as CoverageRequirement
from ._coverage_gate import missing as missing_coverage
from ._coverage_gate import parse_requirements as parse_coverage_terms
from ._coverage_table import coverage_lines
from ._json import (
    FORMAT_VERSION,
    ReportFormatError,
    json_report,
    report_data,
    report_from_data,
    write,
)
from ._junit import junit_xml
from ._markdown import append_markdown, markdown_summary
from ._merge import MergeError, merge_reports
from ._model import (
    CheckState,
    CheckSummary,
    Example,
    Finding,
    InternalError,
    Note,
    Report,
    Shape,
    check_summaries,
)
from ._paths import prepare_report_path

__all__ = [
    "FORMAT_VERSION",
    "CheckState",
    "CheckSummary",
    "ConstraintItem",
    "Coverage",
    "CoverageGateError",
    "CoverageRequirement",
    "CredentialItem",
    "Example",
    "ExampleItem",
    "FieldItem",
    "Finding",
    "InternalError",
    "MergeError",
    "Note",
    "Report",
    "ReportFormatError",
    "Shape",
    "StatusItem",
    "append_markdown",
    "check_summaries",
    "console_summary",
    "coverage_data",
    "coverage_from_data",
    "coverage_lines",
    "finding_lines",
    "json_report",
    "junit_xml",
    "markdown_summary",
    "merge_coverage",
    "merge_reports",
    "missing_coverage",
    "parse_coverage_terms",
    "prepare_report_path",
    "report_data",
    "report_from_data",
    "write",
]
