"""The checks the harness runs: the contract's rules, shared with the mock and any proxy.

They live in ``apikeys_contract.checks`` (one implementation of each property); this module
names them for the harness's users.
"""

from __future__ import annotations

from apikeys_contract.checks import (
    CHECKS,
    CheckError,
    Credential,
    Memory,
    Received,
    Remark,
    Rules,
    Sent,
    Violation,
    run_check,
)

__all__ = [
    "CHECKS",
    "CheckError",
    "Credential",
    "Memory",
    "Received",
    "Remark",
    "Rules",
    "Sent",
    "Violation",
    "run_check",
]
