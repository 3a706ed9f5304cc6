"""An independent judge of the mock's responses: openapi-core reading the same spec."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers  # case-insensitive, as HTTP headers are

from apikeys_contract import bundled_spec_text

_SPEC = yaml.safe_load(bundled_spec_text())
_OPENAPI = OpenAPI.from_dict(_SPEC)
# The oracle judges the operation, not the host: every request is taken as sent to the
# server the spec names.
_SERVER = _SPEC["servers"][0]["url"]


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


def assert_conforms(response: httpx.Response) -> None:
    """Raise if ``response`` is not a documented response of the operation it answers."""
    request = response.request
    try:
        sent: bytes | None = request.content
    except httpx.RequestNotRead:  # a streamed body: the response is judged without it
        sent = None
    _OPENAPI.validate_response(
        _Request(
            host_url=_SERVER,
            path=request.url.path,
            method=request.method.lower(),
            body=sent,
            content_type=request.headers.get("content-type", "application/json").lower(),
        ),
        _Response(
            status_code=response.status_code,
            content_type=response.headers.get("content-type", "").lower(),
            headers=Headers(list(response.headers.multi_items())),
            data=response.content,
        ),
    )
