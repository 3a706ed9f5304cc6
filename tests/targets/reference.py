"""A reference implementation of the contract, with switches that break it on purpose."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import regress
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from apikeys_contract import load_contract
from apikeys_contract._json import replace_surrogates

CONTRACT = load_contract()
VALID_TOKEN = "conformance-valid-token"
FORBIDDEN_TOKEN = "readonly-token-0000"
EXPIRED_TOKEN = "expired-token-0000"
ECMA_SPACE = regress.Regex(r"\s")
NAME = CONTRACT.request_validator


@dataclass(frozen=True)
class Defects:
    anchored_pattern: bool = False
    whitespace_names_accepted: bool = False
    python_whitespace: bool = False
    length_unit: Literal["code points", "utf-16", "bytes"] = "code points"
    length_off_by_one: bool = False
    request_id: Literal["unique", "missing", "constant"] = "unique"
    error_without_message: bool = False
    plain_text_errors: bool = False
    invalid_status: int = 400
    empty_token_accepted: bool = False
    forbidden_status: int = 403
    success_status: int = 201
    crash_on_non_string: bool = False
    crash_on_char: str | None = None
    crash_on_lone_surrogate: bool = False  # a 500 where the name cannot be encoded
    crash_on_depth: int | None = None  # a 500 for JSON nested this deep or deeper
    lone_surrogates_replaced: bool = False  # read as U+FFFD, as Go's encoding/json does
    reflect_token: bool = False
    constant_secret: bool = False
    # Odd but conforming
    extra_error_fields: bool = False
    error_code: bool = True
    request_id_header: str = CONTRACT.request_id_header
    only_known_tokens: bool = True
    trims_before_counting: bool = False
    unknown_token_echoed: bool = False
    name_not_echoed: bool = False
    lenient_json: bool = False  # Python's json.loads on the bytes: BOM, UTF-16, NaN...
    body_before_auth: bool = False
    example_without_auth: str | None = None  # 201 with no credentials for this name
    rejects_extra_properties: bool = False
    slow_over_bytes: int | None = None  # bodies larger than this take 1 s to answer


class Rejected(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _length(name: str, unit: str) -> int:
    if unit == "utf-16":
        return len(name.encode("utf-16-le")) // 2
    if unit == "bytes":
        return len(name.encode("utf-8"))
    return len(name)


def _check_name(name: Any, defects: Defects) -> None:
    bad = Rejected(defects.invalid_status, "invalid_request", "name is invalid")
    if not isinstance(name, str):
        if defects.crash_on_non_string:
            raise Rejected(500, "internal_error", "'int' object has no attribute 'strip'")
        raise bad
    name.encode("utf-8")  # a lone surrogate: UnicodeEncodeError, answered 400
    if defects.crash_on_char and defects.crash_on_char in name:
        raise Rejected(500, "internal_error", "unexpected character")
    if defects.trims_before_counting:
        name = name.strip()
    length = _length(name, defects.length_unit)
    limit = 100 - 1 if defects.length_off_by_one else 100
    if not 1 <= length <= limit:
        raise bad
    if defects.whitespace_names_accepted:
        return
    if defects.python_whitespace and not re.search(r"\S", name):
        raise bad
    if defects.anchored_pattern and any(ECMA_SPACE.find(c) is not None for c in name):
        raise bad
    if not defects.python_whitespace and not NAME.is_valid({"name": name}):
        raise bad


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _parse(raw: bytes, defects: Defects) -> Any:
    depth = defects.crash_on_depth
    if depth is not None and b"[" * depth in raw:
        raise Rejected(500, "internal_error", "maximum recursion depth exceeded")
    try:
        if defects.lenient_json:
            document = json.loads(raw)
        else:
            document = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise Rejected(defects.invalid_status, "malformed_json", "Body is not JSON") from exc
    if defects.lone_surrogates_replaced:
        document = replace_surrogates(document)
    if not isinstance(document, dict) or "name" not in document:
        raise Rejected(defects.invalid_status, "invalid_request", "name is required")
    if defects.rejects_extra_properties and set(document) != {"name"}:
        raise Rejected(defects.invalid_status, "invalid_request", "unexpected property")
    try:
        _check_name(document["name"], defects)
    except UnicodeEncodeError as exc:
        if defects.crash_on_lone_surrogate:
            raise Rejected(500, "internal_error", "'utf-8' codec can't encode") from exc
        raise Rejected(defects.invalid_status, "invalid_request", "not Unicode") from exc
    return document


def _authenticate(request: Request, defects: Defects) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or (not token and not defects.empty_token_accepted):
        raise Rejected(401, "invalid_token", "Missing bearer token.")
    if not token:
        return token  # empty_token_accepted
    if token == EXPIRED_TOKEN or (
        defects.only_known_tokens and token not in (VALID_TOKEN, FORBIDDEN_TOKEN)
    ):
        shown = f" {token!r}" if defects.unknown_token_echoed else ""
        raise Rejected(401, "invalid_token", f"The access token{shown} is not valid.")
    if token == FORBIDDEN_TOKEN:
        raise Rejected(defects.forbidden_status, "permission_denied", "Not allowed.")
    return token


class Target:
    def __init__(self, defects: Defects) -> None:
        self.defects = defects

    def _headers(self, request: Request) -> dict[str, str]:
        headers = {}
        if self.defects.reflect_token:
            headers["x-debug-authorization"] = request.headers.get("authorization", "")
        if self.defects.request_id != "missing":
            unique = self.defects.request_id == "unique"
            headers[self.defects.request_id_header] = str(uuid.uuid4()) if unique else "constant"
        return headers

    def error(self, request: Request, rejected: Rejected) -> Response:
        if self.defects.plain_text_errors:
            return Response(rejected.message, rejected.status, self._headers(request), "text/plain")
        body: dict[str, Any] = {"message": rejected.message}
        if self.defects.error_without_message:
            body = {"error": rejected.message}
        if self.defects.error_code:
            body["code"] = rejected.code
        if self.defects.extra_error_fields:
            body["details"] = [{"hint": "odd but allowed"}]
        return JSONResponse(body, rejected.status, self._headers(request))

    async def create(self, request: Request) -> Response:
        limit = self.defects.slow_over_bytes
        if limit is not None and len(await request.body()) > limit:
            await asyncio.sleep(1)
        try:
            if self.defects.example_without_auth is not None and (
                "authorization" not in request.headers
                and await request.body()
                == json.dumps({"name": self.defects.example_without_auth}).encode()
            ):
                body = {"name": self.defects.example_without_auth}
                body["clientId"] = str(uuid.uuid4())
                body["clientSecret"] = secrets.token_urlsafe(24)
                return JSONResponse(body, 201, self._headers(request))
            if not self.defects.body_before_auth:
                _authenticate(request, self.defects)
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != CONTRACT.request_media_type:
                raise Rejected(self.defects.invalid_status, "unsupported_media_type", "JSON only")
            document = _parse(await request.body(), self.defects)
            if self.defects.body_before_auth:
                _authenticate(request, self.defects)
        except Rejected as rejected:
            return self.error(request, rejected)
        secret = "s" if self.defects.constant_secret else secrets.token_urlsafe(24)
        name = "static name" if self.defects.name_not_echoed else document["name"]
        body = {"name": name, "clientId": str(uuid.uuid4()), "clientSecret": secret}
        return JSONResponse(body, self.defects.success_status, self._headers(request))


def create_target(defects: Defects | None = None) -> Starlette:
    target = Target(defects or Defects())
    return Starlette(routes=[Route(CONTRACT.path, target.create, methods=[CONTRACT.method])])


BROKEN: dict[str, tuple[Defects, str]] = {
    "anchored-pattern": (Defects(anchored_pattern=True), "acceptance"),
    "whitespace-names-accepted": (Defects(whitespace_names_accepted=True), "rejection"),
    "python-whitespace": (Defects(python_whitespace=True), "acceptance"),
    "length-in-utf16-units": (Defects(length_unit="utf-16"), "acceptance"),
    "length-in-bytes": (Defects(length_unit="bytes"), "acceptance"),
    "off-by-one-at-100": (Defects(length_off_by_one=True), "acceptance"),
    "trims-before-counting": (Defects(trims_before_counting=True), "rejection"),
    "name-not-echoed": (Defects(name_not_echoed=True), "acceptance"),
    "rejects-extra-properties": (Defects(rejects_extra_properties=True), "acceptance"),
    "missing-request-id": (Defects(request_id="missing"), "headers"),
    "constant-request-id": (Defects(request_id="constant"), "headers"),
    "error-without-message": (Defects(error_without_message=True), "error_shape"),
    "plain-text-errors": (Defects(plain_text_errors=True), "error_shape"),
    "422-instead-of-400": (Defects(invalid_status=422), "status_conformance"),
    "empty-token-accepted": (Defects(empty_token_accepted=True), "authentication"),
    "any-token-accepted": (Defects(only_known_tokens=False), "authentication"),
    "unknown-token-echoed": (Defects(unknown_token_echoed=True), "authentication"),
    "401-instead-of-403": (Defects(forbidden_status=401), "authentication"),
    "200-instead-of-201": (Defects(success_status=200), "status_conformance"),
    "500-on-non-string-name": (Defects(crash_on_non_string=True), "status_conformance"),
    "token-reflected": (Defects(reflect_token=True), "authentication"),
    "constant-client-secret": (Defects(constant_secret=True), "success_shape"),
}

ODD_BUT_CONFORMING: dict[str, Defects] = {
    "reference": Defects(),
    "extra-error-fields": Defects(extra_error_fields=True),
    "no-error-code": Defects(error_code=False),
    "upper-case-header-name": Defects(request_id_header=CONTRACT.request_id_header.upper()),
    "lenient-json": Defects(lenient_json=True),
    "lone-surrogates-replaced": Defects(lone_surrogates_replaced=True),
    "body-checked-before-auth": Defects(body_before_auth=True),
}
