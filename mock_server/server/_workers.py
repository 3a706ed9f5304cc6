"""Several server processes on one listening socket: fork after listening, supervise, stop.

The socket is bound and listening before the first fork, so every worker accepts from the
same queue and a port in use fails once, in the parent. The parent serves nothing: it starts
the workers, starts another if one dies, and on SIGTERM or SIGINT asks each to stop
gracefully (SIGTERM: in-flight requests are answered) and waits for them. Nothing random is
drawn before the fork: request ids and secrets come from ``os.urandom`` in each worker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
POLL_S = 0.1
# A worker that dies this soon after it started will die again: stop rather than loop.
EARLY_DEATH_S = 5.0


def serve_in_workers(
    count: int, serve: Callable[[], int], *, listener: socket.socket, grace_s: float
) -> int:
    """Run ``serve`` in ``count`` forked processes until a stop signal; return an exit code:
    0 when every worker stopped cleanly, 1 otherwise."""
    started: dict[int, float] = {}
    stopping = False
    failed = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        _signal_all(started, signal.SIGTERM)

    def spawn() -> None:
        # Stop signals stay blocked across the fork: a worker unblocks them once it has
        # installed its own handlers, so none is lost or handled by the parent's handler.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:  # the worker
                code = 1
                try:
                    code = serve()
                finally:
                    for stream in (sys.stdout, sys.stderr):
                        with contextlib.suppress(Exception):
                            stream.flush()
                    os._exit(code)
            started[pid] = time.monotonic()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, stop)
    for _ in range(count):
        spawn()
    deadline: float | None = None
    while started:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(POLL_S)
            if stopping:
                if deadline is None:
                    deadline = time.monotonic() + grace_s + 5
                    listener.close()  # queued connections are refused, not left waiting
                elif time.monotonic() > deadline:
                    _signal_all(started, signal.SIGKILL)
                    failed = True
            continue
        began = started.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        if stopping:
            failed = failed or code != 0
            continue
        print(f"mock_server: worker {pid} exited with {code}", file=sys.stderr, flush=True)
        if time.monotonic() - began < EARLY_DEATH_S:
            failed = True
            stop(signal.SIGTERM, None)
        else:
            spawn()
    return 1 if failed else 0


def _signal_all(workers: dict[int, float], signum: int) -> None:
    for pid in list(workers):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
