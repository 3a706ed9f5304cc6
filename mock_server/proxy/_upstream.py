"""The proxy's side of the wire: forward one request upstream, read the answer, bounded.

A small HTTP/1.1 client on asyncio streams with httptools' parser (both already under
uvicorn), keeping idle connections for reuse. General clients cost more than the whole
judgement here: httpx spends about 0.8 ms of CPU per request and more under concurrency
(its pool scans every connection on every request); ``bench/live_overhead.py`` measures
what this one costs.

Everything up to the response head and the part of the body the checks read happens
within one deadline (``timeout``), so a silent, slow or dripping upstream never holds a
client forever. The body is read up to ``limit`` bytes for judging; the rest, if any, is
streamed through afterwards (each read within the timeout). Failures come back as data
(``UpstreamFailure``), never as exceptions. Not supported: protocol upgrades (WebSocket),
``Expect: 100-continue`` (the header is not forwarded), HTTP/2.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import urlsplit

import httptools
from starlette.types import Send

# RFC 9110 section 7.6.1: connection-specific fields a proxy must not forward.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Set afresh for the upstream: the proxy writes Host and Content-Length, and asks for an
# uncompressed body so that it can judge it.
REWRITTEN = frozenset({"host", "content-length", "accept-encoding", "expect"})
READ_SIZE = 65536
MAX_IDLE = 64


@dataclass(frozen=True)
class UpstreamFailure:
    """No usable HTTP answer: ``code`` for the error body, ``reason`` for people."""

    code: str
    reason: str


class _Failed(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.failure = UpstreamFailure(code, reason)


class _Stale(Exception):
    """A kept-alive connection the upstream had closed: try once more on a new one."""


@dataclass(eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def close(self) -> None:
        if not self.writer.is_closing():
            self.writer.close()


class _Message:
    """httptools' callbacks for one response."""

    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.head_done = False
        self.complete = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data

    def framed(self) -> bool:
        """True when the body has a length (Content-Length or chunked), so an early end of
        the connection means a cut body; False when it runs until the connection closes."""
        return any(
            name == "content-length" or (name == "transfer-encoding" and "chunked" in value)
            for name, value in self.headers
        )


