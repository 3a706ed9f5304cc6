"""The report as JSON (``format_version`` says which layout), and writing a report file."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ._model import Report

FORMAT_VERSION = 2


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
