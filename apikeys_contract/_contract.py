from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema_rs

from ._json import lenient_documents, read_json
from ._loader import load_document
from ._media import base_media_type
from ._pointers import pointer, resolve
from ._security import SchemeKind, Security, parse_security
from .errors import SpecError

# x-mock generators whose values are new on every call (see Contract.fresh_fields).
FRESH_GENERATORS = ("uuid", "secret")
# Secrets shorter than this may occur in a text by chance; they are not searched for.
MIN_SECRET_LENGTH = 8
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class ResponseSpec:
    """One documented response of the operation."""

    status: int
    description: str
    media_type: str | None
    schema_pointer: str | None
    examples: Mapping[str, Any]
    headers: tuple[str, ...]
    required_headers: tuple[str, ...]
    header_objects: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    """Each documented header's Header Object, $ref followed."""


@dataclass(frozen=True)
class Contract:
    """The single operation the spec describes, with its schemas compiled once."""

    document: Mapping[str, Any]
    origin: str
    path: str
    method: str
    operation_id: str | None
    request_media_type: str
    request_schema_pointer: str
    request_body_required: bool
    request_examples: Mapping[str, Any]
    security: Security
    responses: Mapping[int, ResponseSpec]
    request_id_header: str
    _validators: dict[str, jsonschema_rs.Validator] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def bearer_auth(self) -> bool:
        """True when some alternative of the operation's security uses HTTP bearer."""
        return any(s.kind is SchemeKind.BEARER for s in self.security.schemes)

    @property
    def statuses(self) -> tuple[int, ...]:
        return tuple(sorted(self.responses))

    @property
    def success_status(self) -> int:
        return min(s for s in self.responses if 200 <= s < 300)

    def validator(self, schema_pointer: str, *, formats: bool = False) -> jsonschema_rs.Validator:
        """A validator for the schema at ``schema_pointer`` ($refs resolve in the spec).

        ``formats``: assert ``format`` (date-time, uuid, email...) instead of treating it as
        an annotation, as JSON Schema 2020-12 does by default.
        """
        key = f"{schema_pointer} formats" if formats else schema_pointer
        found = self._validators.get(key)
        if found is None:
            root = {"$ref": "#" + schema_pointer, **_definitions(self.document)}
            try:
                found = jsonschema_rs.Draft202012Validator(root, validate_formats=formats)
            except (ValueError, RecursionError, jsonschema_rs.ReferencingError) as exc:
                raise SpecError(
                    f"{self.origin}: schema at {schema_pointer} is unusable: {exc}"
                ) from exc
            self._validators[key] = found
        return found

    def schema(self, schema_pointer: str) -> Mapping[str, Any]:
        """The schema at ``schema_pointer`` with its top-level $ref followed."""
        found = _deref(self.document, {"$ref": "#" + schema_pointer}, self.origin)
        if not isinstance(found, Mapping):
            raise SpecError(f"{self.origin}: {schema_pointer} is not a schema object")
        return found

    @cached_property
    def echoed_fields(self) -> tuple[str, ...]:
        """Success properties that carry the request's value back unchanged: those marked
        ``x-mock: echo``, and, unless marked otherwise, those the request schema also has."""
        request = self.schema(self.request_schema_pointer).get("properties") or {}
        return tuple(
            name
            for name, schema in self._success_properties.items()
            if schema.get("x-mock", "echo" if name in request else None) == "echo"
        )

    @cached_property
    def fresh_fields(self) -> tuple[str, ...]:
        """Success properties whose value is new on every call: those marked
        ``x-unique: true``, or generated as ``x-mock: uuid`` or ``x-mock: secret``."""
        return tuple(
            name
            for name, schema in self._success_properties.items()
            if schema.get("x-unique") is True or schema.get("x-mock") in FRESH_GENERATORS
        )

    @cached_property
    def secret_fields(self) -> tuple[str, ...]:
        """Success properties that hold a secret (``x-mock: secret``, ``format: password``
        or ``x-secret: true``): never logged or shown."""
        return tuple(
            name
            for name, schema in self._success_properties.items()
            if schema.get("x-mock") == "secret"
            or schema.get("format") == "password"
            or schema.get("x-secret") is True
        )

    def secrets_in(self, status: int, body: bytes) -> tuple[str, ...]:
        """The generated secrets a response carries (``secret_fields`` of a success body,
        read as any JSON reader would), to mask wherever the exchange is shown. Values
        shorter than ``MIN_SECRET_LENGTH`` are left out: they may occur anywhere by chance."""
        if not self.secret_fields or not 200 <= status < 300:
            return ()
        reading = read_json(body)
        documents = (reading.document,) if reading.ok else lenient_documents(body)
        found = (
            doc.get(key)
            for doc in documents
            if isinstance(doc, Mapping)
            for key in self.secret_fields
        )
        texts = (v if isinstance(v, str) else json.dumps(v) for v in found if v is not None)
        return tuple(dict.fromkeys(t for t in texts if len(t) >= MIN_SECRET_LENGTH))

    @cached_property
    def _success_properties(self) -> Mapping[str, Mapping[str, Any]]:
        pointer_ = self.responses[self.success_status].schema_pointer
        if pointer_ is None:
            return {}
        properties = self.schema(pointer_).get("properties") or {}
        return {
            str(name): found
            for name, schema in properties.items()
            if isinstance(found := _deref(self.document, schema, self.origin), Mapping)
        }

    @property
    def request_validator(self) -> jsonschema_rs.Validator:
        return self.validator(self.request_schema_pointer)

    def response_validator(self, status: int) -> jsonschema_rs.Validator | None:
        response = self.responses[status]
        if response.schema_pointer is None:
            return None
        return self.validator(response.schema_pointer)

    @classmethod
    def from_document(cls, document: Mapping[str, Any], origin: str = "spec") -> Contract:
        return _build(document, origin)


