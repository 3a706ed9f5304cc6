"""The proxy's side of the wire: forward one request upstream, read the answer, bounded.

Everything up to the response head and the part of the body the checks read happens
within one deadline (``timeout``), so a silent, slow or dripping upstream never holds a
client forever. The body is read up to ``limit`` bytes for judging; the rest, if any, is
streamed through afterwards (each chunk within the timeout). Failures come back as data
(``UpstreamFailure``), never as exceptions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx

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
# Set afresh for the upstream: httpx writes Host and Content-Length, and the proxy asks for
# an uncompressed body so that it can judge it.
REWRITTEN = frozenset({"host", "content-length", "accept-encoding", "expect"})


@dataclass
class UpstreamReply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    complete: bool
    rest: AsyncIterator[bytes] | None = field(default=None, repr=False)
    response: httpx.Response | None = field(default=None, repr=False)

    async def close(self) -> None:
        if self.response is not None:
            await self.response.aclose()


@dataclass(frozen=True)
class UpstreamFailure:
    """No usable HTTP answer: ``code`` for the error body, ``reason`` for people."""

    code: str
    reason: str


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


def returned_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """The upstream's headers as the client gets them (lower-case names; hop-by-hop fields
    and Content-Length dropped: the proxy frames the body itself)."""
    named = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    return [
        (key.decode("latin-1").lower(), value.decode("latin-1"))
        for key, value in headers.raw
        if (name := key.decode("latin-1").lower()) not in HOP_BY_HOP
        and name != "content-length"
        and name not in named
    ]


class Upstream:
    """One upstream base URL and the client that talks to it (one per event loop)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        limit: int,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.limit = limit
        self.transport = transport
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    def client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        found = self._clients.get(loop)
        if found is None:
            found = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                transport=self.transport,
                limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
                trust_env=False,
            )
            self._clients[loop] = found
        return found

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def send(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> UpstreamReply | UpstreamFailure:
        """``target`` is the raw path with its query string."""
        url = self.base_url + target
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(method, url, headers, body)
        except TimeoutError:
            return UpstreamFailure(
                "upstream_timeout", f"the upstream did not answer within {self.timeout:g} s"
            )
        except httpx.ConnectError as exc:
            return UpstreamFailure("upstream_unreachable", f"cannot connect to the upstream: {exc}")
        except httpx.TimeoutException:
            return UpstreamFailure(
                "upstream_timeout", f"the upstream did not answer within {self.timeout:g} s"
            )
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            return UpstreamFailure(
                "upstream_failed", f"the upstream gave no usable HTTP answer: {type(exc).__name__}"
            )

    async def _exchange(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> UpstreamReply:
        client = self.client()
        request = client.build_request(method, url, headers=headers, content=body)
        response = await client.send(request, stream=True)
        try:
            chunks = response.aiter_raw()
            data = bytearray()
            complete = True
            async for chunk in chunks:
                data += chunk
                if len(data) > self.limit:
                    complete = False
                    break
        except BaseException:
            await response.aclose()
            raise
        reply = UpstreamReply(
            response.status_code, returned_headers(response.headers), bytes(data), complete
        )
        if complete:
            await response.aclose()
        else:
            reply.rest, reply.response = chunks, response
        return reply
