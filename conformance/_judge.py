"""The verdict the contract calls for, judged from a request body alone.

Every probe, whoever generated it, is judged here with the contract's own validator
(ECMA-262 ``pattern``, code-point lengths), so Python-regex generation can never make a
conforming target look wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import regress

from ._model import Outcome
from ._spec import SpecView, base_media_type

ASTRAL = 0x10000


@dataclass(frozen=True)
class Verdict:
    expected: Outcome
    kind: str
    name: str | None = None


@cache
def ecma_whitespace() -> tuple[str, ...]:
    """Every character ECMA-262's ``\\s`` matches (all lie in the BMP)."""
    regex = regress.Regex(r"\s")
    return tuple(
        chr(c) for c in range(ASTRAL) if not 0xD800 <= c < 0xE000 and regex.find(chr(c)) is not None
    )


@cache
def regex_disagreements() -> tuple[str, ...]:
    """Characters where ECMA-262's ``\\s`` and Python's ``re`` ``\\s`` disagree."""
    import re

    python = re.compile(r"\s")
    ecma = set(ecma_whitespace())
    return tuple(
        chr(c)
        for c in range(ASTRAL)
        if not 0xD800 <= c < 0xE000 and (chr(c) in ecma) != bool(python.match(chr(c)))
    )


def is_ecma_space(char: str) -> bool:
    return char in _ecma_set()


@cache
def _ecma_set() -> frozenset[str]:
    return frozenset(ecma_whitespace())


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Duplicate
    return dict(pairs)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse(body: bytes) -> Any:
    return json.loads(
        body.decode("utf-8"),
        object_pairs_hook=_no_duplicates,
        parse_constant=_reject_constant,
        parse_int=lambda digits: int(digits[:24]),  # huge literals: the type is what matters
    )


def _has_lone_surrogate(value: Any) -> bool:
    return any(0xD800 <= ord(c) < 0xE000 for text in _strings(value) for c in text)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def judge(view: SpecView, body: bytes, content_type: str | None) -> Verdict:
    contract = view.contract
    if base_media_type(content_type) != base_media_type(contract.request_media_type):
        return Verdict(Outcome.REJECT, "wrong content type")
    try:
        document = _parse(body)
    except _Duplicate:
        return Verdict(Outcome.ACCEPT_OR_REJECT, "duplicate keys")
    except RecursionError:
        return Verdict(Outcome.ACCEPT_OR_REJECT, "deeply nested JSON")
    except ValueError:
        return Verdict(Outcome.REJECT, "malformed JSON")
    if _has_lone_surrogate(document):
        return Verdict(Outcome.ACCEPT_OR_REJECT, "lone surrogate escape")
    if contract.request_validator.is_valid(document):
        name = document.get(view.name_field.key)
        return Verdict(Outcome.ACCEPT, name_trait(view, name), name)
    return Verdict(Outcome.REJECT, invalid_kind(view, document))


def name_trait(view: SpecView, name: str) -> str:
    """Which boundary a valid name stands on: the key that groups its findings."""
    if not name:
        return "empty name"
    longest = len(name) == view.name_field.max_length
    at_limit = f", {len(name)} code points" if longest else ""
    if any(ord(c) >= ASTRAL for c in name):
        return "astral characters" + at_limit
    if longest:
        return f"{len(name)} code points" + (", non-ASCII" if not name.isascii() else "")
    if is_ecma_space(name[0]) or is_ecma_space(name[-1]):
        return "leading or trailing whitespace"
    if any(is_ecma_space(c) for c in name):
        return "inner whitespace"
    if any(c in regex_disagreements() for c in name):
        return "characters ECMA-262 and Python disagree on"
    if not name.isascii():
        return "non-ASCII characters"
    if len(name) == view.name_field.min_length:
        return f"{len(name)} code point"
    return "ordinary name"


def invalid_kind(view: SpecView, document: Any) -> str:
    key = view.name_field.key
    if not isinstance(document, dict):
        return "non-object body"
    if key not in document:
        return f"missing {key}"
    value = document[key]
    if value is None:
        return f"null {key}"
    if not isinstance(value, str):
        return f"non-string {key}"
    if not value:
        return f"empty {key}"
    limit = view.name_field.max_length
    if limit is not None and len(value) > 10 * limit:
        return f"{key} far beyond {limit} code points"
    if limit is not None and len(value) > limit:
        return f"{key} over {limit} code points"
    if len(value) < view.name_field.min_length:
        return f"{key} under {view.name_field.min_length} code points"
    if all(is_ecma_space(c) for c in value):
        return f"whitespace-only {key}"
    return f"{key} failing the pattern"
