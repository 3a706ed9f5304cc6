"""Transport faults: an answer sent broken, the way WireMock's faults break it.

====================  =====================================================================
fault                 what the client observes
====================  =====================================================================
``reset``             the connection is reset (TCP RST), no response
``empty``             the connection is closed (FIN) with no response
``truncated``         the status line and headers, then half of the body, then the close
``garbage``           bytes that are not HTTP, then the close
``slow-body``         the status line and headers at once, the body over ``dribble`` seconds
====================  =====================================================================

Every fault but ``slow-body`` needs the connection itself: the mock's HTTP protocol
(``_protocol``) leaves its transport in the scope under ``CONNECTION``.
"""

from __future__ import annotations

import asyncio
import enum
import socket
import struct
from typing import Any

from starlette.types import Scope, Send

from ..common import CONNECTION, PreparedResponse

DRIBBLE_S = 2.0
DRIBBLE_CHUNKS = 10


class Fault(enum.StrEnum):
    RESET = "reset"
    EMPTY = "empty"
    TRUNCATED = "truncated"
    GARBAGE = "garbage"
    SLOW_BODY = "slow-body"

    @classmethod
    def names(cls) -> str:
        return ", ".join(fault.value for fault in cls)

    @property
    def needs_connection(self) -> bool:
        return self is not Fault.SLOW_BODY

    @property
    def sends_head(self) -> bool:
        """The status line and headers leave whole (Preference-Applied can say so)."""
        return self in (Fault.TRUNCATED, Fault.SLOW_BODY)


async def send_broken(
    fault: Fault,
    scope: Scope,
    send: Send,
    answer: PreparedResponse,
    *,
    dribble_s: float,
    noise: bytes,
) -> PreparedResponse:
    """Send ``answer`` broken by ``fault``; what went on the wire, for the journal (status 0:
    no status line)."""
    if fault is Fault.SLOW_BODY:
        await _dribble(send, answer, dribble_s)
        return answer
    transport: Any = scope[CONNECTION]
    if fault is Fault.TRUNCATED:
        await _send_head(send, answer)
        part = answer.body[: len(answer.body) // 2]
        transport.write(part)  # behind the head; the Content-Length promised the whole body
        transport.close()
        # The document, not the cut bytes, goes to the journal: it leaves out the secrets.
        sent = PreparedResponse(answer.status, answer.headers, part, answer.document, answer.rule)
    elif fault is Fault.RESET:
        # SO_LINGER with a zero timeout: closing sends RST instead of FIN.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        sent = PreparedResponse(0, [], b"")
    elif fault is Fault.GARBAGE:
        transport.write(noise)
        transport.close()
        sent = PreparedResponse(0, [], noise)
    else:
        transport.close()
        sent = PreparedResponse(0, [], b"")
    # Let the server see the connection gone before the app returns: it then neither
    # answers 500 nor logs an app that "returned without starting response".
    await asyncio.sleep(0)
    return sent


async def _send_head(send: Send, answer: PreparedResponse) -> None:
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})


async def _dribble(send: Send, answer: PreparedResponse, seconds: float) -> None:
    await _send_head(send, answer)
    body = answer.body
    size = max(1, -(-len(body) // DRIBBLE_CHUNKS))
    chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    pause = seconds / len(chunks)
    for chunk in chunks[:-1]:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(pause)
    await asyncio.sleep(pause)
    await send({"type": "http.response.body", "body": chunks[-1]})
