"""Media types: does a request's ``Content-Type`` name the media type the contract documents?

Media types compare case-insensitively and may carry parameters (RFC 9110 section 8.3.1).
RFC 8259 defines no ``charset`` parameter for ``application/json`` (section 11): a
``charset`` other than UTF-8 is meaningless, and implementations may ignore or refuse it.
A request without ``Content-Type`` leaves the recipient free to sniff the body
(RFC 9110 section 8.3).
"""

from __future__ import annotations

import enum


class MediaMatch(enum.Enum):
    SAME = "the documented media type"
    MISSING = "no Content-Type"
    OTHER_CHARSET = "the documented media type with a charset other than UTF-8"
    OTHER = "another media type"


# Where the RFCs leave the recipient a choice: read the body anyway, or refuse it.
LENIENT_MEDIA = frozenset({MediaMatch.MISSING, MediaMatch.OTHER_CHARSET})


def base_media_type(content_type: str | None) -> str:
    """``"Application/JSON; charset=utf-8"`` -> ``"application/json"``."""
    return (content_type or "").split(";")[0].strip().lower()


def match_media_type(content_type: str | None, documented: str) -> MediaMatch:
    if content_type == documented:
        return MediaMatch.SAME
    if content_type is None:
        return MediaMatch.MISSING
    base, *params = content_type.split(";")
    if base.strip().lower() != base_media_type(documented):
        return MediaMatch.OTHER
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            return MediaMatch.OTHER_CHARSET
    return MediaMatch.SAME
