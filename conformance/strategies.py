"""Hypothesis strategies for request bodies, built from the contract's constraints.

Boundaries are drawn on purpose for every constrained string: the shortest and longest
values, astral characters (where UTF-16 units and UTF-8 bytes outnumber code points),
whitespace at either end and inside, every ECMA-262 whitespace character, and the
characters where Python's ``\\s`` and ECMA-262's disagree; numbers at and past their
bounds. Each body varies the contract's valid base body, so the other properties stay
valid. Whether a body is valid is decided by ``apikeys_contract.judge_body``, not here.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from apikeys_contract import (
    ASTRAL,
    Contract,
    ecma_whitespace,
    is_ecma_space,
    load_contract,
    regex_disagreements,
)

from ._fields import Field, RequestShape, encode, numeric_inside, set_at, without
from ._model import Probe
from ._probes import HUGE_LENGTHS, NOT_STRINGS, label_value, make_probe


def _shape(shape: RequestShape | None) -> RequestShape:
    if shape is None:
        return RequestShape(load_contract())
    if not isinstance(shape, RequestShape):
        raise TypeError(f"shape must be a RequestShape, not {type(shape).__name__}")
    return shape


def characters() -> st.SearchStrategy[str]:
    """Any character a string may hold, weighted toward the troublesome ones."""
    return st.one_of(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E),
        st.characters(min_codepoint=ASTRAL, exclude_categories=["Cs"]),
        st.sampled_from(ecma_whitespace()),
        st.sampled_from(regex_disagreements()),
        st.characters(exclude_categories=["Cs"]),
    )


def non_spaces() -> st.SearchStrategy[str]:
    """Characters that are not ECMA-262 whitespace (Python's ``\\s`` may think otherwise)."""
    return st.one_of(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E),
        st.characters(min_codepoint=ASTRAL, exclude_categories=["Cs"]),
        st.sampled_from([c for c in regex_disagreements() if not is_ecma_space(c)]),
        st.characters(exclude_categories=["Cs", "Zs", "Zl", "Zp", "Cc"]).filter(
            lambda c: not is_ecma_space(c)
        ),
    )


@st.composite
def _strings(draw: st.DrawFn, low: int, high: int) -> str:
    """Strings within ``low..high`` code points holding at least one non-whitespace."""
    length = draw(st.one_of(st.sampled_from((low, high)), st.integers(low, high)))
    chars = draw(st.lists(characters(), min_size=length, max_size=length))
    if length:
        chars[draw(st.integers(0, length - 1))] = draw(non_spaces())
    return "".join(chars)


@st.composite
def _overlong(draw: st.DrawFn, high: int) -> str:
    length = draw(st.one_of(st.sampled_from((high + 1, high + 2)), st.sampled_from(HUGE_LENGTHS)))
    unit = draw(st.lists(non_spaces(), min_size=1, max_size=3))
    padded = ("".join(unit) * length)[:length]
    return draw(st.sampled_from((padded, padded[:-1] + " ", " " + padded[1:])))


def valid_values(field: Field, shape: RequestShape) -> st.SearchStrategy[Any]:
    """Values the field's own constraints allow (the pattern is left to the judge)."""
    schema = field.schema
    if field.is_string:
        return _strings(max(field.min_length, 1), shape.high(field))
    if "enum" in schema or "const" in schema:
        return st.sampled_from(list(schema.get("enum", [schema.get("const")])))
    if "integer" in field.types:
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        return st.integers(None if low is None else int(low), None if high is None else int(high))
    if "number" in field.types:
        return st.floats(
            schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False
        )
    if "boolean" in field.types:
        return st.booleans()
    return st.just(shape.value_for(field))


