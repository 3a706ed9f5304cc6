"""The request headers the endpoint reads, gathered in one pass over the ASGI scope."""

from __future__ import annotations

from starlette.types import Scope

# RFC 7240: the response header that says which preferences shaped the response.
PREFERENCE_APPLIED = "Preference-Applied"


class RequestHeaders:
    __slots__ = ("authorization", "content_length", "content_type", "origin", "prefer")

    def __init__(self) -> None:
        self.authorization: list[str] = []
        self.content_type: str | None = None
        self.content_length: str | None = None
        self.prefer: str | None = None
        self.origin: str | None = None  # the first, if several

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
            elif name == b"origin":
                if found.origin is None:
                    found.origin = value.decode("latin-1")
            elif name == b"prefer":
                # Several Prefer headers are one list (RFC 9110 field combination).
                text = value.decode("latin-1")
                found.prefer = text if found.prefer is None else f"{found.prefer}, {text}"
        return found
