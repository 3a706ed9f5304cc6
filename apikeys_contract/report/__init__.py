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
from ._json import (
    FORMAT_VERSION,
    ReportFormatError,
    json_report,
    report_data,
    report_from_data,
    write,
)
from ._junit import junit_xml
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
    "check_summaries",
    "console_summary",
    "coverage_data",
    "coverage_from_data",
    "finding_lines",
    "json_report",
    "junit_xml",
    "merge_coverage",
    "merge_reports",
    "prepare_report_path",
    "report_data",
    "report_from_data",
    "write",
]
