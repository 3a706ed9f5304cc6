"""The request body's properties, read from the contract: what each one accepts, and a valid
body to vary one property at a time (so that a failure points at that property)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jsonschema_rs

from apikeys_contract import (
    Contract,
    NoValue,
    SpecError,
    ValuePlan,
    plan_value,
    pointer,
    resolve,
    schema_problems,
)

# Characters tried, in order, to fill strings of a given length that the pattern accepts.
FILLERS = ("a", "A", "0", "x", "z", "-", "_")
# The longest string tried where a property sets no maxLength.
DEFAULT_MAX_LENGTH = 256
# How deep nested objects of the request body are probed.
MAX_DEPTH = 3


@dataclass(frozen=True)
class Field:
    """One property of the request body (nested objects included), at ``path``."""

    path: tuple[str, ...]
    schema: Mapping[str, Any]
    required: bool
    schema_pointer: str = ""

    @property
    def pointer(self) -> str:
        return pointer(*self.path)

    @property
    def types(self) -> tuple[str, ...]:
        kind = self.schema.get("type")
        if isinstance(kind, list):
            return tuple(str(k) for k in kind)
        if isinstance(kind, str):
            return (kind,)
        if "enum" in self.schema or "const" in self.schema:
            values = self.schema.get("enum", [self.schema.get("const")])
            return tuple(sorted({_json_type(v) for v in values}))
        return ()

    @property
    def is_string(self) -> bool:
        return "string" in self.types and "enum" not in self.schema and "const" not in self.schema

    @property
    def min_length(self) -> int:
        return int(self.schema.get("minLength", 0))

    @property
    def max_length(self) -> int | None:
        found = self.schema.get("maxLength")
        return int(found) if found is not None else None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def set_at(document: Any, path: tuple[str, ...], value: Any) -> Any:
    """A copy of ``document`` with ``value`` at ``path`` (parents created as objects)."""
    result = copy.deepcopy(document)
    node = result
    for token in path[:-1]:
        node = node.setdefault(token, {})
    node[path[-1]] = value
    return result


def without(document: Any, path: tuple[str, ...]) -> Any:
    result = copy.deepcopy(document)
    node = result
    for token in path[:-1]:
        node = node.get(token, {})
    node.pop(path[-1], None)
    return result


def encode(document: Any) -> bytes:
    """JSON as a client would send it: UTF-8, non-ASCII as is, lone surrogates kept."""
    return json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class RequestShape:
    """The request schema's properties and a valid base body, derived once per run."""

    contract: Contract

    def _deref(self, node: Any, at: str) -> tuple[Mapping[str, Any], str]:
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            found, where = resolve(self.contract.document, str(node["$ref"]).removeprefix("#"))
            return (found if isinstance(found, Mapping) else {}), where
        return (node if isinstance(node, Mapping) else {}), at

    @cached_property
    def _root(self) -> tuple[Mapping[str, Any], str]:
        schema, at = resolve(self.contract.document, self.contract.request_schema_pointer)
        return (schema if isinstance(schema, Mapping) else {}), at

    @property
    def root(self) -> Mapping[str, Any]:
        return self._root[0]

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        root, at = self._root
        return tuple(self._walk(root, (), at, (id(root),)))

    def _walk(
        self, schema: Mapping[str, Any], path: tuple[str, ...], at: str, seen: tuple[int, ...]
    ) -> Iterator[Field]:
        """The properties of ``schema``; nested objects too, down to the first repetition
        of a recursive schema."""
        required = set(schema.get("required") or ())
        for key, raw in (schema.get("properties") or {}).items():
            field_schema, where = self._deref(raw, at + pointer("properties", str(key)))
            field = Field((*path, str(key)), field_schema, key in required, where)
            yield field
            nested = "object" in field.types and field_schema.get("properties")
            if nested and id(field_schema) not in seen and len(path) < MAX_DEPTH:
                yield from self._walk(field_schema, field.path, where, (*seen, id(field_schema)))

    @property
    def strings(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_string)

    def valid(self, document: Any) -> bool:
        """Valid against the request schema, formats asserted (the base body must not lean
        on ``format`` being an annotation)."""
        root_pointer = self.contract.request_schema_pointer
        validator = self.contract.validator(root_pointer, formats=True)
        return not schema_problems(validator, document)

    @cached_property
    def base(self) -> Any:
        """A valid body: the contract's first valid request example, else one planned from
        the schema by the same rules the mock plans its responses with. SpecError when
        neither can be had."""
        for example in self.contract.request_examples.values():
            if isinstance(example, dict) and self.valid(example):
                return example
        plan = plan_value(self.contract.document, self._root[1], where="the request body")
        if isinstance(plan, ValuePlan):
            built = plan.produce()
            if self.valid(built):
                return built
        reason = plan.message() if isinstance(plan, NoValue) else "no valid body"
        raise SpecError(f"{reason}; add a valid request example to the contract")

    def value_for(self, field: Field) -> Any:
        """A value ``field`` accepts on its own (None if none can be planned)."""
        plan = plan_value(self.contract.document, field.schema_pointer)
        return plan.produce() if isinstance(plan, ValuePlan) else None

    def filler(self, field: Field) -> str:
        """A character that, repeated, makes strings the field's own schema accepts."""
        validator = self._field_validator(field)
        for char in FILLERS:
            value = char * max(field.min_length, 1)
            if validator is None or not schema_problems(validator, value):
                return char
        return FILLERS[0]

    def _field_validator(self, field: Field) -> jsonschema_rs.Validator | None:
        # The field's schema alone, its local $refs resolving in the contract's components.
        root = {**field.schema, "components": self.contract.document.get("components", {})}
        try:
            return jsonschema_rs.Draft202012Validator(root)
        except Exception:  # an odd schema: fall back to the first filler
            return None

    def high(self, field: Field) -> int:
        return field.max_length if field.max_length is not None else DEFAULT_MAX_LENGTH


def numeric_inside(schema: Mapping[str, Any]) -> int | float:
    """A number inside the schema's bounds, a multiple of ``multipleOf`` where it can."""
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    step = schema.get("multipleOf", 1)
    value: int | float = low if low is not None else (high if high is not None else step)
    if "exclusiveMinimum" in schema and value == schema["exclusiveMinimum"]:
        value += step
    if "exclusiveMaximum" in schema and value == schema["exclusiveMaximum"]:
        value -= step
    return value
