"""The request headers the endpoint reads, gathered in one pass over the ASGI scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.types import Scope


@dataclass
class RequestHeaders:
    authorization: list[str] = field(default_factory=list)
    content_type: str | None = None
    content_length: str | None = None
    prefer: str | None = None

    @classmethod
    def from_scope(cls, scope: Scope) -> RequestHeaders:
        found = cls()
        for name, value in scope["headers"]:  # ASGI: names are lower-case bytes
            if name == b"authorization":
                found.authorization.append(value.decode("latin-1"))
            elif name == b"content-type":
                found.content_type = value.decode("latin-1")
            elif name == b"content-length":
                found.content_length = value.decode("latin-1")
            elif name == b"prefer":
                # Several Prefer headers are one list (RFC 9110 field combination).
                text = value.decode("latin-1")
                found.prefer = text if found.prefer is None else f"{found.prefer}, {text}"
        return found


def has_origin(scope: Scope) -> bool:
    for name, _ in scope["headers"]:  # noqa: SIM110 - a plain loop costs a third of any()
        if name == b"origin":
            return True
    return False
