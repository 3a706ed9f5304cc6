"""Third-party tools the tests need: skipped locally when missing, a failure under CI."""

from __future__ import annotations

import os

import pytest


def require(found: bool, reason: str) -> None:
    """Skip when a tool is missing; under CI (CI=true) a missing tool is a failure, since
    .ci/run installs every tool the tests need."""
    if found:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)
