"""The journal as JSON: one view per exchange, its verdict, the rule a refused request
broke, and the filters ``GET /__mock/requests`` takes.

Views are built when read, not when stored (storing is on the mock's hot path), and kept
by the journal once built.
"""

from __future__ import annotations

import base64
import codecs
import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from apikeys_contract import Answer, BodyVerdict, Contract, MediaMatch, judge_body, read_json

from ..common import PREFERENCE_APPLIED, ApiError, Rule, docs_path, milliseconds
from ._journal import Record, text_pairs
from ._recorder import PREFIX

VERDICTS = ("ok", "rejected", "violation", "disconnected")
# The check name of the proxy's request-side judgement: a client (frontend) bug.
REQUEST_CHECK = "request"
_APPLIED = PREFERENCE_APPLIED.lower()


def own_page(path: str) -> bool:
    """True for the mock's own pages: the contract and its docs, and the journal's."""
    return docs_path(path) or path.startswith(PREFIX)


def verdict(record: Record) -> str:
    """``violation``: the response broke the contract (proxy mode); ``rejected``: the
    request broke it, or was refused with a 4xx; ``disconnected``: no response went out (the
    client went away before it could be answered, or an injected fault dropped the
    connection: ``injected`` says so); ``ok`` otherwise."""
    if not record.answered:
        return "disconnected"
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


def body_view(body: bytes | None, truncated: bool) -> dict[str, Any]:
    """A stored body as JSON. ``raw``: the bytes as sent, as text, or in base64 when they
    are not UTF-8 (``encoding`` says which); ``body``: the JSON document they hold when
    they are strict JSON (read by the contract's rule, ``read_json``: a duplicate key is
    not), else their text. All None when no body was stored."""
    if body is None:
        return {"body": None, "raw": None, "encoding": None, "truncated": truncated}
    text = _text(body, truncated)
    if text is None:
        raw = base64.b64encode(body).decode("ascii")
        return {"body": None, "raw": raw, "encoding": "base64", "truncated": truncated}
    shown: Any = text or None
    if text and not truncated:
        reading = read_json(body)
        if reading.ok:
            shown = reading.document
    return {"body": shown, "raw": text, "encoding": "utf-8", "truncated": truncated}


def _text(body: bytes, truncated: bool) -> str | None:
    """``body`` as UTF-8 text; a cut body may end inside a character, which is left out.
    None when it is not UTF-8."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(body, final=not truncated)
    except UnicodeDecodeError:
        return None


def _document(body: bytes | None) -> Any:
    """The JSON document ``body`` holds, read leniently (what a response said), else None."""
    try:
        return orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return None


def broken_rule(contract: Contract, record: Record) -> dict[str, Any] | None:
    """Which rule of the contract a refused request broke: the one the mock's refusal
    applied (``record.rule``), described from the contract itself; in proxy mode, the one
    the proxy's judgement of the request names, else the one the contract says refuses
    what was sent."""
    if verdict(record) != "rejected" or not record.operation:
        return None
    response = _document(record.response_body)
    said = response.get("message") if isinstance(response, Mapping) else None
    summary = str(said or f"refused with {record.status}")
    if record.rule is not None:
        return _applied_rule(contract, record, Rule(record.rule), summary, response)
    if record.injected is not None:  # every refusal of the mock's own names its rule
        injected = f"injected by the mock ({record.injected}); the request was not judged"
        return _rule(None, injected, _described(contract, record.status))
    for found in record.violations:
        if found.check == REQUEST_CHECK and found.problems:
            return _body_rule(contract, Rule.SCHEMA, found.message, found.problems)
    if record.status == 400:
        judged = _judged(contract, record)
        if judged is not None:
            return _judged_rule(contract, judged)
    if record.status == 401 or any(v.check == REQUEST_CHECK for v in record.violations):
        return _security_rule(contract, summary)
    return _rule(None, summary, _described(contract, record.status))


def _applied_rule(
    contract: Contract, record: Record, rule: Rule, summary: str, response: Any
) -> dict[str, Any]:
    match rule:
        case Rule.FORCED:
            applied = _header(text_pairs(record.response_headers), _APPLIED)
            forced = f"forced with Prefer: {applied}" if applied else summary
            return _rule(rule, f"{forced} (the request was not judged)", _preferable(contract))
        case Rule.PREFER:
            return _rule(rule, summary, _preferable(contract))
        case Rule.CREDENTIALS if record.status == 401:
            return _security_rule(contract, summary)
        case Rule.MEDIA_TYPE:
            return _rule(rule, summary, f"request body: {contract.request_media_type}")
        case Rule.JSON | Rule.SCHEMA:
            judged = _judged(contract, record)
            if judged is not None:
                return _judged_rule(contract, judged, rule)
            given = response.get("problems") if isinstance(response, Mapping) else None
            problems = tuple(p for p in given or () if isinstance(p, dict))
            return _body_rule(contract, rule, summary, problems)
    return _rule(rule, summary, _described(contract, record.status))


def _preferable(contract: Contract) -> str:
    listed = ", ".join(map(str, contract.statuses))
    return (
        f"Prefer may ask for a response {contract.method} {contract.path} documents "
        f"({listed}) or one of their named examples"
    )


def _judged(contract: Contract, record: Record) -> BodyVerdict | None:
    """The contract's verdict on the whole request body, None unless it refuses it."""
    if record.request_body is None or record.request_truncated:
        return None
    content_type = _header(text_pairs(record.request_headers), "content-type")
    judged = judge_body(contract, record.request_body, content_type)
    return None if Answer.SUCCESS in judged.answers else judged


