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

import math
import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import rstr

from ._ids import uuid4
from ._pointers import pointer, resolve

Produce = Callable[[], Any]
MOCK_VALUES = ("echo", "uuid", "secret", "now", "example")
SAMPLES = 8  # values a fresh plan must produce validly at start-up
MAX_DEPTH = 16

# One valid sample for each common format (JSON Schema 2020-12 and OpenAPI's registry).
FORMAT_SAMPLES: Mapping[str, Any] = {
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri": "https://example.com/",
    "iri-reference": "https://example.com/",
    "uri-template": "https://example.com/{id}",
    "json-pointer": "/name",
    "relative-json-pointer": "0",
    "regex": "^[a-z]+$",
    "byte": "c2VjcmV0",
    "password": "password",
}


def _now(format_: str | None, *, precise: bool = False) -> Produce:
    timespec = "microseconds" if precise else "seconds"
    if format_ == "date":
        return lambda: datetime.now(UTC).date().isoformat()
    if format_ == "time":
        return lambda: datetime.now(UTC).time().isoformat(timespec=timespec) + "Z"
    return lambda: datetime.now(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


@dataclass(frozen=True)
class ValuePlan:
    """How to produce a value: ``how`` says it in words, ``produce`` makes one, ``fresh`` is
    true when each call gives a new value."""

    how: str
    produce: Produce
    fresh: bool = False


@dataclass(frozen=True)
class NoValue:
    """No valid value can be produced for the schema at ``where``, and why."""

    where: str
    reason: str

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
            return NoValue(where, f"x-mock: {mock} gives values the schema refuses")
        if schema.get("x-unique") is True:
            for plan in _fresh(schema, check):
                if _proven(plan, check):
                    return plan
            return NoValue(where, "x-unique: true, but no new value fits the schema")
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
                return ValuePlan("x-mock: now", _now(format_))
            case "example":
                found = _schema_examples(schema)
                if found:
                    return _constant("x-mock: example", found[0])
                return NoValue(where, "x-mock: example, but the schema has no example")
        return NoValue(where, f"x-mock {mock!r} is not one of {', '.join(MOCK_VALUES)}")

    def _candidates(
        self, schema: Mapping[str, Any], at: str, where: str, examples: Sequence[Any]
    ) -> list[ValuePlan | NoValue]:
        found: list[ValuePlan | NoValue] = [
            _constant("example", v) for v in (*_schema_examples(schema), *examples)
        ]
        if "const" in schema:
            found.append(_constant("const", schema["const"]))
        found += [_constant("enum", value) for value in schema.get("enum") or []]
        format_ = schema.get("format")
        if format_ in ("date-time", "date", "time"):
            found.append(ValuePlan(f"format {format_}", _now(format_)))
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
        for type_ in _types(schema):
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
                return _strings(schema)
            case "integer" | "number":
                return [_constant("bounds", n) for n in _numbers(schema, type_ == "integer")]
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
                if name in required:
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


def _schema_examples(schema: Mapping[str, Any]) -> list[Any]:
    found = [schema["example"]] if "example" in schema else []
    listed = schema.get("examples")
    return found + (list(listed) if isinstance(listed, list) else [])


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):  # try null last: a value says more than null
        return sorted((str(t) for t in declared), key=lambda t: t == "null")
    if "properties" in schema or "required" in schema:
        return ["object"]
    if "items" in schema or "prefixItems" in schema:
        return ["array"]
    if "minimum" in schema or "maximum" in schema or "multipleOf" in schema:
        return ["number"]
    return ["string"]


def _fit(text: str, schema: Mapping[str, Any]) -> str:
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    if len(text) < low:
        text += "x" * (low - len(text))
    return text if high is None else text[: int(high)]


def _strings(schema: Mapping[str, Any]) -> list[ValuePlan | NoValue]:
    found: list[ValuePlan | NoValue] = [_constant("string", _fit("string", schema))]
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        for seed in range(16):  # deterministic: the mock answers the same on every start
            try:
                text = rstr.Rstr(random.Random(seed)).xeger(pattern)  # noqa: S311
            except Exception:
                break  # ECMA-262 syntax Python's parser does not know
            found += [_constant("pattern", text), _constant("pattern", _fit(text, schema))]
    return found


def _numbers(schema: Mapping[str, Any], integer: bool) -> list[int | float]:
    low, high = _bounds(schema, integer)
    step = schema.get("multipleOf")
    start = low if low is not None else (min(1, high) if high is not None else 1)
    found: list[int | float] = [start]
    if low is not None and high is not None:
        found.append((low + high) // 2 if integer else (low + high) / 2)
    if isinstance(step, int | float) and step > 0:
        found = [math.ceil(n / step) * step for n in found] + found
    if integer:
        found = [int(n) for n in found if float(n).is_integer()]
    return found + ([high] if high is not None else [])


def _bounds(schema: Mapping[str, Any], integer: bool) -> tuple[Any, Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        above = schema["exclusiveMinimum"]
        low = math.floor(above) + 1 if integer else above + 1
        if isinstance(schema.get("exclusiveMaximum"), int | float) and not integer:
            low = (above + schema["exclusiveMaximum"]) / 2
    if isinstance(schema.get("exclusiveMaximum"), int | float):
        below = schema["exclusiveMaximum"]
        high = math.ceil(below) - 1 if integer else below - (1 if low is None else 0)
        if not integer and low is not None and low >= below:
            high = None
    if integer:
        low = None if low is None else math.ceil(low)
        high = None if high is None else math.floor(high)
    return low, high


def _fresh(schema: Mapping[str, Any], check: jsonschema_rs.Validator) -> list[ValuePlan]:
    """Plans whose every value is new: for ``x-unique: true``."""
    format_ = schema.get("format")
    types = _types(schema)
    found: list[ValuePlan] = []
    if format_ == "uuid":
        found.append(ValuePlan("x-unique uuid", uuid4, fresh=True))
    if format_ in ("date-time", "time"):
        found.append(ValuePlan("x-unique now", _now(format_, precise=True), fresh=True))
    if "integer" in types or "number" in types:
        low, high = _bounds(schema, True)
        low = 1 if low is None else low
        high = low + 2**53 if high is None else high
        if high > low:
            span = high - low + 1
            found.append(_new("x-unique number", lambda: low + secrets.randbelow(span)))
    if "string" in types:
        size = max(32, int(schema.get("minLength", 0)))
        found.append(_new("x-unique secret", lambda: _fit(secrets.token_urlsafe(size), schema)))
        found.append(ValuePlan("x-unique uuid", uuid4, fresh=True))
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            maker = rstr.Rstr(secrets.SystemRandom())
            found.append(_new("x-unique pattern", _checked(lambda: maker.xeger(pattern), check)))
    return found


def _new(how: str, make: Produce) -> ValuePlan:
    return ValuePlan(how, make, fresh=True)


def _checked(make: Produce, check: jsonschema_rs.Validator) -> Produce:
    """``make``, retried while it yields values the schema refuses (Python's reading of an
    ECMA-262 pattern may differ on rare characters)."""

    def produce() -> Any:
        value = make()
        for _ in range(32):
            if check.is_valid(value):
                break
            value = make()
        return value

    return produce


def _constraints(schema: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in schema.items() if not k.startswith("x-") and k != "description"}
    text = ", ".join(f"{k}={v!r}" for k, v in shown.items())
    return f"no candidate satisfies {text[:200] or 'the schema'}"
