"""The request journal and its inspector: the last N exchanges, bounded and redacted
(``_journal``), kept by the request path at the end of each turn (``_recorder``), shown as
JSON with a verdict and the rule a refused request broke (``_journal_view``) and served
under ``/__mock/`` with the live inspector page (``_inspector``, ``_inspector_assets/``).

Imports: ``common``; ``apikeys_contract``.
"""

from __future__ import annotations

from ._inspector import journal_routes
from ._journal import (
    BODY_LIMIT,
    REDACTED,
    REDACTED_BYTES,
    BrokenRule,
    Journal,
    Record,
    Redactor,
    scrub,
    scrub_pairs,
)
from ._journal_view import REQUEST_CHECK
from ._recorder import Recording, journal_path

__all__ = [
    "BODY_LIMIT",
    "REDACTED",
    "REDACTED_BYTES",
    "REQUEST_CHECK",
    "BrokenRule",
    "Journal",
    "Record",
    "Recording",
    "Redactor",
    "journal_path",
    "journal_routes",
    "scrub",
    "scrub_pairs",
]
