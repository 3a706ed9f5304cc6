"""Request body -> the parsed document, or ApiError(400) listing what is wrong.

Every problem carries a JSON Pointer to the offending value, so a client can point at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from starlette.types import Receive

from apikeys_contract import JsonIssue, MediaMatch, Problem, match_media_type, read_json

from ..common import ApiError, ClientDisconnected, Rule


def invalid(message: str, rule: Rule, *, code: str = "invalid_request", **extra: Any) -> ApiError:
    return ApiError(400, code, message, extra=extra, rule=rule)


def check_media_type(content_type: str | None, expected: str) -> None:
    """Only the documented media type; ``charset`` may only say UTF-8 (one rule, shared
    with the conformance harness: ``apikeys_contract.match_media_type``)."""
    match match_media_type(content_type, expected):
        case MediaMatch.SAME:
            return
        case MediaMatch.MISSING:
            raise invalid(
                f"Missing Content-Type header; send {expected}.",
                Rule.MEDIA_TYPE,
                code="unsupported_media_type",
            )
        case MediaMatch.OTHER_CHARSET:
            raise invalid(
                f"Unsupported charset in {(content_type or '')[:100]!r}; the body must be UTF-8.",
                Rule.MEDIA_TYPE,
                code="unsupported_media_type",
            )
        case _:
            raise invalid(
                f"Unsupported Content-Type {(content_type or '')[:100]!r}; send {expected}.",
                Rule.MEDIA_TYPE,
                code="unsupported_media_type",
            )


def check_declared_length(content_length: str | None, limit: int) -> None:
    if (
        content_length
        and content_length.isascii()
        and content_length.isdigit()
        and int(content_length) > limit
    ):
        raise too_large(limit)


def too_slow(seconds: float) -> ApiError:
    return invalid(
        f"Request body did not arrive within {seconds:g} s; check Content-Length.",
        Rule.TRANSFER,
        code="body_timeout",
    )


def too_large(limit: int) -> ApiError:
    return invalid(
        f"Request body is larger than {limit} bytes.",
        Rule.TRANSFER,
        code="body_too_large",
        limit=limit,
    )


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, at most ``limit`` bytes; ApiError(400) beyond that,
    ClientDisconnected when the client goes away before it ends."""
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):  # the common case: it came in one piece
        if message["type"] != "http.request":
            raise ClientDisconnected
        if len(body) > limit:
            raise too_large(limit)
        return body
    chunks = bytearray(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnected
        chunks += message.get("body", b"")
        if len(chunks) > limit:
            raise too_large(limit)
    return bytes(chunks)


# How each reason a body is not strict JSON (apikeys_contract.read_json) is told.
_JSON_MESSAGES = {
    JsonIssue.EMPTY: "Request body is required: send a JSON object.",
    JsonIssue.BOM: "Request body starts with a byte order mark; send plain UTF-8 JSON.",
    JsonIssue.OTHER_ENCODING: "Request body is not UTF-8; send UTF-8 JSON.",
    JsonIssue.NOT_UTF8: "Request body is not valid UTF-8 ({detail}).",
    JsonIssue.SYNTAX: "Request body is not valid JSON: {detail}.",
    JsonIssue.CONSTANT: "Request body is not valid JSON: {detail}.",
    JsonIssue.HUGE_NUMBER: "Request body is not acceptable JSON: {detail}.",
    JsonIssue.DUPLICATE_KEY: "Duplicate key in a JSON object ({detail}); send each key once.",
    JsonIssue.TOO_DEEP: "Request body is not acceptable JSON: nested too deeply.",
}


def parse_json(body: bytes) -> Any:
    """Strict RFC 8259 JSON in UTF-8: no BOM, NaN, Infinity, duplicate keys or lone
    surrogates (the rule is ``apikeys_contract.read_json``); ApiError(400) otherwise."""
    reading = read_json(body)
    if reading.ok:
        return reading.document
    if reading.issue is JsonIssue.LONE_SURROGATE:
        where = reading.pointer
        raise invalid(
            f"{where or 'body'}: string holds a lone surrogate, which is not valid Unicode.",
            Rule.JSON,
            problems=[{"pointer": where, "keyword": "unicode", "message": "lone surrogate"}],
        )
    template = _JSON_MESSAGES.get(reading.issue, _JSON_MESSAGES[JsonIssue.SYNTAX])  # type: ignore[arg-type]
    raise invalid(template.format(detail=reading.detail), Rule.JSON, code="malformed_json")


class Refusal(NamedTuple):
    """An error response as plain data: the contract's Error object and the rule it
    applies. The commonest refusal (a body the schema refuses) is built as one, not as an
    ApiError: an exception object and its generic rendering cost a sixth of a 400."""

    status: int
    body: dict[str, Any]
    rule: Rule


def schema_refusal(problems: Sequence[Problem]) -> Refusal:
    """The 400 for a document the schema refuses (``schema_problems``: not empty), one
    problem per violation."""
    first = problems[0]
    if first.keyword == "depth":
        message = "Request body is nested too deeply."
        return Refusal(400, {"code": "malformed_json", "message": message}, Rule.JSON)
    body = {
        "code": "invalid_request",
        "message": f"{first.pointer or 'body'}: {first.message}",
        "problems": [problem.as_dict() for problem in problems],
    }
    return Refusal(400, body, Rule.SCHEMA)
