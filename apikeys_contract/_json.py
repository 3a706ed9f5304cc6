"""Reading a JSON request body: strictly, as the contract expects it, and leniently, as
widespread parsers do.

RFC 8259 leaves several things to the parser: it may ignore a byte order mark (section 8.1),
names within an object should be unique but parsers differ on duplicates (section 4), a
string with a lone surrogate escape has unpredictable behaviour (section 8.2), and an
implementation may limit nesting depth and number size (section 9). Python's ``json`` and
JavaScript's ``JSON.parse`` also accept ``NaN``, and Python detects UTF-16 and UTF-32 text.
``read_json`` reports each of these as an issue; ``LENIENT`` lists those where the RFCs
leave the answer to the implementation, and ``lenient_documents`` says what a lenient
parser makes of the body. Nothing here raises on any input.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from ._pointers import pointer

BOM = b"\xef\xbb\xbf"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonIssue(enum.Enum):
    """Why a body is not the strict RFC 8259 UTF-8 JSON the contract expects."""

    EMPTY = "empty body"
    NOT_UTF8 = "invalid UTF-8"
    SYNTAX = "malformed JSON"
    BOM = "a byte order mark before the JSON text"
    OTHER_ENCODING = "UTF-16 or UTF-32 text"
    CONSTANT = "NaN or Infinity"
    HUGE_NUMBER = "a number too large for the parser"
    DUPLICATE_KEY = "duplicate keys in an object"
    LONE_SURROGATE = "a lone surrogate escape in a string"
    TOO_DEEP = "nesting deeper than the parser allows"


# Issues where RFC 8259 (or widespread parsers) leave the answer to the implementation.
LENIENT = frozenset(
    {
        JsonIssue.BOM,
        JsonIssue.OTHER_ENCODING,
        JsonIssue.CONSTANT,
        JsonIssue.HUGE_NUMBER,
        JsonIssue.DUPLICATE_KEY,
        JsonIssue.LONE_SURROGATE,
        JsonIssue.TOO_DEEP,
    }
)


class _Missing:
    def __repr__(self) -> str:
        return "NO_DOCUMENT"


NO_DOCUMENT: Any = _Missing()


@dataclass(frozen=True)
class JsonReading:
    """The document, or why there is none. ``pointer`` locates the issue when it can."""

    document: Any = NO_DOCUMENT
    issue: JsonIssue | None = None
    detail: str = ""
    pointer: str = ""

    @property
    def ok(self) -> bool:
        return self.issue is None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return document


class _Constant(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _Constant(f"{name} is not JSON")


_STRICT = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_no_constant)
_scan = _STRICT.scan_once  # type: ignore[attr-defined]
_space = json.decoder.WHITESPACE.match  # type: ignore[attr-defined]


def _decode(text: str) -> Any:
    """``_STRICT.decode(text)``, without its two Python-level calls (the hot path)."""
    try:
        document, end = _scan(text, _space(text, 0).end())
    except StopIteration as exc:
        raise json.JSONDecodeError("Expecting value", text, exc.value) from None
    end = _space(text, end).end()
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return document


def read_json(body: bytes) -> JsonReading:
    """Strict RFC 8259 JSON in UTF-8: no BOM, NaN, duplicate keys or lone surrogates."""
    try:
        return _read(body)
    except Exception as exc:
        return JsonReading(issue=JsonIssue.SYNTAX, detail=f"unreadable ({type(exc).__name__})")


def _read(body: bytes) -> JsonReading:
    # The common case in two C calls: a body that is exactly the compact encoding of what
    # it parses to (what JSON.stringify, orjson and serde_json send) holds no duplicate
    # key, no lone surrogate, no NaN and no number two parsers read differently, so there
    # is nothing below for it to refuse. Anything else takes the strict reader.
    try:
        document = orjson.loads(body)
        if orjson.dumps(document) == body:
            return JsonReading(document)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        pass
    return _read_strict(body)


def _read_strict(body: bytes) -> JsonReading:
    if not body.strip():
        return JsonReading(issue=JsonIssue.EMPTY, detail="the body is empty")
    if body.startswith(BOM):
        return JsonReading(issue=JsonIssue.BOM, detail="the body starts with a byte order mark")
    suspect = b"\x00" in body[:4] or body[:2] in (b"\xff\xfe", b"\xfe\xff")
    if suspect and json.detect_encoding(body) != "utf-8":
        return JsonReading(issue=JsonIssue.OTHER_ENCODING, detail="the body is not UTF-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return JsonReading(issue=JsonIssue.NOT_UTF8, detail=f"invalid UTF-8 at byte {exc.start}")
    try:
        document = _decode(text)
    except _DuplicateKey as exc:
        return JsonReading(issue=JsonIssue.DUPLICATE_KEY, detail=f"duplicate key {exc.key[:100]!r}")
    except json.JSONDecodeError as exc:
        return JsonReading(
            issue=JsonIssue.SYNTAX,
            detail=f"{exc.msg} at line {exc.lineno}, column {exc.colno}",
        )
    except _Constant as exc:
        return JsonReading(issue=JsonIssue.CONSTANT, detail=str(exc))
    except ValueError as exc:  # int() refuses more than 4,300 digits
        return JsonReading(issue=JsonIssue.HUGE_NUMBER, detail=str(exc).split(";")[0])
    except RecursionError:
        return JsonReading(issue=JsonIssue.TOO_DEEP, detail="nested too deeply")
    if "\\" in text and _SURROGATE_ESCAPE.search(text):
        where = lone_surrogate(document)
        if where is not None:
            return JsonReading(
                document,
                JsonIssue.LONE_SURROGATE,
                "a string holds a lone surrogate, which is not Unicode",
                where,
            )
    return JsonReading(document)


def lone_surrogate(document: Any) -> str | None:
    """The JSON Pointer of the first string (or key) holding a lone surrogate, if any."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _has_surrogate(value):
                return pointer(*path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if _has_surrogate(key):
                    return pointer(*path)
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, str(i))) for i, item in enumerate(value))
    return None


