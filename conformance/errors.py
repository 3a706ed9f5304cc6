"""Errors the conformance harness raises.

    ConformanceError
    ├── UsageError          bad options or an unusable spec (exit 2)
    └── TargetUnreachable   the target gave no HTTP answer to the first request (exit 2)

A violation of the contract is not an error of the harness: checks raise
``conformance.checks.ContractViolation`` (an ``AssertionError``) and the engine records it.
"""

from __future__ import annotations


class ConformanceError(Exception):
    """Base class: the run could not produce a verdict."""


class UsageError(ConformanceError):
    """An option or the spec file is unusable."""


class TargetUnreachable(ConformanceError):
    """The target did not answer the first request over HTTP."""
