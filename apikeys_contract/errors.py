"""Errors raised while loading the contract.

SpecError
"""

from __future__ import annotations


class SpecError(Exception):
    """The spec file is missing, unreadable, not YAML/JSON, or not a usable contract."""
