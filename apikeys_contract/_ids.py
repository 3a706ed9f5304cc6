"""Random UUIDs (version 4) as strings: request ids, client ids, generated values.

Same bits as ``str(uuid.uuid4())``: 16 bytes from ``os.urandom``, the CSPRNG behind
``secrets``, for each id. The bytes are drawn for ``BATCH`` ids at a time and formatted
in one pass: one ``getrandom`` system call where ``uuid.uuid4`` makes one per id, which
the mock, two ids a request, paid for on its hot path. A forked child (``--workers``)
throws away what it inherited and draws its own, so workers never share an id.
Thread-safe without a lock: ``popleft`` on a deque is atomic; threads that find it empty
at once each draw a batch of their own.

Ids are not secrets (they are sent in the clear, for uniqueness); generated secrets come
from ``secrets`` directly.
"""

from __future__ import annotations

import os
from collections import deque

BATCH = 256
# The variant's hex digit (RFC 4122: the top two bits of byte 8 are 10), from a random one.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
_ready: deque[str] = deque()


def _format(h: str) -> str:
    # Version 4: the 13th hex digit is 4; the 17th carries the variant.
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def _draw() -> None:
    h = os.urandom(16 * BATCH).hex()
    _ready.extend([_format(h[i : i + 32]) for i in range(0, 32 * BATCH, 32)])


def uuid4() -> str:
    while True:
        try:
            return _ready.popleft()
        except IndexError:
            _draw()


os.register_at_fork(after_in_child=_ready.clear)
