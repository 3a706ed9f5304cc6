"""Conformance harness for implementations of the API-keys contract (POST /api-keys).

    python -m conformance --base-url URL --token TOKEN [--forbidden-token TOKEN] ...

The engine (``conformance.engine``) sends boundary probes and Hypothesis/Schemathesis
generated ones, runs the checks (``conformance.checks``) on every response and returns a
``Report``; ``conformance.reports`` writes it for a console, JUnit XML or JSON.

The names below load on first use, so that ``import conformance`` (and the pytest entry
point) work without the ``conformance`` extra; using one without it names what to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apikeys_contract.report import (
        CheckState,
        CheckSummary,
        Example,
        Finding,
        InternalError,
        Note,
        Report,
        Shape,
    )

    from ._cli import (
        EXIT_CONFORMS,
        EXIT_COVERAGE,
        EXIT_INTERNAL_ERROR,
        EXIT_USAGE,
        EXIT_VIOLATIONS,
        main,
        run,
    )
    from ._settings import PROFILES, Profile, Settings
    from ._transport import Tokens
    from .checks import CHECKS
    from .engine import Engine, run_engine
    from .errors import ConformanceError, TargetUnreachable, UsageError

_HOME = {
    "CHECKS": ".checks",
    "EXIT_CONFORMS": "._cli",
    "EXIT_COVERAGE": "._cli",
    "EXIT_INTERNAL_ERROR": "._cli",
    "EXIT_USAGE": "._cli",
    "EXIT_VIOLATIONS": "._cli",
    "PROFILES": "._settings",
    "CheckState": "apikeys_contract.report",
    "CheckSummary": "apikeys_contract.report",
    "ConformanceError": ".errors",
    "Engine": ".engine",
    "Example": "apikeys_contract.report",
    "Finding": "apikeys_contract.report",
    "InternalError": "apikeys_contract.report",
    "Note": "apikeys_contract.report",
    "Profile": "._settings",
    "Report": "apikeys_contract.report",
    "Settings": "._settings",
    "Shape": "apikeys_contract.report",
    "TargetUnreachable": ".errors",
    "Tokens": "._transport",
    "UsageError": ".errors",
    "main": "._cli",
    "run": "._cli",
    "run_engine": ".engine",
}

__all__ = [
    "CHECKS",
    "EXIT_CONFORMS",
    "EXIT_COVERAGE",
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
    "Shape",
    "TargetUnreachable",
    "Tokens",
    "UsageError",
    "main",
    "run",
    "run_engine",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(home, __name__)
    except ImportError as exc:
        from ._requirements import install_hint, missing

        absent = missing()
        if absent:
            raise ImportError(install_hint(absent)) from exc
        raise
    return getattr(module, name)
