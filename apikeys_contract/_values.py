"""Values a schema of the contract accepts, planned once and produced cheaply.

``plan_value`` decides, at start-up, how to produce a value for the schema at a JSON Pointer
of the spec, and proves the decision by validating samples with the compiled schema (formats
asserted, patterns as ECMA-262). The mock builds success bodies and response headers from
such plans; the harness may build valid request properties from them. In order:

1. ``x-mock``: ``uuid``, ``secret`` (new on every call), ``now`` (the current date-time,
   date or time, as the schema's ``format`` says), ``example`` (the schema's example);
2. ``x-unique: true``: a value new on every call, fitted to the format, type and bounds;
3. ``const``, then ``enum``, then the schema's and the response's examples, when valid;
4. ``format`` (date-time, date, time, duration, uuid, email, uri, hostname, ipv4, ipv6...);
5. the type: objects property by property, arrays from ``items``, strings fitted to the
   lengths and the pattern, numbers to the bounds and ``multipleOf``, booleans, null;
   ``anyOf``/``oneOf``: the first branch that yields; ``allOf``: the branches merged.

No plan is ever wrong silently: a schema no candidate satisfies gives a ``NoValue`` that
says where. Nothing here raises.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from ._ids import uuid4
from ._pointers import pointer, resolve
from ._scalars import (
    FORMAT_SAMPLES,
    Produce,
    fresh,
    now,
    numbers,
    schema_examples,
    strings,
    types,
)

MOCK_VALUES = ("echo", "uuid", "secret", "now", "example")
SAMPLES = 8  # values a fresh plan must produce validly at start-up
MAX_DEPTH = 16


@dataclass(frozen=True)
class ValuePlan:
    """How to produce a value: ``how`` says it in words, ``produce`` makes one, ``fresh`` is
    true when each call gives a new value."""

    how: str
    produce: Produce
    fresh: bool = False


@dataclass(frozen=True)
class NoValue:
    """No valid value can be produced for the schema at ``where``, and why. ``explicit``
    when the contract asked for something that cannot be (an ``x-mock`` or ``x-unique``
    that fails): never to be skipped, even on an optional property."""

    where: str
    reason: str
    explicit: bool = False

    def message(self) -> str:
        return f"cannot produce a valid value for {self.where or 'the body'}: {self.reason}"


def _constant(how: str, value: Any) -> ValuePlan:
    return ValuePlan(how, lambda: value)


class Planner:
    """Plans values for schemas of one OpenAPI document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.depth = 0
        self.definitions = {k: document[k] for k in ("paths", "components") if k in document}

    def validator(self, schema_pointer: str) -> jsonschema_rs.Validator:
        root = {"$ref": "#" + schema_pointer, **self.definitions}
        return jsonschema_rs.Draft202012Validator(root, validate_formats=True)

    def schema(self, schema_pointer: str) -> tuple[Any, str]:
        """The schema at ``schema_pointer`` with $refs followed, and where it stands."""
        return resolve(self.document, schema_pointer)

    def plan(
        self, schema_pointer: str, *, where: str = "", examples: Sequence[Any] = ()
    ) -> ValuePlan | NoValue:
        """The plan for the schema at ``schema_pointer``; ``where`` names the value in
        messages, ``examples`` are candidate values documented elsewhere (a response's
        example body)."""
        try:
            schema, at = self.schema(schema_pointer)
            check = self.validator(at)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return NoValue(where, f"unusable schema ({first})")
        if schema is False:
            return NoValue(where, "the schema is false")
        if not isinstance(schema, Mapping):
            return _constant("any value", "string")
        if self.depth > MAX_DEPTH:
            return NoValue(where, "nested too deeply (a recursive schema?)")
        self.depth += 1
        try:
            return self._choose(schema, at, where, examples, check)
        finally:
            self.depth -= 1

    def _choose(
        self,
        schema: Mapping[str, Any],
        at: str,
        where: str,
        examples: Sequence[Any],
        check: jsonschema_rs.Validator,
    ) -> ValuePlan | NoValue:
        mock = schema.get("x-mock")
        if mock is not None and mock != "echo":  # echo: the request's value, chosen above
            plan = self._mock(str(mock), schema, where)
            if isinstance(plan, NoValue) or _proven(plan, check):
                return plan
            return NoValue(where, f"x-mock: {mock} gives values the schema refuses", True)
        if schema.get("x-unique") is True:
            for how, make in fresh(schema, check.is_valid):
                plan = ValuePlan(how, make, fresh=True)
                if _proven(plan, check):
                    return plan
            return NoValue(where, "x-unique: true, but no new value fits the schema", True)
        for plan in self._candidates(schema, at, where, examples):
            if isinstance(plan, NoValue):
                return plan
            if _proven(plan, check):
                return plan
        return NoValue(where, _constraints(schema))

    def _mock(self, mock: str, schema: Mapping[str, Any], where: str) -> ValuePlan | NoValue:
        format_ = schema.get("format")
        match mock:
            case "uuid":
                return ValuePlan("x-mock: uuid", uuid4, fresh=True)
            case "secret":
                return ValuePlan("x-mock: secret", lambda: secrets.token_urlsafe(32), fresh=True)
            case "now":
                return ValuePlan("x-mock: now", now(format_))
            case "example":
                found = schema_examples(schema)
                if found:
                    return _constant("x-mock: example", found[0])
                return NoValue(where, "x-mock: example, but the schema has no example", True)
        return NoValue(where, f"x-mock {mock!r} is not one of {', '.join(MOCK_VALUES)}", True)

    def _candidates(
        self, schema: Mapping[str, Any], at: str, where: str, examples: Sequence[Any]
    ) -> list[ValuePlan | NoValue]:
        found: list[ValuePlan | NoValue] = [
            _constant("example", v) for v in (*schema_examples(schema), *examples)
        ]
        if "const" in schema:
            found.append(_constant("const", schema["const"]))
        found += [_constant("enum", value) for value in schema.get("enum") or []]
        format_ = schema.get("format")
        if format_ in ("date-time", "date", "time"):
            found.append(ValuePlan(f"format {format_}", now(format_)))
        elif format_ == "uuid":
            found.append(ValuePlan("format uuid", uuid4, fresh=True))
        elif isinstance(format_, str) and format_ in FORMAT_SAMPLES:
            found.append(_constant(f"format {format_}", FORMAT_SAMPLES[format_]))
        for keyword in ("anyOf", "oneOf"):
            for index in range(len(schema.get(keyword) or [])):
                branch = self.plan(at + pointer(keyword, str(index)), where=where)
                if isinstance(branch, ValuePlan):
                    found.append(branch)
        if schema.get("allOf"):
            found.append(self._all_of(schema, at, where))
        for type_ in types(schema):
            found += self._typed(type_, schema, at, where)
        return found

    def _typed(
        self, type_: str, schema: Mapping[str, Any], at: str, where: str
    ) -> list[ValuePlan | NoValue]:
        match type_:
            case "object":
                return [self._object(schema, at, where)]
            case "array":
                return [self._array(schema, at, where)]
            case "string":
                return [_constant("string", text) for text in strings(schema)]
            case "integer" | "number":
                return [_constant("bounds", n) for n in numbers(schema, type_ == "integer")]
            case "boolean":
                return [_constant("boolean", True), _constant("boolean", False)]
            case "null":
                return [_constant("null", None)]
        return []

    def _object(self, schema: Mapping[str, Any], at: str, where: str) -> ValuePlan | NoValue:
        required = set(schema.get("required") or [])
        properties = schema.get("properties") or {}
        children: list[tuple[str, Produce]] = []
        fresh = False
        for name in properties:
            child = self.plan(at + pointer("properties", name), where=f"{where}/{name}")
            if isinstance(child, NoValue):
                if name in required or child.explicit:
                    return child
                continue  # an optional property the mock cannot fill is left out
            children.append((name, child.produce))
            fresh = fresh or child.fresh
        for name in sorted(required - set(properties)):
            children.append((name, lambda: "string"))
        pairs = tuple(children)
        return ValuePlan("object", lambda: {n: make() for n, make in pairs}, fresh)

    def _array(self, schema: Mapping[str, Any], at: str, where: str) -> ValuePlan | NoValue:
        makers: list[Produce] = []
        for index in range(len(schema.get("prefixItems") or [])):
            item = self.plan(at + pointer("prefixItems", str(index)), where=f"{where}/{index}")
            if isinstance(item, NoValue):
                return item
            makers.append(item.produce)
        count = max(int(schema.get("minItems", 1)), 1)
        count = min(count, int(schema.get("maxItems", count)))
        items = schema.get("items")
        if items is not False and len(makers) < count:
            if isinstance(items, Mapping):
                item = self.plan(at + pointer("items"), where=f"{where}/0")
                if isinstance(item, NoValue):
                    return item
                makers += [item.produce] * (count - len(makers))
            else:
                makers += [lambda: "string"] * (count - len(makers))
        parts = tuple(makers)
        return ValuePlan("array", lambda: [make() for make in parts])

    def _all_of(self, schema: Mapping[str, Any], at: str, where: str) -> ValuePlan | NoValue:
        branches: list[Produce] = []
        for index in range(len(schema["allOf"])):
            branch = self.plan(at + pointer("allOf", str(index)), where=where)
            if isinstance(branch, NoValue):
                return branch
            branches.append(branch.produce)
        parts = tuple(branches)

        def merged() -> Any:
            values = [make() for make in parts]
            if all(isinstance(v, dict) for v in values):
                return {k: v for value in values for k, v in value.items()}
            return values[0]

        return ValuePlan("allOf", merged)


def plan_value(
    document: Mapping[str, Any],
    schema_pointer: str,
    *,
    where: str = "",
    examples: Sequence[Any] = (),
) -> ValuePlan | NoValue:
    """How to produce a valid value for the schema at ``schema_pointer`` of ``document``."""
    return Planner(document).plan(schema_pointer, where=where, examples=examples)


def header_text(value: Any) -> str:
    """A value as an OpenAPI header carries it (style ``simple``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(header_text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{header_text(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _proven(plan: ValuePlan, check: jsonschema_rs.Validator) -> bool:
    try:
        return all(check.is_valid(plan.produce()) for _ in range(SAMPLES if plan.fresh else 1))
    except Exception:
        return False


def _constraints(schema: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in schema.items() if not k.startswith("x-") and k != "description"}
    text = ", ".join(f"{k}={v!r}" for k, v in shown.items())
    return f"no candidate satisfies {text[:200] or 'the schema'}; give it a valid example"
