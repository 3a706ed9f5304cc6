"""Reading a HAR file (1.1 or 1.2): the mock's and the proxy's journal export, or what a
browser's dev tools save.

Each entry becomes an ``Exchange``: header names lower-case, HTTP/2 pseudo-headers
(``:authority``...) left out, bodies as bytes (``encoding: "base64"`` decoded), and the
response None when none was received (status 0, as browsers write a failed request).
Custom ``_``-prefixed fields are ignored. A file that is not such a HAR raises
``UsageError`` with one line that says what is wrong and where.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import UsageError

VERSIONS = ("1.1", "1.2")

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Answer:
    """A recorded response; ``truncated`` when the recorder cut its body."""

    status: int
    headers: Pairs
    body: bytes
    truncated: bool = False


@dataclass(frozen=True)
class Exchange:
    """One recorded entry (``index``: its place in the file, from 1)."""

    index: int
    method: str
    url: str
    headers: Pairs
    body: bytes
    response: Answer | None
    truncated: bool = False

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def query(self) -> str:
        return urlsplit(self.url).query

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


def read_har(path: str) -> list[Exchange]:
    """Every entry of the HAR file at ``path``, in its order."""
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not JSON ({exc})") from None
    log = document.get("log") if isinstance(document, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise UsageError(f"{path} is not a HAR file: no log with a list of entries")
    version = log.get("version")
    if version not in VERSIONS:
        raise UsageError(
            f"{path}: HAR version {version!r} is not supported (only {' and '.join(VERSIONS)})"
        )
    return [_exchange(path, i, item) for i, item in enumerate(log["entries"], 1)]


def _exchange(path: str, index: int, item: Any) -> Exchange:
    where = f"{path}: entry {index}"
    request = item.get("request") if isinstance(item, dict) else None
    if not isinstance(request, dict):
        raise UsageError(f"{where} has no request")
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not method or not isinstance(url, str):
        raise UsageError(f"{where}: its request has no method or url")
    if not urlsplit(url).scheme:
        raise UsageError(f"{where}: its request url {url!r} is not absolute")
    posted = request.get("postData")
    body, cut = _body(where, posted) if isinstance(posted, dict) else (b"", False)
    return Exchange(
        index=index,
        method=method.upper(),
        url=url,
        headers=_headers(where, request.get("headers")),
        body=body,
        response=_answer(where, item.get("response")),
        truncated=cut,
    )


def _answer(where: str, response: Any) -> Answer | None:
    if not isinstance(response, dict):
        return None
    status = response.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or status <= 0:
        return None  # no response was received
    content = response.get("content")
    body, cut = _body(where, content) if isinstance(content, dict) else (b"", False)
    return Answer(status, _headers(where, response.get("headers")), body, cut)


def _headers(where: str, headers: Any) -> Pairs:
    if headers is None:
        return ()
    if not isinstance(headers, list):
        raise UsageError(f"{where}: headers must be a list of name/value objects")
    pairs: list[tuple[str, str]] = []
    for header in headers:
        name = header.get("name") if isinstance(header, dict) else None
        value = header.get("value") if isinstance(header, dict) else None
        if not isinstance(name, str) or not isinstance(value, str):
            raise UsageError(f"{where}: a header without a string name and value")
        if not name.startswith(":"):  # HTTP/2 pseudo-headers are not headers
            pairs.append((name.lower(), value))
    return tuple(pairs)


def _body(where: str, holder: dict[str, Any]) -> tuple[bytes, bool]:
    text = holder.get("text")
    cut = holder.get("_truncated") is True
    if text is None:
        return b"", cut
    if not isinstance(text, str):
        raise UsageError(f"{where}: a body's text must be a string")
    if holder.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True), cut
        except binascii.Error:
            raise UsageError(f"{where}: a body marked base64 is not base64") from None
    return text.encode("utf-8", "surrogatepass"), cut
