"""A deadline for reading request bodies, cheap enough for the hot path.

A client that declares more bytes than it sends (or drips them) would otherwise hold the
request open forever. ``asyncio.timeout`` costs about 14 µs a request under uvloop, a third
of the mock's budget; here a request only records when it must finish (well under 1 µs) and
one watchdog task, started lazily, cancels the reads that overrun::

    task = deadlines.arm()
    try:
        body = await read_body(...)
    except asyncio.CancelledError:
        if deadlines.expired(task):
            ...  # too slow
        raise
    finally:
        deadlines.disarm(task)
"""

from __future__ import annotations

import asyncio
from asyncio import current_task


class Deadlines:
    def __init__(self, seconds: float, *, tick: float = 0.5) -> None:
        self.seconds = seconds
        self.tick = min(tick, seconds)
        self._pending: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self._watchdog_loop: asyncio.AbstractEventLoop | None = None

    def arm(self) -> asyncio.Task[object] | None:
        """Give the current task ``seconds`` from now; the task (None outside one)."""
        task = current_task()
        if task is None:  # pragma: no cover - always inside a task under an ASGI server
            return None
        loop = task.get_loop()
        if self._watchdog_loop is not loop or self._watchdog is None or self._watchdog.done():
            self._watchdog = loop.create_task(self._watch())
            self._watchdog_loop = loop
        self._pending[task] = loop.time() + self.seconds
        return task

    def expired(self, task: asyncio.Task[object] | None) -> bool:
        """Whether a cancellation of ``task`` was the deadline's (then it is not the
        caller's: the task's cancellation request is withdrawn)."""
        if task is None or task not in self._expired:
            return False
        self._expired.discard(task)
        task.uncancel()
        return True

    def disarm(self, task: asyncio.Task[object] | None) -> None:
        if task is not None:
            self._pending.pop(task, None)  # the watchdog may have removed it

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.tick)
            now = loop.time()
            for task, deadline in list(self._pending.items()):
                if deadline <= now:
                    del self._pending[task]
                    self._expired.add(task)
                    task.cancel()
