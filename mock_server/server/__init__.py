"""The command line and the processes: options and their environment twins (``_cli``,
``_argtypes``, ``_live_options``, ``_fault_options``), uvicorn's protocol with the mock's
two changes (``_protocol``), worker processes (``_workers``), ``--watch`` (``_watch``) and
an app served in a thread for the pytest fixture and the tests (``_thread_server``).

Imports: every room below; ``apikeys_contract``.
"""

from __future__ import annotations

from ._cli import MODULE_COMMAND, main, run
from ._protocol import contract_protocol
from ._thread_server import serve_in_thread

__all__ = [
    "MODULE_COMMAND",
    "contract_protocol",
    "main",
    "run",
    "serve_in_thread",
]
