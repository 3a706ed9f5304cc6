"""The mock's ids: the contract package's fast random UUIDs (one implementation)."""

from __future__ import annotations

from apikeys_contract import uuid4

__all__ = ["uuid4"]