def replace_surrogates(document: Any) -> Any:
    """``document`` with every lone surrogate replaced by U+FFFD, as Go's
    ``encoding/json`` and the WHATWG decoders read one (RFC 8259 section 8.2 leaves it open)."""
    if lone_surrogate(document) is None:
        return document
    try:
        return _replaced(document)
    except RecursionError:
        return document


def _replaced(document: Any) -> Any:
    if isinstance(document, str):
        if not _has_surrogate(document):
            return document
        return document.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(document, dict):
        return {_replaced(k): _replaced(v) for k, v in document.items()}
    if isinstance(document, list):
        return [_replaced(item) for item in document]
    return document


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        document.setdefault(key, value)
    return document


def _number(digits: str) -> int | float:
    # JavaScript reads any number as a double: 10,000 digits are Infinity, not an error.
    return int(digits) if len(digits) < 4000 else float(digits)


def _collapse(match: re.Match[bytes]) -> bytes:
    opened, closed = match.group(1), match.group(2)
    return b"[]" if len(opened) == len(closed) else match.group(0)


# Empty arrays nested deeper than Python's parser goes: a parser without a depth limit
# (V8's) reads them, and what the schema says of them does not depend on their depth.
_DEEP_ARRAYS = re.compile(rb"(\[{64,})(\]{64,})")


def lenient_documents(body: bytes) -> tuple[Any, ...]:
    """What lenient parsers make of ``body``: none, one, or two documents (duplicate keys:
    the last one wins in Python and JavaScript, the first in some other parsers). Numbers
    beyond what Python reads become floats, as in JavaScript, and very deep empty arrays
    are read as ``[]``."""
    try:
        shallow = _DEEP_ARRAYS.sub(_collapse, body) if b"[" * 64 in body else body
        last = json.loads(shallow, parse_int=_number)
        first = json.loads(shallow, parse_int=_number, object_pairs_hook=_first_wins)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return ()
    except Exception:
        return ()
    return (last,) if _same(first, last) else (last, first)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except RecursionError:
        return False


def strings(document: Any) -> Iterator[str]:
    """Every string in ``document``, keys included, without recursion."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield key
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
