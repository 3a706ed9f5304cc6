"""What every room of the mock shares: the one renderer of errors (``_errors``: ``ApiError``
becomes a ``PreparedResponse``), request ids (``_ids``), the request log (``_log``, batched
per turn of the event loop by ``_turns``), the keys one part of the request path leaves in
the ASGI scope for another (``_scope``), the request headers read in one pass
(``_headers``) and the paths of the mock's own pages (``_pages``).

Imports: nothing of the other rooms (the bottom room); ``apikeys_contract``.
"""

from __future__ import annotations

from ._errors import (
    JSON,
    ApiError,
    ClientDisconnected,
    ErrorResponse,
    PreparedResponse,
    Rule,
    error_answer,
    json_answer,
    send_answer,
    send_error,
    to_json,
)
from ._headers import PREFERENCE_APPLIED, RequestHeaders
from ._ids import uuid4
from ._log import ACCESS_LOGGER, LogSink, RequestLog, TurnLog, log_line, milliseconds, proxied_line
from ._pages import DOCS, SPEC_JSON, SPEC_YAML, docs_path
from ._scope import CONNECTION, FAILURE, INJECTED, REQUEST_BODY
from ._turns import TurnBatch

__all__ = [
    "ACCESS_LOGGER",
    "CONNECTION",
    "DOCS",
    "FAILURE",
    "INJECTED",
    "JSON",
    "PREFERENCE_APPLIED",
    "REQUEST_BODY",
    "SPEC_JSON",
    "SPEC_YAML",
    "ApiError",
    "ClientDisconnected",
    "ErrorResponse",
    "LogSink",
    "PreparedResponse",
    "RequestHeaders",
    "RequestLog",
    "Rule",
    "TurnBatch",
    "TurnLog",
    "docs_path",
    "error_answer",
    "json_answer",
    "log_line",
    "milliseconds",
    "proxied_line",
    "send_answer",
    "send_error",
    "to_json",
    "uuid4",
]
