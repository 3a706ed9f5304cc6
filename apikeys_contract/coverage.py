"""Contract coverage, read from the contract and counted from what was judged.

``contract_coverage`` lists the items of the operation's contract (documented statuses,
the headers and success-body properties its responses declare, each constraint of each
request-body property, the credential failure modes its security makes observable, its
request examples), every count at zero. A ``Counter`` then counts one judged exchange at a
time, from what was sent and what came back (``Sent``, ``Received``, the ``Judgement``), so
the harness, the proxy and a replay of recorded traffic all measure coverage the same way.
What a request probed of a constraint is read from the body it sent: the side of the
boundary its value fell on, never a label the sender chose.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from ._contract import Contract
from ._pointers import pointer, resolve
from ._problems import schema_problems
from ._security import Security
from .checks import FORBIDDEN, UNAUTHENTICATED, Credential, Received, Sent, header_valid
from .errors import SpecError
from .judge import Judgement
from .report import (
    ConstraintItem,
    Coverage,
    CredentialItem,
    ExampleItem,
    FieldItem,
    StatusItem,
)
from .report._coverage import SIDES

__all__ = ["SIDES", "Counter", "contract_coverage", "credential_mode"]

# JSON Schema keywords that constrain a value (the contract says which apply, and with what
# value); each applies to the JSON types listed, or to any value (None).
CONSTRAINTS: dict[str, tuple[type, ...] | None] = {
    "type": None,
    "enum": None,
    "const": None,
    "minLength": (str,),
    "maxLength": (str,),
    "pattern": (str,),
    "format": (str,),
    "minimum": (int, float),
    "maximum": (int, float),
    "exclusiveMinimum": (int, float),
    "exclusiveMaximum": (int, float),
    "multipleOf": (int, float),
    "minItems": (list,),
    "maxItems": (list,),
    "uniqueItems": (list,),
    "minProperties": (dict,),
    "maxProperties": (dict,),
}
REQUIRED = "required"
# Lower bounds of 0 have no outside: no value is shorter, or has fewer items, than none.
LOWER_BOUNDS = ("minLength", "minItems", "minProperties")
CHECKS_THE_BODY = ("success_shape", "error_shape")
# How deep nested objects of the request body are listed.
MAX_DEPTH = 3

# The failure modes of a credential, as a report names them, and the roles the harness
# gives the credentials it presents (``Credential``).
MODES: dict[Credential, str] = {
    Credential.NONE: "missing",
    Credential.MISPLACED: "missing",
    Credential.INCOMPLETE: "missing",
    Credential.QUERY_PARAMETER: "missing",
    Credential.EMPTY: "malformed",
    Credential.UNKNOWN: "never issued",
    Credential.FORBIDDEN: "forbidden",
}


def credential_mode(credential: Credential) -> str:
    return "valid" if credential.authenticates else MODES[credential]


@dataclass(frozen=True)
class Property:
    """One request-body property (``path`` from the body's root) and its schema."""

    path: tuple[str, ...]
    schema: Mapping[str, Any]
    required: bool

    @property
    def pointer(self) -> str:
        return pointer(*self.path)


def request_properties(contract: Contract) -> list[Property]:
    """The request schema's properties, nested objects included (to ``MAX_DEPTH``)."""
    try:
        root, _ = resolve(contract.document, contract.request_schema_pointer)
    except SpecError:
        return []
    return list(_walk(contract.document, root, (), 0)) if isinstance(root, Mapping) else []


def _walk(
    document: Mapping[str, Any], schema: Mapping[str, Any], path: tuple[str, ...], depth: int
) -> Iterator[Property]:
    required = set(schema.get(REQUIRED) or ())
    for key, raw in (schema.get("properties") or {}).items():
        node, _ = _deref(document, raw)
        found = Property((*path, str(key)), node, key in required)
        yield found
        if isinstance(node.get("properties"), Mapping) and depth < MAX_DEPTH:
            yield from _walk(document, node, found.path, depth + 1)


def _deref(document: Mapping[str, Any], node: Any) -> tuple[Mapping[str, Any], str]:
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        try:
            found, where = resolve(document, str(node["$ref"]).removeprefix("#"))
        except SpecError:
            return {}, ""
        return (found if isinstance(found, Mapping) else {}), where
    return (node if isinstance(node, Mapping) else {}), ""


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _constraints(properties: list[Property]) -> list[ConstraintItem]:
    items: list[ConstraintItem] = []
    for prop in properties:
        if prop.required:
            items.append(ConstraintItem(prop.pointer, REQUIRED))
        for keyword in CONSTRAINTS:
            if keyword not in prop.schema:
                continue
            value = prop.schema[keyword]
            item = ConstraintItem(prop.pointer, keyword, _value_text(value))
            if keyword in LOWER_BOUNDS and value == 0:
                item.why_not["outside"] = f"no value breaks {keyword} 0"
                item.impossible.append("outside")
            items.append(item)
    return items


def _credentials(security: Security, statuses: tuple[int, ...]) -> list[CredentialItem]:
    """Each scheme's valid credential and the failure modes the contract makes observable
    (a 401 for a missing, malformed or never-issued credential; a 403 for a forbidden one)."""
    if not security.required:
        return []
    modes = ["valid"]
    if UNAUTHENTICATED in statuses:
        modes += ["missing", "malformed", "never issued"]
    if FORBIDDEN in statuses:
        modes.append("forbidden")
    return [CredentialItem(s.name, mode) for s in security.schemes for mode in modes]


def contract_coverage(contract: Contract) -> Coverage:
    """Every item of the contract's operation, nothing counted yet."""
    fields: list[FieldItem] = []
    for status, response in sorted(contract.responses.items()):
        required = {h.lower() for h in response.required_headers}
        fields += [FieldItem(status, "header", h, h.lower() in required) for h in response.headers]
    success = contract.responses[contract.success_status].schema_pointer
    if success is not None:
        schema = contract.schema(success)
        needed = set(schema.get(REQUIRED) or ())
        fields += [
            FieldItem(contract.success_status, "body", str(name), name in needed)
            for name in schema.get("properties") or {}
        ]
    return Coverage(
        f"{contract.method.upper()} {contract.path}",
        statuses=[StatusItem(s) for s in contract.statuses],
        fields=fields,
        constraints=_constraints(request_properties(contract)),
        credentials=_credentials(contract.security, contract.statuses),
        examples=[ExampleItem(name) for name in contract.request_examples],
    )


MISSING = object()


def _at(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(document, Mapping) or key not in document:
            return MISSING
        document = document[key]
    return document


@dataclass
class Counter:
    """Counts what judged exchanges covered of ``contract`` (``coverage``)."""

    contract: Contract
    coverage: Coverage = field(init=False)
    _properties: dict[str, Property] = field(init=False, repr=False)
    _validators: dict[tuple[str, str], jsonschema_rs.Validator] = field(
        init=False, default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        self.coverage = contract_coverage(self.contract)
        self._properties = {p.pointer: p for p in request_properties(self.contract)}

    def observe(self, sent: Sent, received: Received, judgement: Judgement) -> None:
        """Count one exchange. Never raises on what either side sent."""
        self._response(received, judgement)
        self._request(sent)

    def _response(self, received: Received, judgement: Judgement) -> None:
        item = self.coverage.status(received.status)
        item.produced += 1
        judged = {v.check for v in judgement.verdicts}
        validated = item.documented and bool(judged & set(CHECKS_THE_BODY))
        item.validated += validated
        if not validated:
            return
        document = _body(received)
        for found in self.coverage.fields:
            if found.status != received.status:
                continue
            if found.place == "header":
                raw = received.header(found.name)
                if raw is not None:
                    found.seen += 1
                    found.validated += header_valid(self.contract, received.status, found.name, raw)
            elif isinstance(document, Mapping) and found.name in document:
                found.seen += 1
                found.validated += self._valid_property(received.status, found.name, document)

    def _valid_property(self, status: int, name: str, document: Mapping[str, Any]) -> bool:
        at = self.contract.responses[status].schema_pointer
        if at is None:
            return False
        key = (f"{at}/properties", name)
        validator = self._validators.get(key)
        if validator is None:
            try:
                _, where = resolve(self.contract.document, at + pointer("properties", name))
                validator = self.contract.validator(where, formats=True)
            except SpecError:
                return False
            self._validators[key] = validator
        return not schema_problems(validator, document[name])

    def _request(self, sent: Sent) -> None:
        readings = [r for r in sent.verdict.readings if r is not None]
        if sent.credential is not None:
            mode = credential_mode(sent.credential)
            for scheme in self._presented_schemes():
                found = self.coverage.credential(scheme, mode)
                if found is not None:
                    found.sent += 1
        for example in self.coverage.examples:
            value = self.contract.request_examples.get(example.name)
            example.sent += any(_same(reading, value) for reading in readings)
        for item in self.coverage.constraints:
            sides = {side for reading in readings if (side := self._side(item, reading))}
            for side in sides:
                setattr(item, side, getattr(item, side) + 1)

    def _presented_schemes(self) -> tuple[str, ...]:
        """The schemes the harness presents a credential in: its first alternative's."""
        first = next((r for r in self.contract.security.requirements if not r.anonymous), None)
        return tuple(s.name for s in first.schemes) if first else ()

    def _side(self, item: ConstraintItem, document: Any) -> str | None:
        """The side of ``item``'s boundary the value in ``document`` fell on, if any."""
        prop = self._properties.get(item.pointer)
        if prop is None:
            return None
        if item.keyword == REQUIRED:
            parent = _at(document, prop.path[:-1])
            if not isinstance(parent, Mapping):
                return None
            return SIDES[0] if prop.path[-1] in parent else SIDES[1]
        value = _at(document, prop.path)
        applies = CONSTRAINTS.get(item.keyword)
        if value is MISSING or (applies is not None and not _of_types(value, applies)):
            return None
        key = (item.pointer, item.keyword)
        validator = self._validators.get(key)
        if validator is None:
            schema = {item.keyword: prop.schema[item.keyword]}
            try:
                validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
            except (ValueError, jsonschema_rs.ReferencingError):
                return None
            self._validators[key] = validator
        return SIDES[1] if schema_problems(validator, value) else SIDES[0]


def _of_types(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, types)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except RecursionError:
        return False


def _body(received: Received) -> Any:
    if received.truncated:
        return None
    try:
        return json.loads(received.body)
    except (ValueError, RecursionError):
        return None
