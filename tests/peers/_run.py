"""Start a peer implementation as a child process and wait for its "listening on" line."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[2]
# A plain URL only: Prism colours its log line.
LISTENING = re.compile(r"listening on (http://[A-Za-z0-9.:\[\]-]+)")
START_TIMEOUT = 60  # Prism takes a few seconds to compile the contract on a busy machine


@dataclass
class Peer:
    url: str
    process: subprocess.Popen[str]
    lines: list[str]

    @property
    def output(self) -> str:
        return "".join(self.lines)


@contextlib.contextmanager
def peer_process(
    command: Sequence[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> Iterator[Peer]:
    """Run ``command`` (which must print ``listening on http://HOST:PORT``); yield its URL.

    Its output is drained all along, so a chatty peer never blocks on a full pipe.
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
    url: list[str] = []
    started = threading.Event()

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
        if not started.wait(START_TIMEOUT) or not url:
            raise RuntimeError(f"{command[0]} did not start:\n" + "".join(lines))
        yield Peer(url[0], process, lines)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        reader.join(5)


def free_port() -> int:
    """A loopback port free at the time of asking, for servers that cannot take port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
