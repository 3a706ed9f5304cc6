"""Run ASGI apps and processes on a free loopback port for tests over real HTTP."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from starlette.types import ASGIApp

from mock_server.server._thread_server import serve_in_thread


@contextlib.contextmanager
def serve(app: ASGIApp, *, http: str = "httptools") -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yield its base URL (the fixture's server)."""
    with serve_in_thread(app, http=http) as url:
        yield url


# A plain URL only: Prism colours its log line.
LISTENING = re.compile(r"listening on (http://[A-Za-z0-9.:\[\]-]+)")


class MockProcess:
    """A child process that serves HTTP; its output is drained into ``lines``."""

    def __init__(self, process: subprocess.Popen[str], url: str, lines: list[str]) -> None:
        self.process = process
        self.url = url
        self.lines = lines

    @property
    def output(self) -> str:
        return "".join(self.lines)


@contextlib.contextmanager
def listening_process(
    command: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 20,
) -> Iterator[MockProcess]:
    """Run ``command``, which prints ``listening on http://HOST:PORT``; yield its URL.

    Its output is drained all along, so a chatty server never blocks on a full pipe; the
    process is terminated (killed if it lingers) on the way out.
    """
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
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
                url.append(found.group(1).rstrip("/"))
                started.set()
        started.set()  # the process ended without listening

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not started.wait(timeout) or not url:
            raise RuntimeError(f"{command[0]} did not start:\n" + "".join(lines))
        yield MockProcess(process, url[0], lines)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        reader.join(5)


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
    with listening_process(command, env=env) as mock:
        yield mock


def raw_exchange(url: str, raw: bytes) -> bytes:
    """Send ``raw`` bytes to the server at ``url`` and read all it answers until it closes."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


@contextlib.contextmanager
def canned_upstream(answer: bytes) -> Iterator[str]:
    """An upstream that reads one request per connection, sends ``answer`` and closes the
    connection without saying so beforehand."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)

    def serve_forever() -> None:
        while True:
            try:
                connection, _ = sock.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                connection.sendall(answer)

    threading.Thread(target=serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def response_head(url: str, raw: bytes) -> tuple[str, list[tuple[str, str]]]:
    """Send ``raw`` to the server at ``url``; its status line and header fields as they
    came on the wire (in order, repeats kept), read up to the blank line."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status, *lines = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    fields = [line.partition(":") for line in lines]
    return status, [(name, value.strip()) for name, _, value in fields]


async def read_body(receive: Any) -> bytes:
    """The whole body of an ASGI request, however many messages it came in."""
    body = b""
    while True:
        message = await receive()
        chunk: bytes = message.get("body", b"")
        body += chunk
        if not message.get("more_body"):
            return body


class Recorder:
    """An app that keeps each request's body and headers and answers 204 (a status the
    contract does not document: through the proxy, every exchange is a finding)."""

    def __init__(self) -> None:
        self.seen: list[tuple[bytes, dict[str, str]]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = await read_body(receive)
        self.seen.append((body, {k.decode(): v.decode("latin-1") for k, v in scope["headers"]}))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
