"""The journal as HAR 1.2 (``GET /__mock/requests?format=har``): the format browsers' dev
tools, proxies and Schemathesis speak, for ``python -m conformance replay`` and ``check``.

Each record becomes one entry, as the journal stores it: credentials and generated secrets
already redacted, bodies as text, or base64 with ``encoding: "base64"`` when they are not
UTF-8 (HAR 1.2 says so for ``content``; ``postData`` gets the same field). The journal
keeps the whole duration of an exchange, not its phases, so ``timings`` puts it in
``wait`` and says ``-1`` (not known) or 0 for the rest. What HAR has no field for (the
verdict, the violations, a cut body) goes in ``_``-prefixed fields, as the spec allows.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from ..common import milliseconds
from ._journal import Record, text_pairs
from ._journal_view import timestamp, verdict

CREATOR = "apikeys-contract mock_server"
HTTP_VERSION = "HTTP/1.1"
FORMATS = ("json", "har")


def har_log(records: Iterable[Record]) -> dict[str, Any]:
    """A HAR 1.2 document holding ``records``, in the order given."""
    from .. import __version__  # the package imports this module first

    return {
        "log": {
            "version": "1.2",
            "creator": {"name": CREATOR, "version": __version__},
            "entries": [entry(record) for record in records],
        }
    }


def entry(record: Record) -> dict[str, Any]:
    """One exchange as a HAR entry."""
    wait = milliseconds(record.duration)
    return {
        "startedDateTime": timestamp(record.time),
        "time": wait,
        "request": _request(record),
        "response": _response(record),
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": wait, "receive": 0},
        "_id": record.id,
        "_verdict": verdict(record),
        "_violations": [{"check": v.check, "message": v.message} for v in record.violations],
    }


def _request(record: Record) -> dict[str, Any]:
    headers = text_pairs(record.request_headers)
    host = next((value for name, value in headers if name == "host"), "localhost")
    query = record.query.decode("latin-1")
    request: dict[str, Any] = {
        "method": record.method,
        "url": f"http://{host}{record.path}{'?' + query if query else ''}",
        "httpVersion": HTTP_VERSION,
        "cookies": [],
        "headers": _headers(headers),
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": -1 if record.request_body is None else len(record.request_body),
    }
    if record.request_body is not None:
        request["postData"] = {
            "mimeType": _header(headers, "content-type"),
            "params": [],
            **_text(record.request_body),
        }
        if record.request_truncated:
            request["postData"]["_truncated"] = True
    return request


def _response(record: Record) -> dict[str, Any]:
    headers = text_pairs(record.response_headers)
    body = record.response_body
    content: dict[str, Any] = {
        "size": 0 if body is None else len(body),
        "mimeType": _header(headers, "content-type"),
    }
    if body is not None:
        content.update(_text(body))
    if record.response_truncated:
        content["_truncated"] = True
    return {
        "status": record.status,  # 0: no response was sent, as browsers write it
        "statusText": _reason(record.status),
        "httpVersion": HTTP_VERSION if record.answered else "",
        "cookies": [],
        "headers": _headers(headers),
        "content": content,
        "redirectURL": _header(headers, "location"),
        "headersSize": -1,
        "bodySize": -1 if body is None else len(body),
    }


def _text(body: bytes) -> dict[str, str]:
    try:
        return {"text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"text": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def _headers(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs]


def _header(pairs: tuple[tuple[str, str], ...], name: str) -> str:
    return next((value for key, value in pairs if key == name), "")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
