"""The journal as JSON: one view per exchange, its verdict, the rule a refused request
broke, and the filters ``GET /__mock/requests`` takes.

Views are built when read, not when stored (storing is on the mock's hot path), and kept
by the journal once built.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apikeys_contract import Answer, Contract, judge_body

from ._errors import ApiError
from ._journal import Record, body_text, text_pairs
from ._log import milliseconds

VERDICTS = ("ok", "rejected", "violation")
# The check name of the proxy's request-side judgement: a client (frontend) bug.
REQUEST_CHECK = "request"


def verdict(record: Record) -> str:
    """``violation``: the response broke the contract (proxy mode); ``rejected``: the
    request broke it, or was refused with a 4xx; ``ok`` otherwise."""
    if any(v.check != REQUEST_CHECK for v in record.violations):
        return "violation"
    if record.violations or 400 <= record.status < 500:
        return "rejected"
    return "ok"


def timestamp(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _header(pairs: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((value for key, value in pairs if key == name), None)


def broken_rule(contract: Contract, record: Record) -> dict[str, Any] | None:
    """Which rule of the contract a refused request broke, from the contract itself."""
    if verdict(record) != "rejected" or not record.operation:
        return None
    response = body_text(record.response_body or b"")
    said = response.get("message") if isinstance(response, Mapping) else None
    for found in record.violations:
        if found.check == REQUEST_CHECK and found.problems:
            return _body_rule(contract, found.message, found.problems)
    if not record.request_truncated and record.status == 400:
        content_type = _header(text_pairs(record.request_headers), "content-type")
        judged = judge_body(contract, record.request_body, content_type)
        if Answer.SUCCESS not in judged.answers:
            problems = tuple(p.as_dict() for p in judged.problems)
            return _body_rule(contract, judged.cause, problems)
    if record.status == 401 or any(v.check == REQUEST_CHECK for v in record.violations):
        wanted = " or ".join(r.describe() for r in contract.security.requirements)
        return {
            "summary": str(said or "credentials refused"),
            "problems": [],
            "contract": f"security: {wanted or 'none'}",
        }
    spec = contract.responses.get(record.status)
    return {
        "summary": str(said or f"refused with {record.status}"),
        "problems": [],
        "contract": f"{record.status}: {spec.description}" if spec else "",
    }


def _body_rule(
    contract: Contract, cause: str, problems: tuple[dict[str, str], ...]
) -> dict[str, Any]:
    return {
        "summary": cause,
        "problems": list(problems),
        "contract": f"request body: {contract.request_media_type}, schema at "
        f"#{contract.request_schema_pointer}",
    }


def view(contract: Contract, record: Record) -> dict[str, Any]:
    """The JSON form of one exchange (built once)."""
    request_headers = text_pairs(record.request_headers)
    response_headers = text_pairs(record.response_headers)
    return {
        "id": record.id,
        "time": timestamp(record.time),
        "method": record.method,
        "path": record.path,
        "query": record.query.decode("latin-1"),
        "status": record.status,
        "duration_ms": milliseconds(record.duration),
        "request_id": _header(response_headers, contract.request_id_header.lower()),
        "verdict": verdict(record),
        "violations": [{"check": v.check, "message": v.message} for v in record.violations],
        "rule": broken_rule(contract, record),
        "request": {
            "headers": [list(pair) for pair in request_headers],
            "body": body_text(record.request_body),
            "truncated": record.request_truncated,
        },
        "response": {
            "headers": [list(pair) for pair in response_headers],
            "body": None if record.response_body is None else body_text(record.response_body),
            "truncated": record.response_truncated,
        },
    }


@dataclass(frozen=True)
class Filters:
    """What ``GET /__mock/requests`` was asked for; None matches everything."""

    statuses: frozenset[int] | None = None
    classes: frozenset[int] | None = None
    verdicts: frozenset[str] | None = None
    since: float | None = None
    until: float | None = None
    method: str | None = None
    path: str | None = None
    after: int = 0
    limit: int | None = None

    def match(self, record: Record) -> bool:
        if record.id <= self.after:
            return False
        if (self.statuses is not None or self.classes is not None) and not (
            record.status in (self.statuses or ()) or record.status // 100 in (self.classes or ())
        ):
            return False
        if self.verdicts is not None and verdict(record) not in self.verdicts:
            return False
        if self.since is not None and record.time < self.since:
            return False
        if self.until is not None and record.time > self.until:
            return False
        if self.method is not None and record.method != self.method:
            return False
        return self.path is None or record.path == self.path

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Filters:
        """Filters from query parameters; ApiError(400, invalid_filter) when one is wrong."""
        unknown = set(params) - {
            "status", "verdict", "since", "until", "method", "path", "after", "limit",
        }  # fmt: skip
        if unknown:
            raise _invalid(f"unknown filter {sorted(unknown)[0]!r}")
        statuses, classes = _statuses(params.get("status"))
        verdicts = None
        if "verdict" in params:
            verdicts = frozenset(v.strip() for v in params["verdict"].split(",") if v.strip())
            if not verdicts or not verdicts <= set(VERDICTS):
                raise _invalid(f"verdict must be one of {', '.join(VERDICTS)}")
        return cls(
            statuses=statuses,
            classes=classes,
            verdicts=verdicts,
            since=_moment(params, "since"),
            until=_moment(params, "until"),
            method=params["method"].upper() if "method" in params else None,
            path=params.get("path"),
            after=_count(params, "after") or 0,
            limit=_count(params, "limit"),
        )


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_filter", f"Invalid journal filter: {message}.")


def _statuses(text: str | None) -> tuple[frozenset[int] | None, frozenset[int] | None]:
    if text is None:
        return None, None
    statuses, classes = set(), set()
    for item in (part.strip().lower() for part in text.split(",")):
        if len(item) == 3 and item[0] in "12345" and item[1:] == "xx":
            classes.add(int(item[0]))
        elif item.isdigit() and len(item) == 3:
            statuses.add(int(item))
        else:
            raise _invalid(f"status {item!r} is neither a status (404) nor a class (4xx)")
    return frozenset(statuses), frozenset(classes)


def _moment(params: Mapping[str, str], name: str) -> float | None:
    """An ISO 8601 time (``2026-01-31T12:00:00Z``; no zone means UTC) or epoch seconds."""
    text = params.get(name)
    if text is None:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise _invalid(f"{name} must be a finite number of seconds")
        return seconds
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise _invalid(f"{name} is neither ISO 8601 nor seconds since the epoch") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _count(params: Mapping[str, str], name: str) -> int | None:
    text = params.get(name)
    if text is None:
        return None
    if not text.isdigit() or len(text) > 12:
        raise _invalid(f"{name} must be a whole number")
    return int(text)
