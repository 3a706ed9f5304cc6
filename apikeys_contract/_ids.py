"""Random UUIDs (version 4) as strings, for generated values.

Same bits as ``str(uuid.uuid4())`` (16 bytes from ``os.urandom``, the CSPRNG behind
``secrets``) at a quarter of the cost: success bodies may hold several.
"""

from __future__ import annotations

import os


def uuid4() -> str:
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
