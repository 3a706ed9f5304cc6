"""The report as JSON (``format_version`` says which layout), reading it back, and writing
a report file."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar

from ._coverage import coverage_from_data
from ._model import CheckSummary, Example, Finding, InternalError, Note, Report, Shape

T = TypeVar("T")

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


class ReportFormatError(ValueError):
    """The data is not a JSON report this version writes."""


def _object(data: Any, name: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ReportFormatError(f"expected an object for {name}, not {type(data).__name__}")
    return data


def _build(kind: type[T], data: Any, **nested: Any) -> T:
    """``kind`` from the fields of ``data`` it declares (what the writer added is dropped)."""
    data = _object(data, kind.__name__)
    names = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    try:
        return kind(**{k: v for k, v in data.items() if k in names}, **nested)
    except TypeError as exc:
        raise ReportFormatError(f"{kind.__name__}: {exc}") from None


def _finding(data: Any) -> Finding:
    data = _object(data, "Finding")
    return _build(
        Finding,
        {k: v for k, v in data.items() if k not in ("example", "seen_with", "checks", "shapes")},
        example=_build(Example, data.get("example")),
        seen_with=Counter(data.get("seen_with") or {}),
        checks=tuple(data.get("checks") or ()),
        shapes=[_shape(s) for s in data.get("shapes") or []],
    )


def _shape(data: Any) -> Shape:
    data = _object(data, "Shape")
    rest = {k: v for k, v in data.items() if k != "example"}
    return _build(Shape, rest, example=_build(Example, data.get("example")))


def _note(data: Any) -> Note:
    data = _object(data, "Note")
    example = data.get("example")
    rest = {k: v for k, v in data.items() if k != "example"}
    return _build(Note, rest, example=_build(Example, example) if example else None)


def report_from_data(data: Any) -> Report:
    """The ``Report`` that ``report_data`` wrote; ``ReportFormatError`` if it is not one."""
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        version = data.get("format_version") if isinstance(data, dict) else None
        raise ReportFormatError(
            f"not a JSON report of format_version {FORMAT_VERSION} (found {version!r})"
        )
    try:
        nested = {
            "checks": [_build(CheckSummary, c) for c in data["checks"]],
            "findings": [_finding(f) for f in data["findings"]],
            "notes": [_note(n) for n in data["notes"]],
            "internal_errors": [_build(InternalError, e) for e in data["internal_errors"]],
            "coverage": coverage_from_data(data["coverage"]) if data.get("coverage") else None,
        }
    except KeyError as exc:
        raise ReportFormatError(f"a report lacks {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ReportFormatError(f"a report's part is not as written: {exc}") from None
    top = {k: v for k, v in data.items() if k not in nested}
    return _build(Report, top, **nested)
