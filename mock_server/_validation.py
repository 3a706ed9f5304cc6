"""Request body -> the parsed document, or ApiError(400) listing what is wrong.

Every problem carries a JSON Pointer to the offending value, so a client can point at it.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
from starlette.types import Receive

from ._errors import ApiError


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def invalid(message: str, *, code: str = "invalid_request", **extra: Any) -> ApiError:
    return ApiError(400, code, message, extra=extra)


def check_media_type(content_type: str | None, expected: str) -> None:
    """Media types compare case-insensitively; ``charset`` may only say UTF-8."""
    if content_type == expected:
        return
    if content_type is None:
        raise invalid(
            f"Missing Content-Type header; send {expected}.", code="unsupported_media_type"
        )
    base, *params = (part.strip() for part in content_type.split(";"))
    if base.lower() != expected.lower():
        raise invalid(
            f"Unsupported Content-Type {content_type[:100]!r}; send {expected}.",
            code="unsupported_media_type",
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            raise invalid(
                f"Unsupported charset {value.strip()[:40]!r}; the body must be UTF-8.",
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
        code="body_timeout",
    )


def too_large(limit: int) -> ApiError:
    return invalid(
        f"Request body is larger than {limit} bytes.", code="body_too_large", limit=limit
    )


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, at most ``limit`` bytes; ApiError(400) beyond that."""
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):  # the common case: it came in one piece
        if message["type"] != "http.request":
            raise ended_early()
        if len(body) > limit:
            raise too_large(limit)
        return body
    chunks = bytearray(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] != "http.request":
            raise ended_early()
        chunks += message.get("body", b"")
        if len(chunks) > limit:
            raise too_large(limit)
    return bytes(chunks)


def ended_early() -> ApiError:
    return invalid("The connection closed before the request body ended.", code="malformed_json")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return document


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)


def parse_json(body: bytes) -> Any:
    """Strict RFC 8259 JSON in UTF-8: no BOM, NaN, Infinity or duplicate keys."""
    if not body.strip():
        raise invalid("Request body is required: send a JSON object.", code="malformed_json")
    if body.startswith(b"\xef\xbb\xbf"):
        raise invalid(
            "Request body starts with a byte order mark; send plain UTF-8 JSON.",
            code="malformed_json",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid(
            f"Request body is not valid UTF-8 (byte {exc.start}).", code="malformed_json"
        ) from exc
    try:
        return _DECODER.decode(text)
    except _DuplicateKeyError as exc:
        raise invalid(
            f"Duplicate key {exc.key[:100]!r} in a JSON object; send each key once.",
            code="malformed_json",
        ) from exc
    except json.JSONDecodeError as exc:
        raise invalid(
            f"Request body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            code="malformed_json",
        ) from exc
    except (ValueError, RecursionError) as exc:
        # int() digit limits, NaN/Infinity, nesting too deep for the parser
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise invalid(
            f"Request body is not acceptable JSON: {reason}.", code="malformed_json"
        ) from exc


def _pointer(path: list[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _lone_surrogate(value: Any, path: list[str | int]) -> list[str | int] | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _lone_surrogate(key, path) or _lone_surrogate(item, [*path, key])
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _lone_surrogate(item, [*path, index])
            if found is not None:
                return found
    return None


def validate(document: Any, validator: jsonschema_rs.Validator) -> None:
    """Raise ApiError(400) with one problem per schema violation."""
    try:
        if validator.is_valid(document):
            return
        problems = [_problem(error) for error in validator.iter_errors(document)]
    except UnicodeEncodeError:  # jsonschema_rs hands strings to Rust as UTF-8
        try:
            where = _pointer(_lone_surrogate(document, []) or [])
        except RecursionError:
            where = ""
        raise invalid(
            f"{where or 'body'}: string holds a lone surrogate, which is not valid Unicode.",
            problems=[{"pointer": where, "keyword": "unicode", "message": "lone surrogate"}],
        ) from None
    except (RecursionError, ValueError):
        # jsonschema_rs reports errors only down to 255 levels ("Recursion limit reached")
        raise invalid("Request body is nested too deeply.", code="malformed_json") from None
    first = problems[0]
    raise invalid(f"{first['pointer'] or 'body'}: {first['message']}", problems=problems)


def _problem(error: jsonschema_rs.ValidationError) -> dict[str, str]:
    path = list(error.instance_path)
    keyword = str(error.schema_path[-1]) if error.schema_path else ""
    if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
        path.append(str(error.kind.property))  # point at the missing member, not its parent
    return {"pointer": _pointer(path), "keyword": keyword, "message": _short(error.message)}


def _short(message: str, limit: int = 300) -> str:
    # A 10 kB name would otherwise be echoed back in full, several times.
    return message if len(message) <= limit else message[: limit - 3] + "..."
