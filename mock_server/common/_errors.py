"""Every error the mock sends, as data, and the one place that renders it: ``ApiError``
becomes a ``PreparedResponse`` (status, header pairs, JSON body) in ``error_answer``."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

JSON = "application/json"


class Rule(enum.StrEnum):
    """The rule of the contract a refusal of the operation applies (the journal names it)."""

    PREFER = "prefer"  # a Prefer header asked for what the contract does not document
    FORCED = "forced"  # a Prefer header asked for this documented error
    CREDENTIALS = "credentials"
    MEDIA_TYPE = "media type"
    TRANSFER = "transfer"  # the body: too large, too slow, or cut short
    JSON = "json"
    SCHEMA = "schema"


class ApiError(Exception):
    """An error response: status, error ``code``, ``message`` and any extra body fields;
    ``rule``: the rule of the contract it applies, when it refuses the operation."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        rule: Rule | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        self.rule = rule

    def body(self) -> dict[str, Any]:
        head = {"code": self.code} if self.code is not None else {}
        return {**head, "message": self.message, **self.extra}

    @classmethod
    def from_body(
        cls, status: int, body: Any, *, fallback: str, rule: Rule | None = None
    ) -> ApiError:
        """An error whose body is a documented example (``message`` falls back if absent)."""
        fields = dict(body) if isinstance(body, dict) else {}
        code = fields.pop("code", None)
        message = fields.pop("message", fallback)
        code = None if code is None else str(code)
        return cls(status, code, str(message), extra=fields, rule=rule)

    def __repr__(self) -> str:
        return f"ApiError(status={self.status}, code={self.code!r}, message={self.message!r})"


class ClientDisconnected(ApiError):
    """The client went away before its request body ended: there is no one to answer.
    The mock answers nothing and journals a disconnect; as an ApiError it is still the
    400 a caller that answers regardless (the proxy) renders."""

    def __init__(self) -> None:
        super().__init__(
            400,
            "malformed_json",
            "The connection closed before the request body ended.",
            rule=Rule.TRANSFER,
        )


def to_json(body: Any) -> bytes:
    """Compact UTF-8 JSON. orjson: a tenth of the stdlib encoder's cost on the hot path.
    What orjson refuses (integers beyond 64 bits, lone surrogates) the stdlib writes."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":")).encode("ascii")


@dataclass(slots=True)
class PreparedResponse:
    """A whole response, ready for the wire: status, ASGI header pairs and body.
    ``document`` is what ``body`` encodes (None: not known), kept for the journal (which
    must not store the success body's generated secrets, and finds them there without
    decoding ``body``); so is ``rule``, the ``Rule`` a refusal applies (its value)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    document: Any = None
    rule: str | None = None


def json_answer(
    status: int,
    body: Any,
    *,
    media_type: str = JSON,
    headers: Mapping[str, str] | None = None,
) -> PreparedResponse:
    content = to_json(body)
    raw = [
        (b"content-type", media_type.encode("latin-1")),
        (b"content-length", str(len(content)).encode()),
    ]
    if headers:
        raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return PreparedResponse(status, raw, content, body)


def error_answer(error: ApiError, media_type: str = JSON) -> PreparedResponse:
    """The wire format of every error: the contract's Error object as JSON.

    The request-id header is added to every response by the request-context layer.
    """
    answer = json_answer(error.status, error.body(), media_type=media_type, headers=error.headers)
    if error.rule is not None:
        answer.rule = error.rule.value
    return answer


async def send_answer(send: Send, answer: PreparedResponse) -> None:
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.body})


async def send_error(send: Send, error: ApiError, media_type: str = JSON) -> None:
    await send_answer(send, error_answer(error, media_type))


class ErrorResponse(Response):
    """An ApiError as the Response that Starlette's exception handlers must return."""

    def __init__(self, error: ApiError, media_type: str = JSON) -> None:
        super().__init__(status_code=error.status)
        self.error = error
        self.error_media_type = media_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_error(send, self.error, self.error_media_type)