def load_contract(path: str | Path | None = None) -> Contract:
    """Load, validate and compile the spec at ``path`` (the bundled one by default).
    Raises SpecError, with one line saying why, for any unusable spec."""
    document, origin = load_document(path)
    try:
        return Contract.from_document(document, origin)
    except RecursionError:
        raise SpecError(f"{origin} is not a usable contract: its $refs form a cycle") from None


def _definitions(document: Mapping[str, Any]) -> dict[str, Any]:
    # Everything a $ref inside the spec may point at; the rest of the document stays out
    # of the root schema so that its keys are never mistaken for keywords.
    return {key: document[key] for key in ("paths", "components", "webhooks") if key in document}


def _deref(document: Mapping[str, Any], node: Any, origin: str) -> Any:
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = str(node["$ref"])
        if not ref.startswith("#"):
            raise SpecError(f"{origin}: only local $refs are supported, not {ref!r}")
        try:
            return resolve(document, ref[1:])[0]
        except SpecError as exc:
            raise SpecError(f"{origin}: $ref {ref!r}: {exc}") from exc
    return node


def _only_operation(document: Mapping[str, Any], origin: str) -> tuple[str, str, Mapping[str, Any]]:
    operations = [
        (path, method, operation)
        for path, item in (document.get("paths") or {}).items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]
    if len(operations) != 1:
        found = ", ".join(f"{method.upper()} {path}" for path, method, _ in operations)
        raise SpecError(
            f"{origin}: expected exactly one operation, found {len(operations)}"
            + (f" ({found}): judge one contract per operation" if found else "")
        )
    return operations[0]


def _json_media_type(content: Mapping[str, Any], where: str, origin: str) -> str:
    for media_type in content:
        base = base_media_type(media_type)
        if base == "application/json" or base.endswith("+json"):
            return str(media_type)
    raise SpecError(f"{origin}: {where} has no JSON media type")


def _examples(media: Mapping[str, Any], document: Mapping[str, Any], origin: str) -> dict[str, Any]:
    examples = {
        name: _deref(document, example, origin).get("value")
        for name, example in (media.get("examples") or {}).items()
    }
    if "example" in media:
        examples.setdefault("default", media["example"])
    return examples


def _build(document: Mapping[str, Any], origin: str) -> Contract:
    path, method, operation = _only_operation(document, origin)
    op_pointer = pointer("paths", path, method)

    body = _deref(document, operation.get("requestBody"), origin)
    if not isinstance(body, Mapping) or not body.get("content"):
        raise SpecError(f"{origin}: {method.upper()} {path} documents no request body")
    request_media_type = _json_media_type(body["content"], "the request body", origin)
    request_schema_pointer = pointer(
        "paths", path, method, "requestBody", "content", request_media_type, "schema"
    )
    if "$ref" in operation["requestBody"]:
        ref = str(operation["requestBody"]["$ref"]).removeprefix("#")
        request_schema_pointer = ref + pointer("content", request_media_type, "schema")

    responses: dict[int, ResponseSpec] = {}
    for key, raw in (operation.get("responses") or {}).items():
        if not str(key).isdigit():
            continue  # "default" and "4XX" ranges: not statuses of their own
        status = int(key)
        response = _deref(document, raw, origin)
        content = response.get("content") or {}
        media_type = _json_media_type(content, f"response {status}", origin) if content else None
        schema_pointer = None
        if media_type is not None and "schema" in content[media_type]:
            base = (
                str(raw["$ref"]).removeprefix("#")
                if "$ref" in raw
                else op_pointer + pointer("responses", str(key))
            )
            schema_pointer = base + pointer("content", media_type, "schema")
        headers = {
            name: _deref(document, header, origin)
            for name, header in (response.get("headers") or {}).items()
        }
        responses[status] = ResponseSpec(
            status=status,
            description=str(response.get("description", "")),
            media_type=media_type,
            schema_pointer=schema_pointer,
            examples=_examples(content[media_type], document, origin) if media_type else {},
            headers=tuple(headers),
            required_headers=tuple(n for n, h in headers.items() if h.get("required")),
            header_objects={n: h for n, h in headers.items() if isinstance(h, Mapping)},
        )
    if not any(200 <= s < 300 for s in responses):
        raise SpecError(f"{origin}: {method.upper()} {path} documents no success response")

    common = set.intersection(*(set(r.headers) for r in responses.values()))
    request_id = sorted(common)
    if len(request_id) > 1:
        request_id = [name for name in request_id if "request" in name.lower()]
    if len(request_id) != 1:
        raise SpecError(
            f"{origin}: expected one request-id header documented on every response, "
            f"found {sorted(request_id) or 'none'}"
        )

    contract = Contract(
        document=document,
        origin=origin,
        path=path,
        method=method.upper(),
        operation_id=operation.get("operationId"),
        request_media_type=request_media_type,
        request_schema_pointer=request_schema_pointer,
        request_body_required=bool(body.get("required", False)),
        request_examples=_examples(body["content"][request_media_type], document, origin),
        security=parse_security(document, operation),
        responses=responses,
        request_id_header=request_id[0],
    )
    # Compile every schema now: a broken spec fails at start-up, not on a request.
    contract.validator(request_schema_pointer)
    for status in responses:
        contract.response_validator(status)
    return contract