def _judged_rule(
    contract: Contract, judged: BodyVerdict, rule: Rule | None = None
) -> dict[str, Any]:
    """The rule ``judged`` names; ``rule``: the one the mock applied, when it refused."""
    if rule is None and judged.media is MediaMatch.OTHER:
        rule = Rule.MEDIA_TYPE
    elif rule is None:
        rule = Rule.JSON if judged.issue is not None else Rule.SCHEMA
    problems = tuple(p.as_dict() for p in judged.problems)
    return _body_rule(contract, rule, judged.cause, problems)


def _security_rule(contract: Contract, summary: str) -> dict[str, Any]:
    wanted = " or ".join(r.describe() for r in contract.security.requirements)
    return _rule(Rule.CREDENTIALS, summary, f"security: {wanted or 'none'}")


def _described(contract: Contract, status: int) -> str:
    spec = contract.responses.get(status)
    return f"{status}: {spec.description.strip()}" if spec else ""


def _body_rule(
    contract: Contract, rule: Rule, cause: str, problems: tuple[dict[str, str], ...]
) -> dict[str, Any]:
    return _rule(
        rule,
        cause,
        f"request body: {contract.request_media_type}, schema at "
        f"#{contract.request_schema_pointer}",
        problems,
    )


def _rule(
    rule: Rule | None, summary: str, contract: str, problems: tuple[dict[str, str], ...] = ()
) -> dict[str, Any]:
    return {
        "kind": None if rule is None else rule.value,
        "summary": summary,
        "problems": list(problems),
        "contract": contract,
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
        "status": record.status if record.answered else None,
        "duration_ms": milliseconds(record.duration),
        "request_id": _header(response_headers, contract.request_id_header.lower()),
        "verdict": verdict(record),
        "forced": _header(response_headers, _APPLIED),
        "own_page": not record.operation and own_page(record.path),
        "violations": [{"check": v.check, "message": v.message} for v in record.violations],
        "rule": broken_rule(contract, record),
        "injected": record.injected,
        "request": {
            "headers": [list(pair) for pair in request_headers],
            **body_view(record.request_body, record.request_truncated),
        },
        "response": {
            "headers": [list(pair) for pair in response_headers],
            **body_view(record.response_body, record.response_truncated),
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
