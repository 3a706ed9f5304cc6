"""``--watch``: reload the contract when its file changes; a broken edit keeps the last good one.

The file's directory is watched (editors often save by replacing the file) from a thread
with watchfiles, which comes with uvicorn[standard]. A new contract is loaded and a new app
built beside the running one, then swapped in with one assignment: requests in flight
finish on the app they started on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from apikeys_contract import Contract, load_contract

log = logging.getLogger("mock_server.watch")


class ReloadingApp:
    """The app ``build`` makes from the contract at ``path``, rebuilt whenever ``reload()``
    succeeds. ``app`` is the one already built from the file, if there is one."""

    def __init__(
        self, path: Path, build: Callable[[Contract], ASGIApp], app: ASGIApp | None = None
    ) -> None:
        self.path = Path(path).resolve()
        self.build = build
        self.app: ASGIApp = app or build(load_contract(self.path))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def reload(self) -> bool:
        """Load the file again; on any failure keep serving the last good contract."""
        try:
            contract = load_contract(self.path)
            app = self.build(contract)
        except Exception as exc:  # a broken edit must never stop the mock
            reason = " ".join(str(exc).split()) or type(exc).__name__
            log.warning(
                "mock_server: %s changed but was not reloaded, still serving the last good "
                "contract: %s",
                self.path,
                reason,
            )
            return False
        self.app = app
        log.info(
            "mock_server: contract reloaded from %s: %s %s",
            self.path,
            contract.method,
            contract.path,
        )
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="contract-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _watch(self) -> None:
        try:
            self._watch_changes()
        except Exception as exc:  # the directory vanished, too many watches...: keep serving
            reason = " ".join(str(exc).split()) or type(exc).__name__
            log.warning("mock_server: stopped watching %s: %s", self.path, reason)

    def _watch_changes(self) -> None:
        from watchfiles import watch  # only with --watch: the import costs start-up time

        def ours(_: object, changed: str) -> bool:
            return Path(changed).resolve() == self.path

        announced = False
        for changes in watch(
            self.path.parent,
            watch_filter=ours,
            stop_event=self._stop,
            debounce=300,
            rust_timeout=500,
            yield_on_timeout=True,
            recursive=False,
        ):
            if not announced:  # the first yield: the watcher is in place
                log.info("mock_server: watching %s for changes", self.path)
                announced = True
            if changes:
                self.reload()
