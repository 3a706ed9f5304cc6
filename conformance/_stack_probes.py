"""Fixed probes for the ways real stacks break the contract, each labelled by its cause.

Every probe here stands for a defect that comes from a framework's defaults: a scheme
compared with ``startsWith("Bearer ")``, a JSON reader that replaces invalid UTF-8 with
U+FFFD, a parser registered for ``application/*+json``, struct decoding that matches
property names case-insensitively, lengths counted in graphemes or bytes, a store that
normalizes text. What each probe calls for is still decided by ``judge_body`` (the
contract, and RFC 8259 and RFC 9110 where it relies on them); a probe whose verdict is not
the one its cause needs is not sent, so that a label never names the wrong cause.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from apikeys_contract import Answer, Contract, SchemeKind, base_media_type, read_credentials
from apikeys_contract.checks import Credential

from ._fields import Field, RequestShape, encode, set_at, without
from ._model import Probe
from ._probes import Budget, label_value, make_probe
from ._transport import QUERY_TOKEN_PARAMETER, RESPELT

# Invalid UTF-8 inside an otherwise valid JSON string (RFC 8259 section 8.1; the Unicode
# standard's table 3-7 of well-formed sequences): what a lenient decoder replaces, drops or
# (an encoded surrogate) reads as a lone surrogate.
INVALID_UTF8 = {
    "a stray continuation byte": b"\x80",
    "an overlong encoding": b"\xc0\xaf",
    "a surrogate encoded in UTF-8": b"\xed\xa0\x80",
    "a truncated sequence": b"\xe2\x82",
    "a byte UTF-8 never uses": b"\xff",
}
# Stands in the encoded body for the invalid bytes: a private-use character.
PLACEHOLDER = "\ue000"
# One user-perceived character (grapheme cluster) of several code points.
# g + COMBINING TILDE (Guarani): 2 code points, 3 UTF-8 bytes, and no precomposed form,
# so that normalization leaves it alone and a failure points at the length count alone.
COMBINING = "g\u0303"
ZWJ_SEQUENCE = "\U0001f469\u200d\U0001f4bb"  # woman technologist: 3 code points, 11 bytes
# Text NFC changes (a decomposed e-acute, ANGSTROM SIGN) and text NFKC changes (a
# ligature, a fullwidth letter): a store that normalizes echoes something else.
DENORMALIZED = "e\u0301\u212b\ufb01\uff21"
CONTROLS = {"NUL": "\x00", "C0 and DEL controls": "\x01\x08\x1b\x1f\x7f"}
ZERO_WIDTH_SPACE = "\u200b"
SUCCESS_ONLY = frozenset({Answer.SUCCESS})
INVALID_ONLY = frozenset({Answer.INVALID})

CAUSE_SCHEME_CASE = "auth scheme compared case-sensitively"
CAUSE_SCHEME_SPACES = "more than one space after the auth scheme refused"
CAUSE_QUERY = "credentials accepted in the query string"
CAUSE_UTF8 = "invalid UTF-8 accepted: replaced by U+FFFD, dropped or read as a surrogate"
CAUSE_MEDIA_CASE = "media type parameters or case refused"
CAUSE_FORM = "form content type accepted with a JSON body"
CAUSE_NAME_CASE = "property names matched case-insensitively"
CAUSE_LOOKALIKE_NAME = "lookalike property name accepted"
CAUSE_CONTROLS = "control characters refused or changed"
# One cause for both: a target that counts bytes fails both, and one finding it is.
CAUSE_LENGTH = "length counted in graphemes, bytes or UTF-16 units, not code points"
CAUSE_NORMALIZED = "text changed by Unicode normalization"


def stack_probes(contract: Contract, shape: RequestShape, budget: Budget) -> Iterator[Probe]:
    yield from credential_probes(contract, shape, budget)
    yield from encoding_probes(contract, shape)
    yield from media_type_probes(contract, shape)
    yield from property_name_probes(contract, shape)
    yield from value_probes(contract, shape)


def _labelled(probe: Probe, cause: str) -> Probe:
    return dataclasses.replace(probe, cause=cause)


def credential_probes(contract: Contract, shape: RequestShape, budget: Budget) -> Iterator[Probe]:
    """The valid token with its scheme name respelt (RFC 9110 section 11.1: accepted), and
    in an ``access_token`` query parameter (a place the contract does not name: refused)."""
    security = contract.security
    requirement = next((r for r in security.requirements if not r.anonymous), None)
    if requirement is None or not budget.secured or not security.required:
        return
    media, body = contract.request_media_type, encode(shape.base)
    if any(s.kind in (SchemeKind.BEARER, SchemeKind.BASIC) for s in requirement.schemes):
        for credential in RESPELT:
            cause = (
                CAUSE_SCHEME_SPACES
                if credential is Credential.SCHEME_TWO_SPACES
                else CAUSE_SCHEME_CASE
            )
            probe = make_probe(contract, body, media, f"{credential.value}, valid body", credential)
            yield _labelled(probe, cause)
    query = f"{QUERY_TOKEN_PARAMETER}=some-token"
    if read_credentials(security, headers=[], query=query).satisfied is None:
        credential = Credential.QUERY_PARAMETER
        probe = make_probe(contract, body, media, f"{credential.value}, valid body", credential)
        yield _labelled(probe, CAUSE_QUERY)


def encoding_probes(contract: Contract, shape: RequestShape) -> Iterator[Probe]:
    """Invalid UTF-8 inside a string of an otherwise valid body: not JSON text (RFC 8259
    section 8.1), so a 400; replaced by U+FFFD, dropped, or (a surrogate encoded in UTF-8)
    let through by a decoder such as CPython's 'surrogatepass', the rest is a valid body."""
    if not shape.strings:
        return
    field = shape.strings[0]
    fill = shape.filler(field) * max(field.min_length, 1)
    template = encode(set_at(shape.base, field.path, fill + PLACEHOLDER + fill))
    marker = PLACEHOLDER.encode("utf-8")
    for what, raw in INVALID_UTF8.items():
        body = template.replace(marker, raw)
        label = f"{field.pointer}: invalid UTF-8, {what}"
        yield _labelled(make_probe(contract, body, contract.request_media_type, label), CAUSE_UTF8)


