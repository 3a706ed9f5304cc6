"""Run ASGI apps and processes on a free loopback port for tests over real HTTP."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence

import uvicorn
from starlette.types import ASGIApp


@contextlib.contextmanager
def serve(app: ASGIApp, *, http: str = "httptools") -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, http=http, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


LISTENING = re.compile(r"listening on (http://\S+)")


class MockProcess:
    """A ``python -m mock_server`` child process; its output is drained into ``lines``."""

    def __init__(self, process: subprocess.Popen[str], url: str, lines: list[str]) -> None:
        self.process = process
        self.url = url
        self.lines = lines

    @property
    def output(self) -> str:
        return "".join(self.lines)


@contextlib.contextmanager
def mock_process(
    *args: str, env: dict[str, str] | None = None, prelude: str | None = None
) -> Iterator[MockProcess]:
    """Start ``python -m mock_server --port 0 ARGS`` and wait until it listens.

    ``prelude`` is Python run first in the same process (e.g. to change a module constant).
    """
    command: Sequence[str] = [sys.executable, "-m", "mock_server", "--port", "0", *args]
    if prelude is not None:
        main = "import runpy; runpy.run_module('mock_server', run_name='__main__')"
        command = [sys.executable, "-c", f"{prelude}\n{main}", "--port", "0", *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines: list[str] = []
    started = threading.Event()
    url: list[str] = []

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            found = LISTENING.search(line)
            if found and not started.is_set():
                url.append(found.group(1))
                started.set()
        started.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not started.wait(20) or not url:
            raise RuntimeError("mock did not start:\n" + "".join(lines))
        yield MockProcess(process, url[0], lines)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        reader.join(5)
