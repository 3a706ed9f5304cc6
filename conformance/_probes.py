"""The fixed probes every run sends first: each boundary of the contract, tried once.

Every property of the request body is probed on its own, the others kept valid, so that a
failure points at one property. What the contract calls for is decided by
``apikeys_contract.judge_body`` (ECMA-262 patterns, code-point lengths), never assumed by
the builder: the builder only labels what it built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from apikeys_contract import (
    Answer,
    Contract,
    ecma_whitespace,
    is_ecma_space,
    judge_body,
    regex_disagreements,
)
from apikeys_contract.checks import Credential

from ._fields import Field, RequestShape, encode, numeric_inside, set_at, without
from ._model import Probe

ASTRAL_CHAR = "\U0001f511"  # 4 UTF-8 bytes, 2 UTF-16 units, 1 code point
TWO_BYTE_CHAR = "\u00e9"
NESTING_DEPTHS = (128, 256, 512, 1024, 100_000)
# Sizes of the "far beyond the limit" strings: tens of kilobytes.
HUGE_LENGTHS = (20_000, 65_536)
NOT_STRINGS: tuple[Any, ...] = (None, 0, 1.5, True, [], ["a"], {})


def make_probe(
    contract: Contract,
    body: bytes,
    content_type: str | None,
    label: str = "",
    credential: Credential = Credential.VALID,
    cause: str = "",
) -> Probe:
    verdict = judge_body(contract, body, content_type)
    return Probe(label or verdict.cause, body, content_type, verdict, credential, cause=cause)


def string_traits(value: str, field: Field, high: int) -> str:
    """What a string probe exercises: its length at a limit, its kinds of characters."""
    traits = []
    length = len(value)
    if length in (field.min_length, high, high + 1) or length > high:
        traits.append(f"{length} code point{'s' if length != 1 else ''}")
    if not value:
        return "empty"
    if all(is_ecma_space(c) for c in value):
        traits.append("whitespace only")
    else:
        if is_ecma_space(value[0]):
            traits.append("leading whitespace")
        if is_ecma_space(value[-1]):
            traits.append("trailing whitespace")
        if any(is_ecma_space(c) for c in value[1:-1]):
            traits.append("inner whitespace")
    if any(ord(c) >= 0x10000 for c in value):
        traits.append("astral characters")
    if any(c in regex_disagreements() for c in value):
        # The harness knows ECMA-262's \s and Python's; the target's engine it does not.
        traits.append("characters regex engines disagree on for \\s")
    if not traits and not value.isascii():
        traits.append("non-ASCII")
    return ", ".join(traits) or "ordinary"


def label_value(field: Field, value: Any, high: int) -> str:
    if isinstance(value, str) and field.is_string:
        return f"{field.pointer}: {string_traits(value, field, high)}"
    return f"{field.pointer} = {encode(value).decode('utf-8', 'replace')[:40]}"


def _string_values(shape: RequestShape, field: Field) -> Iterator[str]:
    """Values at and around the string's limits, alone and combined with the traits
    implementations get wrong: trimming, normalising, counting UTF-16 units or bytes."""
    fill = shape.filler(field)
    low, high = max(field.min_length, 1), shape.high(field)
    spaces = ecma_whitespace()
    disagree = regex_disagreements()
    yield fill * low
    if field.min_length > 1:
        yield fill * (field.min_length - 1)
    for length in (high, high + 1):  # the longest valid and the shortest invalid
        yield fill * length
        yield ASTRAL_CHAR * length
        yield TWO_BYTE_CHAR * length
        yield " " + fill * (length - 1)
        yield fill * (length - 1) + " "
        yield fill + " " * (length - 2) + fill
        yield "\u3000" + fill * (length - 2) + "\ufeff"
        yield disagree[0] + fill * (length - 1)
        yield ASTRAL_CHAR * (length - 1) + " "
    yield fill * high + " "  # a trimmer counts 100 here
    yield " " * (high + 1)
    yield from ("a b", " a", "a ", "  a  ")
    for space in spaces:
        yield from (space + fill, fill + space, space)  # valid, valid, whitespace only
    yield from disagree  # alone: valid or not, as ECMA-262 says
    yield from ("", " " * high, "".join(spaces))
    yield from (fill * length for length in HUGE_LENGTHS)


def _numeric_values(field: Field) -> Iterator[Any]:
    schema = field.schema
    integer = "integer" in field.types
    step = schema.get("multipleOf", 1 if integer else 0.5)
    inside = numeric_inside(schema)
    yield inside
    for key, delta in (("minimum", -step), ("maximum", step)):
        if key in schema:
            yield schema[key]
            yield schema[key] + delta
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if key in schema:
            yield schema[key]
    if "multipleOf" in schema:
        yield inside + schema["multipleOf"] / 2
    if integer:
        yield inside + 0.5
    yield str(inside)
    yield from (None, True)


def lookalike_cause(field: Field, value: Any) -> str:
    """The cause a value of the wrong type points to when a coercing validator (pydantic's
    lax mode, loose comparisons) would take it for the right one ('' for other values)."""
    shown = encode(value).decode("utf-8", "replace")
    kinds = field.types
    if field.is_string and (
        (type(value) in (int, float, bool)) or (isinstance(value, list) and len(value) == 1)
    ):
        wanted = "a string"
    elif ("integer" in kinds or "number" in kinds) and isinstance(value, str | bool):
        wanted = "an integer" if "integer" in kinds else "a number"
    elif "boolean" in kinds and (type(value) is int or value in ("true", "false")):
        wanted = "a boolean"
    else:
        return ""
    return f"coercing validator accepts {shown} for {wanted}"


def _field_values(shape: RequestShape, field: Field) -> Iterator[Any]:
    schema = field.schema
    if field.is_string:
        yield from _string_values(shape, field)
        yield from NOT_STRINGS
        if "format" in schema:
            yield shape.value_for(field)  # valid, format included
            yield f"not-a-valid-{schema['format']}"
    elif "enum" in schema or "const" in schema:
        members = list(schema.get("enum", [schema.get("const")]))
        yield from members
        yield "not-a-member" if "not-a-member" not in members else "not-a-member-2"
        yield None
    elif "integer" in field.types or "number" in field.types:
        yield from _numeric_values(field)
    elif "boolean" in field.types:
        yield from (True, False, "true", 1, None)
    elif "array" in field.types:
        yield from ([], ["a"], "a", None)
    elif "object" in field.types:
        yield from ({}, "a", [], None)


@dataclass(frozen=True)
class Budget:
    """Which credentials the authentication probes use."""

    forbidden: bool
    unknown: bool
    secured: bool = True  # the contract requires credentials
    combined: bool = False  # its first alternative combines several schemes


def auth_probes(contract: Contract, shape: RequestShape, budget: Budget) -> Iterator[Probe]:
    """Each denied credential with several bodies: the contract's own request examples,
    a valid body built from the schema, and an invalid one; then a valid call, twice."""
    media = contract.request_media_type
    bodies: list[tuple[str, bytes]] = [
        (f"request example {name!r}", encode(example))
        for name, example in contract.request_examples.items()
    ]
    bodies.append(("valid body", encode(shape.base)))
    strings = shape.strings
    if strings:
        bodies.append(("invalid body", encode(set_at(shape.base, strings[0].path, ""))))
    else:
        bodies.append(("invalid body", b"[]"))
    denied = [Credential.NONE, Credential.MISPLACED, Credential.EMPTY]
    if not budget.secured:
        denied = []
    elif budget.unknown:
        denied.append(Credential.UNKNOWN)
    if budget.secured and budget.combined:
        denied.append(Credential.INCOMPLETE)
    if budget.forbidden and budget.secured:
        denied.append(Credential.FORBIDDEN)
    for credential in denied:
        for label, body in bodies:
            yield make_probe(contract, body, media, f"{credential.value}, {label}", credential)
    valid = encode(shape.base)
    yield make_probe(contract, valid, media, "valid body")
    yield make_probe(contract, valid, media, "valid body, again")  # fresh values


def field_probes(contract: Contract, shape: RequestShape) -> Iterator[Probe]:
    media = contract.request_media_type
    base = shape.base
    for field in shape.fields:
        high = shape.high(field)
        for value in _field_values(shape, field):
            body = encode(set_at(base, field.path, value))
            probe = make_probe(contract, body, media, label_value(field, value, high))
            cause = lookalike_cause(field, value)
            if cause and probe.verdict.answers == frozenset({Answer.INVALID}):
                probe = dataclasses.replace(probe, cause=cause)
            yield probe
        body = encode(without(base, field.path))
        label = f"missing {field.pointer}" if field.required else f"without {field.pointer}"
        yield make_probe(contract, body, media, label)
    extra = {"": None, **base} if isinstance(base, dict) else base
    yield make_probe(contract, encode(extra), media, "an extra property with an empty name")
    if isinstance(base, dict):
        yield make_probe(contract, encode({**base, "extra": "x"}), media, "an extra property")


def _malformed(shape: RequestShape) -> Iterator[tuple[str, bytes]]:
    base = encode(shape.base)
    strings = shape.strings
    key = strings[0].path[-1].encode() if strings else b"name"
    yield from (("empty body", b""), ("empty object", b"{}"), ("truncated", base[:-1]))
    yield from (("trailing garbage", base + b" x"), ("not JSON", b"nope"), ("open brace", b"{"))
    for text in (b"[]", b'"a"', b"1", b"null", b"[" + base + b"]"):
        yield "non-object body", text
    yield "a byte order mark", b"\xef\xbb\xbf" + base
    yield "UTF-16 text", base.decode("utf-8").encode("utf-16")
    yield "NaN", base[:-1] + b', "nan": NaN}'
    yield "a 10,000-digit number", base[:-1] + b', "big": ' + b"9" * 10_000 + b"}"
    yield "duplicate keys", base[:-1] + b', "' + key + b'": "   "}'
    yield "duplicate keys, last valid", b'{"' + key + b'": "   ", ' + base[1:]
    if strings:
        doc = set_at(shape.base, strings[0].path, "\ud800")
        yield "lone surrogate escape", encode(doc).replace(b"\xed\xa0\x80", b"\\ud800")
    for depth in NESTING_DEPTHS:  # parser and validator depth limits sit at powers of two
        yield f"nested {depth} levels", b"[" * depth + b"]" * depth
        yield (
            f"{key.decode()} nested {depth} levels",
            (b'{"' + key + b'": ' + b"[" * depth + b"]" * depth + b"}"),
        )


def body_probes(contract: Contract, shape: RequestShape) -> Iterator[Probe]:
    media = contract.request_media_type
    for label, body in _malformed(shape):
        yield make_probe(contract, body, media, label)
    valid = encode(shape.base)
    for content_type in (None, "text/plain", "application/json; charset=latin-1"):
        label = f"valid body, Content-Type {content_type or 'missing'}"
        yield make_probe(contract, valid, content_type, label)
    pairs = shape.base.items() if isinstance(shape.base, dict) else ()
    form = "&".join(f"{k}={v}" for k, v in pairs if isinstance(v, str))
    yield make_probe(contract, form.encode(), "application/x-www-form-urlencoded", "a form body")


def boundary_probes(contract: Contract, shape: RequestShape, budget: Budget) -> list[Probe]:
    """Authentication first (the first probe doubles as the reachability check)."""
    return [
        *auth_probes(contract, shape, budget),
        *field_probes(contract, shape),
        *body_probes(contract, shape),
    ]
