"""Hypothesis strategies for names and request bodies, built from the contract's constraints.

Boundaries are drawn on purpose: the shortest and longest names, astral characters (where
UTF-16 units and UTF-8 bytes outnumber code points), whitespace at either end and inside,
every ECMA-262 whitespace character, and the characters where Python's ``\\s`` and
ECMA-262's disagree. Whether a value is valid is decided by ``_judge``, not by the strategy.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from apikeys_contract import load_contract

from ._judge import ASTRAL, ecma_whitespace, is_ecma_space, judge, regex_disagreements
from ._model import Probe
from ._spec import SpecView

# Sizes of the "far beyond the limit" names: tens of kilobytes and more.
HUGE_LENGTHS = (20_000, 65_536, 1_000_000)


def _view(view: SpecView | None) -> SpecView:
    if view is None:
        return SpecView(load_contract())
    if not isinstance(view, SpecView):
        raise TypeError(f"view must be a SpecView, not {type(view).__name__}")
    return view


def _limits(view: SpecView) -> tuple[int, int]:
    field = view.name_field
    low = max(field.min_length, 1)
    high = field.max_length if field.max_length is not None else max(low, 256)
    return low, high


def characters() -> st.SearchStrategy[str]:
    """Any character a name may hold, weighted toward the troublesome ones."""
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


def valid_names(*, view: SpecView | None = None) -> st.SearchStrategy[str]:
    """Names within the length limits holding at least one non-whitespace character."""
    return _valid_names(*_limits(_view(view)))


@st.composite
def _valid_names(draw: st.DrawFn, low: int, high: int) -> str:
    length = draw(st.one_of(st.sampled_from((low, high)), st.integers(low, high)))
    chars = draw(st.lists(characters(), min_size=length, max_size=length))
    chars[draw(st.integers(0, length - 1))] = draw(non_spaces())
    return "".join(chars)


def overlong_names(*, view: SpecView | None = None) -> st.SearchStrategy[str]:
    """Names just past the maximum length, or far past it."""
    return _overlong_names(_limits(_view(view))[1])


@st.composite
def _overlong_names(draw: st.DrawFn, high: int) -> str:
    length = draw(st.one_of(st.sampled_from((high + 1, high + 2)), st.sampled_from(HUGE_LENGTHS)))
    unit = draw(st.lists(non_spaces(), min_size=1, max_size=3))
    return ("".join(unit) * length)[:length]


def whitespace_names(*, view: SpecView | None = None) -> st.SearchStrategy[str]:
    """Names made only of ECMA-262 whitespace, up to the maximum length."""
    _, high = _limits(_view(view))
    return st.lists(st.sampled_from(ecma_whitespace()), min_size=1, max_size=high).map("".join)


def invalid_names(*, view: SpecView | None = None) -> st.SearchStrategy[Any]:
    """Values of ``name`` the contract rejects: empty, blank, too long, or not a string."""
    return st.one_of(
        st.just(""),
        whitespace_names(view=view),
        overlong_names(view=view),
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.lists(st.text(max_size=3), max_size=2),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    )


def _encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")


def malformed_bodies(*, view: SpecView | None = None) -> st.SearchStrategy[bytes]:
    """Bodies that are not a JSON object with a valid name, or not JSON at all."""
    key = _view(view).name_field.key
    valid = _encode({key: "ci-deploy-key"})
    return st.one_of(
        st.integers(0, len(valid) - 1).map(lambda n: valid[:n]),  # truncated
        st.sampled_from([b" x", b"}", b"{}", b"\x00"]).map(lambda tail: valid + tail),
        st.just(b"\xef\xbb\xbf" + valid),  # UTF-8 byte order mark
        st.just(json.dumps({key: "a"}).encode("utf-16")),
        st.sampled_from([b"NaN", b"Infinity", b"-Infinity"]).map(
            lambda v: b'{"' + key.encode() + b'": ' + v + b"}"
        ),
        st.just(b'{"' + key.encode() + b'": ' + b"9" * 10_000 + b"}"),
        st.integers(1, 100_000).map(lambda n: b"[" * n + b"]" * n),
        st.sampled_from([b'"\\ud800"', b'"a\\udc00b"', b'"\\udfff\\ud800"']).map(
            lambda s: b'{"' + key.encode() + b'": ' + s + b"}"
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda inner: st.lists(inner, max_size=3),
            max_leaves=5,
        ).map(_encode),  # JSON that is not an object
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


def _probe(view: SpecView, body: bytes, content_type: str | None) -> Probe:
    verdict = judge(view, body, content_type)
    return Probe(
        kind=verdict.kind,
        body=body,
        content_type=content_type,
        expected=verdict.expected,
        name=verdict.name,
    )


def name_probes(names: st.SearchStrategy[Any], *, view: SpecView) -> st.SearchStrategy[Probe]:
    """Requests whose body is ``{"name": <drawn value>}``, judged by the contract."""
    media_type = view.contract.request_media_type
    key = view.name_field.key
    return names.map(lambda name: _probe(view, _encode({key: name}), media_type))


def body_probes(*, view: SpecView) -> st.SearchStrategy[Probe]:
    """Malformed bodies with the right content type, and valid ones with a wrong one."""
    media_type = view.contract.request_media_type
    valid = name_probes(valid_names(view=view), view=view)
    return st.one_of(
        malformed_bodies(view=view).map(lambda body: _probe(view, body, media_type)),
        st.tuples(valid, wrong_content_types()).map(
            lambda pair: _probe(view, pair[0].body, pair[1])
        ),
        st.fixed_dictionaries({}).map(lambda doc: _probe(view, _encode(doc), media_type)),
    )
