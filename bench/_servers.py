"""Start servers on loopback, wait until they answer, stop them, and read their /proc counters.

Shared by the benchmark scripts in this folder; not a test helper.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PATH = "/api-keys"
VALID_BODY = b'{"name":"bench-key"}'
INVALID_BODY = b'{"name":"   "}'
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """A server or tool the benchmark needs did not behave; the message says which."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Answer:
    status: int
    request_id: str | None
    body: bytes


def post(port: int, body: bytes, *, token: str = "any-token", timeout: float = 5.0) -> Answer:
    """POST ``body`` to the endpoint on loopback and return what came back."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request("POST", PATH, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.getheader("X-Request-Id"), response.read())
    finally:
        connection.close()


def stop_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt so every ``finally`` that stops a server runs."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


@dataclass(frozen=True)
class Server:
    """A server process we started in its own session, so its whole tree can be stopped."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_until_answering(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"{server.name} exited with {server.process.returncode} before answering:\n"
                + server.log_tail()
            )
        with contextlib.suppress(OSError, http.client.HTTPException):
            post(server.port, VALID_BODY, timeout=1.0)
            return
        time.sleep(0.1)
    raise BenchError(f"{server.name} did not answer within {timeout:.0f} s:\n" + server.log_tail())


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # start_new_session made the server the leader of its own group: this reaches its
    # children (Prism's node workers, uvicorn workers) and nothing else.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT_S)


@contextlib.contextmanager
def running(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    log: Path,
    env: dict[str, str] | None = None,
    start_timeout: float = START_TIMEOUT_S,
) -> Iterator[Server]:
    """Start ``command`` (which must listen on ``port``), yield it once it answers, stop it."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    server = Server(name, process, port, log)
    try:
        _wait_until_answering(server, start_timeout)
        yield server
    finally:
        _stop(process)


def tree_pids(root: int) -> list[int]:
    """``root`` and every live descendant of it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, ()))
    return found


def cpu_seconds(root: int) -> float:
    """User + system CPU time of the process tree under ``root``."""
    ticks = 0
    for pid in tree_pids(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLK_TCK


def memory_mb(root: int, field: str) -> float:
    """A /proc/PID/status memory field (VmRSS, VmHWM) summed over the tree, in MB.

    Summing the children's VmHWM is an upper bound of the tree's peak: their peaks
    need not coincide.
    """
    total_kb = 0
    prefix = field + ":"
    for pid in tree_pids(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(prefix):
                    total_kb += int(line.split()[1])
                    break
    return total_kb / 1024