def media_type_probes(contract: Contract, shape: RequestShape) -> Iterator[Probe]:
    """A valid body under media types that are not the documented one (400), and under the
    documented one spelt otherwise (RFC 9110 section 8.3.1: the same type, accepted)."""
    documented = base_media_type(contract.request_media_type)
    top, _, sub = documented.partition("/")
    body = encode(shape.base)
    others = {
        f"{top}/vnd.api+{sub}": f"structured-syntax +{sub} media type accepted",
        f"{top}/merge-patch+{sub}": f"structured-syntax +{sub} media type accepted",
        f"text/{sub}": f"text/{sub} accepted",
        "application/x-www-form-urlencoded": CAUSE_FORM,
    }
    for content_type, cause in others.items():
        if content_type == documented:
            continue
        label = f"valid body, Content-Type {content_type}"
        yield _labelled(make_probe(contract, body, content_type, label), cause)
    for content_type in (f'{top.title()}/{sub.upper()}; Charset="UTF-8"', documented.upper()):
        label = f"valid body, Content-Type {content_type}"
        probe = make_probe(contract, body, content_type, label)
        if probe.verdict.answers == SUCCESS_ONLY:
            yield _labelled(probe, CAUSE_MEDIA_CASE)


def _fullwidth(name: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)


def property_name_probes(contract: Contract, shape: RequestShape) -> Iterator[Probe]:
    """A required property sent only under a name that resembles its own: none of them is
    the property, so the body lacks it (400)."""
    for field in shape.fields:
        if not field.required or not isinstance(shape.base, dict):
            continue
        key = field.path[-1]
        value = _value_at(shape.base, field.path)
        variants = {
            key.upper(): CAUSE_NAME_CASE,
            key[:1].upper() + key[1:]: CAUSE_NAME_CASE,
            key.lower(): CAUSE_NAME_CASE,
            key + " ": CAUSE_LOOKALIKE_NAME,
            key + ZERO_WIDTH_SPACE: CAUSE_LOOKALIKE_NAME,
            _fullwidth(key): CAUSE_LOOKALIKE_NAME,
        }
        siblings = {f.path[-1] for f in shape.fields if f.path[:-1] == field.path[:-1]}
        for name, cause in variants.items():
            if name in siblings:
                continue
            document = set_at(without(shape.base, field.path), (*field.path[:-1], name), value)
            label = f"missing {field.pointer}, sent as {encode(name).decode()}"
            probe = make_probe(contract, encode(document), contract.request_media_type, label)
            if probe.verdict.answers == INVALID_ONLY:
                yield _labelled(probe, cause)


def _value_at(document: Any, path: tuple[str, ...]) -> Any:
    for token in path:
        document = document[token]
    return document


def _repeat(unit: str, length: int, fill: str) -> str:
    """``length`` code points of ``unit`` repeated, topped up with ``fill``."""
    return unit * (length // len(unit)) + fill * (length % len(unit))


def _string_cases(shape: RequestShape, field: Field) -> Iterator[tuple[str, str, str, bool]]:
    """(value, what it is, its cause, whether the contract accepts it)."""
    fill = shape.filler(field)
    for what, controls in CONTROLS.items():
        yield fill + controls + fill, what, CAUSE_CONTROLS, True
    padded = fill * max(field.min_length - len(DENORMALIZED) - 1, 1)
    yield padded + DENORMALIZED, "text Unicode normalization changes", CAUSE_NORMALIZED, True
    high = field.max_length
    if high is None:
        return
    for unit, what, cause in (
        (COMBINING, "combining sequences", CAUSE_LENGTH),
        (ZWJ_SEQUENCE, "emoji ZWJ sequences", CAUSE_LENGTH),
    ):
        graphemes = high // len(unit) + high % len(unit)
        yield _repeat(unit, high, fill), f"{what} ({graphemes} graphemes)", cause, True
        yield _repeat(unit, high + 1, fill), what, cause, False


def value_probes(contract: Contract, shape: RequestShape) -> Iterator[Probe]:
    """Strings the contract accepts and many back ends mishandle, and their neighbours over
    the length limit (lengths count code points, whatever a grapheme or a byte). A case is
    sent only when the contract's verdict is the one its cause needs: accepted, or refused
    for its length alone."""
    media = contract.request_media_type
    for field in shape.strings:
        high = shape.high(field)
        for value, what, cause, accepted in _string_cases(shape, field):
            document = set_at(shape.base, field.path, value)
            label = f"{label_value(field, value, high)}, {what}"
            probe = make_probe(contract, encode(document), media, label)
            verdict = probe.verdict
            too_long = {p.keyword for p in verdict.problems} == {"maxLength"}
            if verdict.answers == (SUCCESS_ONLY if accepted else INVALID_ONLY) and (
                accepted or too_long
            ):
                yield _labelled(probe, cause)
