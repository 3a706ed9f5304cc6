"""Start a peer implementation as a child process and wait for its "listening on" line."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..servers import MockProcess, listening_process

ROOT = Path(__file__).parents[2]
START_TIMEOUT = 60  # Prism takes a few seconds to compile the contract on a busy machine


Peer = MockProcess


@contextlib.contextmanager
def peer_process(
    command: Sequence[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> Iterator[Peer]:
    """Run ``command`` (which must print ``listening on http://HOST:PORT``); yield its URL."""
    with listening_process(command, cwd=cwd, env=env, timeout=START_TIMEOUT) as peer:
        yield peer


def free_port() -> int:
    """A loopback port free at the time of asking, for servers that cannot take port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
