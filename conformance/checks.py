"""The checks the harness runs: the contract's rules, shared with the mock and any proxy.

They live in ``apikeys_contract.checks`` (one implementation of each property); this module
names them for the harness's users.
"""

from __future__ import annotations

from apikeys_contract.checks import (
    CHECKS,
    Credential,
    InternalError,
    Memory,
    Note,
    Received,
    Rules,
    Sent,
    Violation,
    run_check,
)

__all__ = [
    "CHECKS",
    "Credential",
    "InternalError",
    "Memory",
    "Note",
    "Received",
    "Rules",
    "Sent",
    "Violation",
    "run_check",
]
