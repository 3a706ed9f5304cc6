"""Scalar values fitted to a schema's keywords: formats, lengths, patterns, bounds, and
values new on every call. The building blocks of ``_values``' plans."""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import rstr

from ._ids import uuid4

Produce = Callable[[], Any]

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


def now(format_: str | None, *, precise: bool = False) -> Produce:
    timespec = "microseconds" if precise else "seconds"
    if format_ == "date":
        return lambda: datetime.now(UTC).date().isoformat()
    if format_ == "time":
        return lambda: datetime.now(UTC).time().isoformat(timespec=timespec) + "Z"
    return lambda: datetime.now(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def schema_examples(schema: Mapping[str, Any]) -> list[Any]:
    found = [schema["example"]] if "example" in schema else []
    listed = schema.get("examples")
    return found + (list(listed) if isinstance(listed, list) else [])


def types(schema: Mapping[str, Any]) -> list[str]:
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


def fit(text: str, schema: Mapping[str, Any]) -> str:
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    if len(text) < low:
        text += "x" * (low - len(text))
    return text if high is None else text[: int(high)]


def strings(schema: Mapping[str, Any]) -> list[str]:
    """Candidate strings: ``"string"`` fitted to the lengths, then strings generated from
    the pattern (Python's reading of it: the caller checks each with ECMA-262)."""
    found = [fit("string", schema)]
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        for seed in range(16):  # deterministic: the mock answers the same on every start
            try:
                text = rstr.Rstr(random.Random(seed)).xeger(pattern)  # noqa: S311
            except Exception:
                break  # ECMA-262 syntax Python's parser does not know
            found += [text, fit(text, schema)]
    return found


def numbers(schema: Mapping[str, Any], integer: bool) -> list[int | float]:
    low, high = bounds(schema, integer)
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


def bounds(schema: Mapping[str, Any], integer: bool) -> tuple[Any, Any]:
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


def fresh(schema: Mapping[str, Any], valid: Callable[[Any], bool]) -> list[tuple[str, Produce]]:
    """(how, make) for values new on every call (``x-unique: true``), fitted to the format,
    the type and the bounds; ``valid`` checks a generated string against the pattern."""
    format_ = schema.get("format")
    kinds = types(schema)
    found: list[tuple[str, Produce]] = []
    if format_ == "uuid":
        found.append(("x-unique uuid", uuid4))
    if format_ in ("date-time", "time"):
        found.append(("x-unique now", now(format_, precise=True)))
    if "integer" in kinds or "number" in kinds:
        low, high = bounds(schema, True)
        low = 1 if low is None else low
        high = low + 2**53 if high is None else high
        if high > low:
            span = high - low + 1
            found.append(("x-unique number", lambda: low + secrets.randbelow(span)))
    if "string" in kinds:
        size = max(32, int(schema.get("minLength", 0)))
        found.append(("x-unique secret", lambda: fit(secrets.token_urlsafe(size), schema)))
        found.append(("x-unique uuid", uuid4))
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            maker = rstr.Rstr(secrets.SystemRandom())
            found.append(("x-unique pattern", retried(lambda: maker.xeger(pattern), valid)))
    return found


def retried(make: Produce, valid: Callable[[Any], bool]) -> Produce:
    """``make``, retried while it yields values ``valid`` refuses (Python's reading of an
    ECMA-262 pattern may differ on rare characters)."""

    def produce() -> Any:
        value = make()
        for _ in range(32):
            if valid(value):
                break
            value = make()
        return value

    return produce
