"""Every error the mock sends, as data, and the one place that renders it.

ApiError
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

JSON = "application/json"


class ApiError(Exception):
    """An error response: status, error ``code``, ``message`` and any extra body fields."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        head = {"code": self.code} if self.code is not None else {}
        return {**head, "message": self.message, **self.extra}

    @classmethod
    def from_body(cls, status: int, body: Any, *, fallback: str) -> ApiError:
        """An error whose body is a documented example (``message`` falls back if absent)."""
        fields = dict(body) if isinstance(body, dict) else {}
        code = fields.pop("code", None)
        message = fields.pop("message", fallback)
        return cls(status, None if code is None else str(code), str(message), extra=fields)

    def __repr__(self) -> str:
        return f"ApiError(status={self.status}, code={self.code!r}, message={self.message!r})"


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def to_json(body: Any) -> bytes:
    return _ENCODER.encode(body).encode()


def render_json(
    status: int,
    body: Any,
    *,
    media_type: str = JSON,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(to_json(body), status_code=status, media_type=media_type, headers=headers)


def render_error(error: ApiError, media_type: str = JSON) -> Response:
    """The wire format of every error: the contract's Error object as JSON.

    The request-id header is added to every response by the request-context middleware.
    """
    return render_json(error.status, error.body(), media_type=media_type, headers=error.headers)
