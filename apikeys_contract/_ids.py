"""Random UUIDs (version 4) as strings: request ids, client ids, generated values.

Same bits as ``str(uuid.uuid4())`` (16 bytes from ``os.urandom``, the CSPRNG behind
``secrets``, drawn afresh on every call, so forked workers never share a value) at a
fifth of the cost: the mock makes two per request.
"""

from __future__ import annotations

import os

# The variant's hex digit (RFC 4122: the top two bits of byte 8 are 10), from a random one.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def uuid4() -> str:
    h = os.urandom(16).hex()
    # Version 4: the 13th hex digit is 4; the 17th carries the variant.
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"
