"""read_json's fast path (orjson, for canonical compact bodies) says what the strict reader
says, for any body: it may only ever be a shortcut, never a second rule."""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apikeys_contract import JsonIssue, read_json
from apikeys_contract._json import _read_strict

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text()
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


def encodings(document: Any) -> list[bytes]:
    """The ways clients write one document: compact, spaced, ASCII-escaped, and with its
    first key repeated (a duplicate the fast path must not let through)."""
    found = [
        json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        ),
        json.dumps(document).encode(),
    ]
    with contextlib.suppress(TypeError):  # beyond 64-bit integers
        found.append(orjson.dumps(document))
    text = found[0].decode("utf-8", "surrogatepass")
    if isinstance(document, dict) and document and text.startswith("{"):
        key = json.dumps(next(iter(document)), ensure_ascii=False)
        found.append(f"{{{key}:0,{text[1:]}".encode("utf-8", "surrogatepass"))
    return found


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def agrees(body: bytes) -> None:
    fast, strict = read_json(body), _read_strict(body)
    assert fast.issue == strict.issue, body
    assert same(fast.document, strict.document), body


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents)
def test_the_fast_path_reads_every_encoding_as_the_strict_reader_does(document: Any) -> None:
    for body in encodings(document):
        agrees(body)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.binary(max_size=64) | st.text(max_size=32).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_the_fast_path_agrees_on_arbitrary_bytes(body: bytes) -> None:
    agrees(body)


def test_canonical_bodies_that_the_strict_reader_refuses_are_still_refused() -> None:
    # Each of these parses with orjson, or would re-encode to itself; none may pass.
    assert read_json(b'{"a":1,"a":1}').issue is JsonIssue.DUPLICATE_KEY
    assert read_json(b'{"a":"\\ud800"}').issue is JsonIssue.LONE_SURROGATE
    assert read_json(b"\xef\xbb\xbf{}").issue is JsonIssue.BOM
    assert read_json(b'{"a":NaN}').issue is JsonIssue.CONSTANT
    assert read_json(b"").issue is JsonIssue.EMPTY
    assert read_json(b'{"a":' + b"9" * 30 + b"}").document == {"a": int("9" * 30)}
