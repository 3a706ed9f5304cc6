"""An independent judge of the mock's responses: openapi-core reading the same spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers  # case-insensitive, as HTTP headers are

from apikeys_contract import bundled_spec_text


@cache
def _oracle(spec: str | None) -> tuple[OpenAPI, str]:
    """openapi-core for the bundled spec, or for the variant at path ``spec``.

    The oracle judges the operation, not the host: every request is taken as sent to the
    server the spec names.
    """
    text = bundled_spec_text() if spec is None else Path(spec).read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return OpenAPI.from_dict(document), document["servers"][0]["url"]


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


def assert_conforms(response: httpx.Response, spec: str | Path | None = None) -> None:
    """Raise if ``response`` is not a documented response of the operation it answers,
    in the bundled contract or in the variant at path ``spec``."""
    openapi, server = _oracle(None if spec is None else str(spec))
    request = response.request
    try:
        sent: bytes | None = request.content
    except httpx.RequestNotRead:  # a streamed body: the response is judged without it
        sent = None
    openapi.validate_response(
        _Request(
            host_url=server,
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
