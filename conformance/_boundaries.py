"""The fixed probes every run sends first: each boundary of the contract, tried once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

from ._judge import ecma_whitespace, judge, regex_disagreements
from ._model import Credential, Outcome, Probe
from ._spec import SpecView
from .strategies import HUGE_LENGTHS

ASTRAL_CHAR = "\U0001f511"  # 4 UTF-8 bytes, 2 UTF-16 units, 1 code point
TWO_BYTE_CHAR = "\u00e9"
NESTING_DEPTHS = (128, 256, 512, 1024, 100_000)


def _body(view: SpecView, name: object) -> bytes:
    return json.dumps({view.name_field.key: name}, ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


def _judged(view: SpecView, body: bytes, content_type: str | None) -> Probe:
    verdict = judge(view, body, content_type)
    return Probe(verdict.kind, body, content_type, expected=verdict.expected, name=verdict.name)


def auth_probes(view: SpecView, *, forbidden: bool, unknown: bool) -> Iterator[Probe]:
    """A valid body sent with each kind of credential."""
    good = _judged(view, _body(view, "conformance-check"), view.contract.request_media_type)
    denied = [Credential.NONE, Credential.OTHER_SCHEME, Credential.EMPTY]
    if unknown:
        denied.append(Credential.UNKNOWN)
    for credential in denied:
        yield replace(
            good,
            kind=credential.value,
            credential=credential,
            expected=Outcome.UNAUTHENTICATED,
            name=None,
        )
    if forbidden:
        yield replace(
            good,
            kind=Credential.FORBIDDEN.value,
            credential=Credential.FORBIDDEN,
            expected=Outcome.FORBIDDEN,
            name=None,
        )
    yield good
    yield good  # twice: the second call must return fresh credentials


def _names(view: SpecView) -> Iterator[object]:
    low = max(view.name_field.min_length, 1)
    high = view.name_field.max_length or 256
    spaces = ecma_whitespace()
    yield from ("a" * low, "a" * high, ASTRAL_CHAR * high, TWO_BYTE_CHAR * high)
    yield from ("a b", " a", "a ", "  a  ", "a" + " " * (high - 2) + "b")
    for space in spaces:
        yield from (space + "a", "a" + space, space)  # valid, valid, whitespace only
    yield from regex_disagreements()  # alone: valid or not, as ECMA-262 says
    yield from ("", " " * high, "".join(spaces))
    yield from ("a" * (high + 1), ASTRAL_CHAR * (high + 1), TWO_BYTE_CHAR * (high + 1))
    yield from ("a" * length for length in HUGE_LENGTHS[:2])
    yield from (None, 0, 1.5, True, [], ["a"], {})


def _bodies(view: SpecView) -> Iterator[bytes]:
    key = view.name_field.key.encode()
    yield from (b"{}", b'{"other": "a"}', b"", b"{", b'{"' + key + b'": "a"', b"nope")
    yield from (b"[]", b'"a"', b"1", b"null", b'[{"' + key + b'": "a"}]')
    yield b'{"' + key + b'": "\\ud800"}'  # JSON, but not Unicode: 201 or 400, never 5xx
    for depth in NESTING_DEPTHS:  # parser and validator depth limits sit at powers of two
        yield b"[" * depth + b"]" * depth
        yield b'{"' + key + b'": ' + b"[" * depth + b"]" * depth + b"}"


def boundary_probes(view: SpecView, *, forbidden: bool, unknown: bool) -> list[Probe]:
    """Authentication first (the first probe doubles as the reachability check)."""
    media_type = view.contract.request_media_type
    probes = list(auth_probes(view, forbidden=forbidden, unknown=unknown))
    probes += [_judged(view, _body(view, name), media_type) for name in _names(view)]
    probes += [_judged(view, body, media_type) for body in _bodies(view)]
    valid = _body(view, "ci-deploy-key")
    probes += [_judged(view, valid, ctype) for ctype in (None, "text/plain")]
    probes += [_judged(view, b"name=ci-deploy-key", "application/x-www-form-urlencoded")]
    return probes
