"""Raw TCP servers that misbehave below HTTP's level, for the harness's fault tests."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator

Behaviour = Callable[[socket.socket], None]
_ids = itertools.count()


def _head(status: str, length: int, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nX-Request-Id: raw-{next(_ids)}\r\n{extra}"
        "Connection: close\r\n\r\n"
    ).encode()


def _response(status: str, body: bytes, extra: str = "") -> bytes:
    return _head(status, len(body), extra) + body


def silent(conn: socket.socket) -> None:
    time.sleep(30)


def not_http(conn: socket.socket) -> None:
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\nthis is not HTTP at all\r\n\r\n")


def huge_body(conn: socket.socket) -> None:
    size = 50 * 1024 * 1024
    conn.sendall(_head("201 Created", size))
    chunk = b"x" * 65536
    for _ in range(size // len(chunk)):
        conn.sendall(chunk)


def invalid_json(conn: socket.socket) -> None:
    conn.sendall(_response("400 Bad Request", b'{"message": "unterminated'))


def drip(conn: socket.socket) -> None:
    for byte in _response("400 Bad Request", b'{"message": "slow"}'):
        conn.sendall(bytes([byte]))
        time.sleep(1)


def cut_off(conn: socket.socket) -> None:
    conn.sendall(_response("400 Bad Request", b'{"message": "cut"}' + b" " * 100)[:-90])


def redirect_loop(conn: socket.socket) -> None:
    conn.sendall(_response("302 Found", b"", extra="Location: /api-keys\r\n"))


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


def _handle(conn: socket.socket, behaviour: Behaviour) -> None:
    with conn, contextlib.suppress(OSError):
        _read_request(conn)
        behaviour(conn)


@contextlib.contextmanager
def raw_server(behaviour: Behaviour) -> Iterator[str]:
    """Serve ``behaviour`` on a free loopback port; yield the base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(None)
            threading.Thread(target=_handle, args=(conn, behaviour), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def refused_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def answers_then_hangs(answers: int) -> Behaviour:
    """Answers ``answers`` requests with a contract-shaped 401, then never again."""
    served = itertools.count()

    def behaviour(conn: socket.socket) -> None:
        if next(served) < answers:
            conn.sendall(_response("401 Unauthorized", b'{"message": "no token"}'))
        else:
            silent(conn)

    return behaviour