def invalid_values(field: Field, shape: RequestShape) -> st.SearchStrategy[Any]:
    """Values the field's constraints refuse, or of another type."""
    wrong_types = st.sampled_from(NOT_STRINGS if field.is_string else ("a", None, [], {}))
    options: list[st.SearchStrategy[Any]] = [wrong_types]
    if field.is_string:
        high = shape.high(field)
        options += [
            st.just(""),
            st.lists(st.sampled_from(ecma_whitespace()), min_size=1, max_size=high).map("".join),
            _overlong(high),
        ]
    elif "integer" in field.types or "number" in field.types:
        inside = numeric_inside(field.schema)
        schema = field.schema
        if "minimum" in schema:
            options.append(st.integers(1, 10**6).map(lambda d: schema["minimum"] - d))
        if "maximum" in schema:
            options.append(st.integers(1, 10**6).map(lambda d: schema["maximum"] + d))
        options.append(st.just(inside + 0.5))
    return st.one_of(options)


@st.composite
def valid_bodies(draw: st.DrawFn, shape: RequestShape) -> tuple[Any, str]:
    """The base body with each property redrawn within its constraints; optional ones
    present or left out."""
    document = shape.base
    labels = []
    for field in shape.fields:
        if len(field.path) > 1 and not isinstance(document.get(field.path[0]), dict):
            continue
        if not field.required and draw(st.booleans()):
            document = without(document, field.path)
            continue
        value = draw(valid_values(field, shape))
        document = set_at(document, field.path, value)
        if field.is_string:
            labels.append(label_value(field, value, shape.high(field)))
    return document, "; ".join(labels) or "valid body"


@st.composite
def invalid_bodies(draw: st.DrawFn, shape: RequestShape) -> tuple[Any, str]:
    """The base body with one property made invalid (or missing)."""
    field = draw(st.sampled_from(shape.fields))
    if field.required and draw(st.integers(0, 9)) == 0:
        return without(shape.base, field.path), f"missing {field.pointer}"
    value = draw(invalid_values(field, shape))
    return set_at(shape.base, field.path, value), label_value(field, value, shape.high(field))


def document_probes(
    contract: Contract, documents: st.SearchStrategy[tuple[Any, str]]
) -> st.SearchStrategy[Probe]:
    media = contract.request_media_type
    return documents.map(lambda pair: make_probe(contract, encode(pair[0]), media, pair[1]))


def malformed_bodies(shape: RequestShape) -> st.SearchStrategy[bytes]:
    """Bodies that are not a JSON object, or not JSON at all."""
    valid = encode(shape.base)
    return st.one_of(
        st.integers(0, len(valid) - 1).map(lambda n: valid[:n]),  # truncated
        st.sampled_from([b" x", b"}", b"{}", b"\x00"]).map(lambda tail: valid + tail),
        st.just(b"\xef\xbb\xbf" + valid),  # UTF-8 byte order mark
        st.just(valid.decode("utf-8").encode("utf-16")),
        st.sampled_from([b"NaN", b"Infinity", b"-Infinity"]).map(
            lambda v: valid[:-1] + b', "n": ' + v + b"}"
        ),
        st.integers(1, 100_000).map(lambda n: b"[" * n + b"]" * n),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda inner: st.lists(inner, max_size=3),
            max_leaves=5,
        ).map(lambda doc: json.dumps(doc).encode()),  # JSON that is not an object
        st.binary(max_size=64),
    )


def wrong_content_types() -> st.SearchStrategy[str | None]:
    """Content types other than the JSON the contract documents, or none at all."""
    return st.sampled_from(
        [
            None,
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/xml",
            "application/octet-stream",
        ]
    )


def body_probes(*, shape: RequestShape) -> st.SearchStrategy[Probe]:
    """Malformed bodies with the right content type, and valid ones with a wrong one."""
    contract = shape.contract
    media = contract.request_media_type
    return st.one_of(
        malformed_bodies(shape).map(lambda body: make_probe(contract, body, media)),
        st.tuples(valid_bodies(shape), wrong_content_types()).map(
            lambda pair: make_probe(contract, encode(pair[0][0]), pair[1], pair[0][1])
        ),
    )


def valid_body_probes(*, shape: RequestShape | None = None) -> st.SearchStrategy[Probe]:
    found = _shape(shape)
    return document_probes(found.contract, valid_bodies(found))


def invalid_body_probes(*, shape: RequestShape | None = None) -> st.SearchStrategy[Probe]:
    found = _shape(shape)
    return document_probes(found.contract, invalid_bodies(found))
