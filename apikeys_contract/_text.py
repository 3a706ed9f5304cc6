"""Characters as ECMA-262 sees them: what ``\\s`` matches, and where Python's ``re`` disagrees.

JSON Schema patterns are ECMA-262 regular expressions; Python's ``re`` and the ``jsonschema``
package disagree with ECMA-262 on ``\\s`` (U+FEFF, U+001C to U+001F, U+0085, U+180E).
"""

from __future__ import annotations

import re
from functools import cache

import regress

ASTRAL = 0x10000


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
    python = re.compile(r"\s")
    ecma = _ecma_set()
    return tuple(
        chr(c)
        for c in range(ASTRAL)
        if not 0xD800 <= c < 0xE000 and (chr(c) in ecma) != bool(python.match(chr(c)))
    )


@cache
def _ecma_set() -> frozenset[str]:
    return frozenset(ecma_whitespace())


def is_ecma_space(char: str) -> bool:
    return char in _ecma_set()
