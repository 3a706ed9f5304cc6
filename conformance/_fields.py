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

from apikeys_contract import Contract, SpecError, pointer, resolve, schema_problems

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
    def root(self) -> Mapping[str, Any]:
        schema, _ = resolve(self.contract.document, self.contract.request_schema_pointer)
        return schema if isinstance(schema, Mapping) else {}

    @cached_property
    def fields(self) -> tuple[Field, ...]:
        return tuple(self._walk(self.root, (), (id(self.root),)))

    def _walk(
        self, schema: Mapping[str, Any], path: tuple[str, ...], seen: tuple[int, ...]
    ) -> Iterator[Field]:
        """The properties of ``schema``; nested objects too, down to the first repetition
        of a recursive schema."""
        required = set(schema.get("required") or ())
        for key, raw in (schema.get("properties") or {}).items():
            field_schema, _ = self._deref(raw, "")
            field = Field((*path, str(key)), field_schema, key in required)
            yield field
            nested = "object" in field.types and field_schema.get("properties")
            if nested and id(field_schema) not in seen and len(path) < MAX_DEPTH:
                yield from self._walk(field_schema, field.path, (*seen, id(field_schema)))

    @property
    def strings(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_string)

    def valid(self, document: Any) -> bool:
        return not schema_problems(self.contract.request_validator, document)

    @cached_property
    def base(self) -> Any:
        """A valid body: the contract's first valid request example, else one built from
        the schema. SpecError when neither can be had."""
        for example in self.contract.request_examples.values():
            if isinstance(example, dict) and self.valid(example):
                return example
        built = self._build(self.root)
        if built is not None and self.valid(built):
            return built
        raise SpecError(
            "cannot build a valid request body from the contract; add a request example"
        )

    def _build(self, schema: Mapping[str, Any]) -> Any:
        document: dict[str, Any] = {}
        properties = schema.get("properties") or {}
        for key in schema.get("required") or ():
            field_schema, _ = self._deref(properties.get(key, {}), "")
            document[str(key)] = self.value_for(Field((str(key),), field_schema, True))
        return document

    def value_for(self, field: Field) -> Any:
        """A value ``field`` accepts on its own (None if none is found)."""
        schema = field.schema
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("default", "example"):
            if key in schema:
                return schema[key]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            return schema["examples"][0]
        types = field.types
        if "object" in types:
            return self._build(schema)
        if "array" in types:
            return []
        if "integer" in types or "number" in types:
            return numeric_inside(schema)
        if "boolean" in types:
            return True
        if "string" in types:
            return self.filler(field) * max(field.min_length, 1)
        return None

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
