"""Errors the conformance harness raises.

    ConformanceError
    ├── UsageError          bad options or an unusable spec (exit 2)
    └── TargetUnreachable   no HTTP answer to the first request, or the first probes all
                            got 404/405: nothing serves the operation there (exit 2)

A violation of the contract is not an error of the harness: checks raise
``conformance.checks.ContractViolation`` (an ``AssertionError``) and the engine records it.
"""

from __future__ import annotations


class ConformanceError(Exception):
    """Base class: the run could not produce a verdict."""


class UsageError(ConformanceError):
    """An option or the spec file is unusable."""


class TargetUnreachable(ConformanceError):
    """The target did not answer the first request over HTTP, or nothing serves the
    contract's operation at its URL (the first probes all got 404 or 405)."""
