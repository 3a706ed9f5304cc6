"""Implementations of POST /api-keys for testing the harness: one reference, plus defects.

``create_target(Defects(...))`` builds a Starlette app; every switch of ``Defects`` breaks
(or oddly bends) one rule. ``BROKEN`` names each defective target with the check that must
flag it; ``ODD_BUT_CONFORMING`` lists targets that look strange but keep the contract.
"""

from __future__ import annotations

from .reference import (
    BROKEN,
    FORBIDDEN_TOKEN,
    ODD_BUT_CONFORMING,
    VALID_TOKEN,
    Defects,
    create_target,
)

__all__ = [
    "BROKEN",
    "FORBIDDEN_TOKEN",
    "ODD_BUT_CONFORMING",
    "VALID_TOKEN",
    "Defects",
    "create_target",
]
