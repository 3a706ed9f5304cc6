"""The request log: one JSON line per request, written in batches off the event loop.

A request only notes its fields; at the end of each turn of the event loop ``TurnLog``
encodes the lines of every request of the turn (orjson; no ``logging`` record) and appends
them to a buffer in one write. A writer thread wakes every ``interval`` seconds (sooner
when many lines wait) and writes what has accumulated; ``close()`` writes the rest at shutdown,
so a clean stop (SIGTERM, Ctrl-C) loses no line. Writes hold whole lines: on a pipe or a
socket, where several worker processes may share one stderr, each write is at most
PIPE_BUF bytes, which POSIX makes atomic, so lines never interleave within a line.

The log never holds a header, a token, a body or a generated secret: only the request id,
method, path, status (null when no response was sent), duration and, for a failure, the
exception's type (``ClientDisconnected`` for a client that went away first).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import stat
import threading
from collections.abc import Callable
from typing import Protocol

import orjson

from ._turns import TurnBatch

# A path is shown up to this many characters: a line, escaped, stays below PIPE_BUF.
PATH_LIMIT = 500
PIPE_BUF = getattr(select, "PIPE_BUF", 512)
# How long a line may wait for its write: short enough for someone watching the log.
FLUSH_INTERVAL_S = 0.1
WAKE_BYTES = 1 << 19  # or sooner, once this much waits


class LogSink(Protocol):
    def write(self, line: bytes) -> None: ...


def milliseconds(seconds: float) -> float:
    """A duration in milliseconds to the microsecond (``round(x, 3)``, at a tenth of its
    cost: rounding to digits goes through a decimal string)."""
    return round(seconds * 1_000_000) / 1000


def log_line(
    request_id: str,
    method: str | None,
    path: str | None,
    status: int | None,
    duration_ms: float,
    error: str | None = None,
) -> bytes:
    """One request as a JSON line (with its newline): the request log's only format.
    ``status`` None: no response was sent (the client went away first)."""
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


# A request's line before it is encoded: request id, method, path, status, seconds, error.
LineFields = tuple[str, str | None, str | None, int | None, float, str | None]


class TurnLog:
    """One line per request, noted as plain fields and formatted for every request of a turn
    of the event loop at its end (``_turns``), handed to ``sink`` in one ``write``."""

    def __init__(self, sink: LogSink) -> None:
        self.sink = sink
        self._noted: TurnBatch[LineFields] = TurnBatch(self._write)
        if isinstance(sink, RequestLog):
            sink.before_close(self.flush)

    def note(
        self,
        request_id: str,
        method: str | None,
        path: str | None,
        status: int | None,
        seconds: float,
        error: str | None = None,
    ) -> None:
        self._noted.add((request_id, method, path, status, seconds, error))

    def flush(self) -> None:
        self._noted.flush()

    def _write(self, noted: list[LineFields]) -> None:
        self.sink.write(
            b"".join(
                [log_line(r, m, p, status, milliseconds(d), e) for r, m, p, status, d, e in noted]
            )
        )


class RequestLog:
    """Lines appended by the event loop to a buffer, written to ``fd`` by a thread of its own.

    The writer takes the whole buffer at once (one swap under a lock), so it holds the GIL
    for microseconds however many lines wait. If the output stops draining (a terminal
    paused with Ctrl-S, a full pipe), at most ``limit`` bytes wait; later lines are counted
    in ``dropped`` and reported in one line.
    """

    def __init__(
        self, fd: int = 2, *, interval: float | None = None, limit: int = 16 << 20
    ) -> None:
        self.fd = fd
        self.interval = FLUSH_INTERVAL_S if interval is None else interval
        self.limit = limit
        self.dropped = 0
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._chunk = PIPE_BUF if _is_pipe(fd) else 1 << 20
        self._before_close: list[Callable[[], None]] = []

    def before_close(self, flush: Callable[[], None]) -> None:
        """Call ``flush`` at ``close()``, first: it writes what a writer holds back."""
        self._before_close.append(flush)

    def write(self, line: bytes) -> None:
        with self._lock:
            buffer = self._buffer
            if len(buffer) >= self.limit:
                self.dropped += line.count(b"\n") or 1  # a write may hold several lines
                return
            buffer += line
        if self._thread is None:
            self._start()
        elif len(buffer) >= WAKE_BYTES:
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
        """Write every line buffered so far (the writer thread calls this; so does close)."""
        with self._lock:
            data, self._buffer = self._buffer, bytearray()
            dropped, self.dropped = self.dropped, 0
        if dropped:
            data += b'{"dropped_lines":%d}\n' % dropped
        start, end = 0, len(data)
        while start < end:  # whole lines, at most one chunk at a time
            stop = end
            if end - start > self._chunk:
                stop = data.rfind(b"\n", start, start + self._chunk) + 1
                if stop <= start:  # one line longer than a chunk goes on its own
                    stop = data.find(b"\n", start) + 1 or end
            self._write(memoryview(data)[start:stop])
            start = stop

    def _write(self, data: memoryview) -> None:
        with contextlib.suppress(OSError):  # a closed stderr must not stop the server
            while data:
                data = data[os.write(self.fd, data) :]

    def close(self, timeout: float = 5.0) -> None:
        """Stop the writer thread and write whatever is left."""
        for flush in self._before_close:
            flush()
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
            for text in line.decode().splitlines():
                self.logger.info(text)


ACCESS_LOGGER = LoggingSink()


def proxied_line(
    request_id: str | None,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    violations: list[dict[str, str]],
) -> bytes:
    """``log_line`` for an exchange through the validation proxy: the request id is the
    upstream's (None when it sent none), followed by the violations the exchange showed."""
    record = orjson.loads(log_line(request_id or "", method, path, status, duration_ms))
    record["request_id"] = request_id
    if violations:
        record["violations"] = violations
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
