"""Conformance harness for implementations of the API-keys contract (POST /api-keys).

    python -m conformance --base-url URL --token TOKEN [--forbidden-token TOKEN] ...

The engine (``conformance.engine``) sends boundary probes and Hypothesis/Schemathesis
generated ones, runs the checks (``conformance.checks``) on every response and returns a
``Report``; ``conformance.reports`` writes it for a console, JUnit XML or JSON.
"""

from ._cli import EXIT_CONFORMS, EXIT_INTERNAL_ERROR, EXIT_USAGE, EXIT_VIOLATIONS, main, run
from ._model import CheckState, CheckSummary, Example, Finding, InternalError, Note, Report
from ._settings import PROFILES, Profile, Settings
from ._transport import Tokens
from .checks import CHECKS
from .engine import Engine, run_engine
from .errors import ConformanceError, TargetUnreachable, UsageError

__all__ = [
    "CHECKS",
    "EXIT_CONFORMS",
    "EXIT_INTERNAL_ERROR",
    "EXIT_USAGE",
    "EXIT_VIOLATIONS",
    "PROFILES",
    "CheckState",
    "CheckSummary",
    "ConformanceError",
    "Engine",
    "Example",
    "Finding",
    "InternalError",
    "Note",
    "Profile",
    "Report",
    "Settings",
    "TargetUnreachable",
    "Tokens",
    "UsageError",
    "main",
    "run",
    "run_engine",
]
