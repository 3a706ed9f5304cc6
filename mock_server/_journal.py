"""The request journal: the last N exchanges, bounded, with credentials and secrets removed.

Storing is the hot path of the mock, so an exchange is kept as captured (bytes, header
pairs) and turned into JSON only when someone reads the journal. Before anything is kept,
``Redactor`` removes what must never be stored: every header, query parameter and cookie
that carries a credential the contract's security names (and ``Authorization``,
``Cookie``, ``Set-Cookie`` whatever the contract says), the values of the success
properties that hold generated secrets (``Contract.secret_fields``), and any presented
credential found elsewhere in the exchange.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from apikeys_contract import Contract, Location

REDACTED = "[redacted]"
REDACTED_BYTES = REDACTED.encode()
# What is kept of each body; the rest is dropped and the entry says so.
BODY_LIMIT = 64 * 1024
DEFAULT_SIZE = 1000
# Credentials ride in these whatever the contract declares.
ALWAYS_REDACTED = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Violation:
    """A rule of the contract one side of an exchange broke: the check and what happened."""

    check: str
    message: str
    problems: tuple[dict[str, str], ...] = ()


RawPairs = list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...]


@dataclass(slots=True)
class Record:
    """One exchange as stored: already redacted, header pairs as ASGI bytes (decoded only
    when read). ``response_body`` is None when the upstream never answered (proxy mode);
    ``duration`` is in seconds."""

    time: float
    method: str
    path: str
    query: bytes
    request_headers: RawPairs
    request_body: bytes
    status: int
    response_headers: RawPairs
    response_body: bytes | None
    duration: float
    operation: bool = True
    violations: tuple[Violation, ...] = ()
    request_truncated: bool = False
    response_truncated: bool = False
    id: int = 0
    view: dict[str, Any] | None = None  # its JSON form, built when first read


def text_pairs(raw: RawPairs) -> Pairs:
    return tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw)


class Redactor:
    """What the contract says carries credentials and secrets, read once."""

    def __init__(self, contract: Contract) -> None:
        security = contract.security
        self.headers = ALWAYS_REDACTED | security.header_names
        self.header_bytes = frozenset(name.encode("latin-1") for name in self.headers)
        self.query = frozenset(s.field for s in security.schemes if s.location is Location.QUERY)
        self.secret_fields = contract.secret_fields

    def header_pairs(self, raw: RawPairs) -> RawPairs:
        """ASGI header pairs (lower-case names) with the credential-carrying values
        replaced; the same object when there is none (the common case costs one pass)."""
        redacted = self.header_bytes
        for name, _ in raw:
            if name in redacted:
                return [(k, REDACTED_BYTES if k in redacted else v) for k, v in raw]
        return raw

    def query_string(self, raw: bytes) -> bytes:
        if not raw or not self.query:
            return raw
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
        return urlencode([(k, REDACTED if k in self.query else v) for k, v in pairs]).encode()

    def response_body(self, status: int, body: bytes) -> bytes:
        """``body`` with the secret properties' values replaced (success bodies only)."""
        if not self.secret_fields or not 200 <= status < 300 or body[:1] != b"{":
            return body
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body
        if not isinstance(document, dict):
            return body
        for key in self.secret_fields:
            if key in document:
                document[key] = REDACTED
        return orjson.dumps(document)


def scrub(data: bytes, secrets: Iterable[str]) -> bytes:
    """``data`` with every occurrence of each secret replaced."""
    for secret in secrets:
        if secret:
            data = data.replace(secret.encode("utf-8", "surrogatepass"), REDACTED.encode())
    return data


def scrub_pairs(pairs: RawPairs, secrets: Iterable[str]) -> RawPairs:
    shown = [s for s in secrets if s]
    if not shown:
        return pairs
    return [(name, scrub(value, shown)) for name, value in pairs]


@dataclass
class Journal:
    """The last ``size`` exchanges, newest last. Safe from several threads without a lock:
    ``next`` on a count, and appending, copying and clearing a deque, are each atomic
    under the GIL (the hot path pays for no lock)."""

    size: int = DEFAULT_SIZE
    _records: deque[Record] = field(init=False)
    _ids: Iterator[int] = field(init=False, default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("a journal holds at least one exchange")
        self._records = deque(maxlen=self.size)

    def add(self, record: Record) -> None:
        record.id = next(self._ids)
        self._records.append(record)

    def records(self) -> list[Record]:
        """Every stored exchange, newest first."""
        found = list(self._records)
        found.reverse()
        return found

    def clear(self) -> int:
        count = len(self._records)
        self._records.clear()
        return count

    def __len__(self) -> int:
        return len(self._records)


def body_text(body: bytes) -> Any:
    """A stored body for JSON output: the JSON document when it is one, else text."""
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")
