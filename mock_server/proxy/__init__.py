"""The validation proxy: each request forwarded to a real implementation (``_upstream``),
both sides judged with the shared judge (``_live_checks``, ``apikeys_contract.judge``), the
upstream's answer relayed unchanged with ``X-Contract-Violations`` (``_proxy``), the
journal record and reproducer (``_proxy_record``), its settings (``_proxy_settings``) and
the report written when it stops (``_run_report``).

Imports: ``common``, ``journal``, ``mock``; ``apikeys_contract`` (never ``conformance``).
"""

from __future__ import annotations

from ._proxy import ProxyApp
from ._proxy_settings import ProxySettings
from ._run_report import write_reports

__all__ = [
    "ProxyApp",
    "ProxySettings",
    "write_reports",
]