@dataclass
class UpstreamReply:
    """An answer: status, headers, the body read for judging (all of it when
    ``complete``), and ``rest``, the remainder as it arrives."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    complete: bool
    rest: AsyncIterator[bytes] | None = field(default=None, repr=False)
    _connection: _Connection | None = field(default=None, repr=False)
    _upstream: Upstream | None = field(default=None, repr=False)

    async def close(self) -> None:
        """Give the connection back when a whole reusable message was read; else close
        it (a remainder nobody streamed included)."""
        connection, self._connection = self._connection, None
        if connection is None or self._upstream is None:
            return
        self._upstream.release(connection, reusable=False)


def forwarded_headers(raw: tuple[tuple[bytes, bytes], ...]) -> list[tuple[str, str]]:
    """The client's headers as the upstream gets them: hop-by-hop fields (and those the
    Connection header names) dropped, the body asked for uncompressed."""
    named = {
        token.strip().lower()
        for name, value in raw
        if name.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    kept = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in raw
        if (key := name.decode("latin-1").lower()) not in HOP_BY_HOP
        and key not in REWRITTEN
        and key not in named
    ]
    return [*kept, ("accept-encoding", "identity")]


def returned_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The upstream's headers as the client gets them: lower-case names, in their order,
    repeated fields kept, hop-by-hop fields (and those the Connection header names)
    dropped."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name == "connection"
        for token in value.split(",")
    }
    return [
        (name, value) for name, value in headers if name not in HOP_BY_HOP and name not in named
    ]


class Upstream:
    """One upstream base URL and the connections kept open to it."""

    def __init__(self, base_url: str, *, timeout: float, limit: int) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.limit = limit
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path.rstrip("/")
        self.host_header = parts.netloc.rpartition("@")[2]
        self._idle: list[_Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def request_bytes(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> bytes:
        lines = [f"{method} {self.prefix}{target} HTTP/1.1", f"host: {self.host_header}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS", "TRACE"):
            lines.append(f"content-length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def send(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> UpstreamReply | UpstreamFailure:
        """``target`` is the raw path with its query string."""
        request = self.request_bytes(method, target, headers, body)
        try:
            async with asyncio.timeout(self.timeout):
                try:
                    return await self._exchange(method, request, reuse=True)
                except _Stale:
                    return await self._exchange(method, request, reuse=False)
        except TimeoutError:
            return UpstreamFailure(
                "upstream_timeout", f"the upstream did not answer within {self.timeout:g} s"
            )
        except _Failed as failed:
            return failed.failure
        except (OSError, httptools.HttpParserError, _Stale) as exc:
            return UpstreamFailure(
                "upstream_failed",
                f"the upstream gave no usable HTTP answer ({type(exc).__name__})",
            )

    async def _connect(self) -> _Connection:
        try:
            reader, writer = await asyncio.open_connection(
                self.host,
                self.port,
                ssl=ssl.create_default_context() if self.tls else None,
                limit=READ_SIZE,
            )
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise _Failed(
                "upstream_unreachable", f"cannot connect to {self.base_url}: {reason}"
            ) from None
        return _Connection(reader, writer)

    def _take_idle(self) -> _Connection | None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # connections belong to the loop that opened them
            self._idle.clear()
            self._loop = loop
        while self._idle:
            connection = self._idle.pop()
            if not connection.writer.is_closing() and not connection.reader.at_eof():
                return connection
        return None

    def release(self, connection: _Connection, reusable: bool) -> None:
        """Keep ``connection`` for the next request, or close it."""
        if reusable and len(self._idle) < MAX_IDLE and asyncio.get_running_loop() is self._loop:
            self._idle.append(connection)
        else:
            connection.close()

    async def _exchange(self, method: str, request: bytes, *, reuse: bool) -> UpstreamReply:
        idle = self._take_idle() if reuse else None
        connection = idle or await self._connect()
        message = _Message()
        parser = httptools.HttpResponseParser(message)
        body = bytearray()
        received = False
        try:
            connection.writer.write(request)
            await connection.writer.drain()
            while not message.complete and len(body) <= self.limit:
                data = await connection.reader.read(READ_SIZE)
                if not data:
                    if idle is not None and not received:
                        raise _Stale
                    if message.head_done and not message.framed():
                        message.complete = True  # the body ran until the connection closed
                        break
                    raise _Failed(
                        "upstream_failed",
                        "the upstream closed the connection before its response ended",
                    )
                received = True
                parser.feed_data(data)
                if method == "HEAD" and message.head_done:
                    message.complete = True
                body += message.take()
        except asyncio.CancelledError:
            connection.close()
            raise
        except (OSError, httptools.HttpParserError):
            connection.close()
            if idle is not None and not received:
                raise _Stale from None
            raise
        except (_Stale, _Failed):
            connection.close()
            raise
        reply = UpstreamReply(
            parser.get_status_code(),
            returned_headers(message.headers),
            bytes(body),
            message.complete,
        )
        if message.complete:
            self.release(connection, parser.should_keep_alive() and method != "HEAD")
        else:
            # The remainder owns the connection once streamed; until then, the reply does.
            reply._connection, reply._upstream = connection, self
            reply.rest = self._rest(connection, parser, message, reply)
        return reply

    async def _rest(
        self,
        connection: _Connection,
        parser: httptools.HttpResponseParser,
        message: _Message,
        reply: UpstreamReply,
    ) -> AsyncIterator[bytes]:
        """The body beyond what was judged, as it arrives; each read within the timeout."""
        reply._connection = None
        try:
            while not message.complete:
                data = await asyncio.wait_for(connection.reader.read(READ_SIZE), self.timeout)
                if not data:
                    break
                parser.feed_data(data)
                chunk = message.take()
                if chunk:
                    yield chunk
        finally:
            if message.complete and parser.should_keep_alive():
                self.release(connection, True)
            else:
                connection.close()


async def relay(send: Send, reply: UpstreamReply, headers: list[tuple[str, str]]) -> None:
    """Send the client ``reply`` with ``headers``: the body read, then the rest as it
    arrives. An upstream that stops early ends the body early (the head is sent)."""
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        }
    )
    await send({"type": "http.response.body", "body": reply.body, "more_body": not reply.complete})
    if reply.rest is not None:
        try:
            async for chunk in reply.rest:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (OSError, TimeoutError, httptools.HttpParserError):
            pass  # the head is sent; the client sees the body end early
        await send({"type": "http.response.body", "body": b""})


def framed(reply: UpstreamReply, method: str) -> list[tuple[str, str]]:
    """The upstream's headers, its Content-Length kept where it frames what the client
    gets: the whole body, or none (HEAD). A body streamed on (over the judged size) goes
    chunked, so that an upstream that stops early cannot leave a promised length unmet;
    without a Content-Length, uvicorn chunks a body as the upstream did."""
    whole = str(len(reply.body))
    return [
        (key, value)
        for key, value in reply.headers
        if key != "content-length"
        or (reply.complete and (method == "HEAD" or value.strip() == whole))
    ]


def dated(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The upstream's Date, or the time the answer passed when it sent none: RFC 9110
    section 6.6.1 has a forwarding recipient with a clock add one. Nothing else is added."""
    if not any(key == "date" for key, _ in headers):
        headers.append(("date", formatdate(usegmt=True)))
    return headers
