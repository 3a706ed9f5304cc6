"""The request log: one JSON line per request, written in batches off the event loop.

A request pays for encoding its line (orjson) and appending it to a queue, about 2 µs; no
``logging`` record is built. A writer thread wakes every ``interval`` seconds (sooner when
many lines wait) and writes what has accumulated; ``close()`` writes the rest at shutdown,
so a clean stop (SIGTERM, Ctrl-C) loses no line. Writes hold whole lines: on a pipe or a
socket, where several worker processes may share one stderr, each write is at most
PIPE_BUF bytes, which POSIX makes atomic, so lines never interleave within a line.

The log never holds a header, a token, a body or a generated secret: only the request id,
method, path, status, duration and, for a failure, the exception's type.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import select
import stat
import threading
from typing import Protocol

import orjson

# A path is shown up to this many characters: a line, escaped, stays below PIPE_BUF.
PATH_LIMIT = 500
PIPE_BUF = getattr(select, "PIPE_BUF", 512)
# How long a line may wait for its write: short enough for someone watching the log.
FLUSH_INTERVAL_S = 0.1


class LogSink(Protocol):
    def write(self, line: bytes) -> None: ...


def log_line(
    request_id: str,
    method: str | None,
    path: str | None,
    status: int,
    duration_ms: float,
    error: str | None = None,
) -> bytes:
    """One request as a JSON line (with its newline): the request log's only format."""
    if path is not None and len(path) > PATH_LIMIT:
        path = path[:PATH_LIMIT] + "..."
    record: dict[str, object] = {
        "request_id": request_id,
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": duration_ms,
    }
    if error is not None:
        record["error"] = error[:100]
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


class RequestLog:
    """Lines queued by the event loop, written to ``fd`` by a thread of their own.

    If the output stops draining (a terminal paused with Ctrl-S, a full pipe), at most
    ``limit`` lines wait; later ones are counted in ``dropped`` and reported in one line.
    """

    def __init__(self, fd: int = 2, *, interval: float | None = None, limit: int = 100_000) -> None:
        self.fd = fd
        self.interval = FLUSH_INTERVAL_S if interval is None else interval
        self.limit = limit
        self.dropped = 0
        self._pending: collections.deque[bytes] = collections.deque()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._chunk = PIPE_BUF if _is_pipe(fd) else 1 << 20

    def write(self, line: bytes) -> None:
        pending = self._pending
        if len(pending) >= self.limit:
            self.dropped += 1
            return
        pending.append(line)
        if self._thread is None:
            self._start()
        elif len(pending) == 4096:
            self._wake.set()

    def _start(self) -> None:
        # Started by the first line, in the process that serves (after any fork).
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Write every line queued so far (the writer thread calls this; so does close)."""
        pending = self._pending
        batch: list[bytes] = []
        size = 0
        while pending:
            line = pending.popleft()
            if batch and size + len(line) > self._chunk:
                self._write(b"".join(batch))
                batch, size = [], 0
            batch.append(line)
            size += len(line)
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            batch.append(b'{"dropped_lines":%d}\n' % dropped)
        if batch:
            self._write(b"".join(batch))

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        with contextlib.suppress(OSError):  # a closed stderr must not stop the server
            while view:
                view = view[os.write(self.fd, view) :]

    def close(self, timeout: float = 5.0) -> None:
        """Stop the writer thread and write whatever is left."""
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.flush()


def _is_pipe(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return True
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class LoggingSink:
    """For an app served by someone else's server: lines go to the ``mock_server.access``
    logger when it is enabled for INFO (as they did before the batched log)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("mock_server.access")

    def write(self, line: bytes) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            self.logger.info(line.decode().rstrip("\n"))


ACCESS_LOGGER = LoggingSink()
