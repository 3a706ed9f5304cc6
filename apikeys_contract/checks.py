"""The contract's rules for one request/response exchange, as plain functions over plain data.

Each check reads what was sent (``Sent``) and what came back (``Received``) and returns
``None`` when it does not apply, or a tuple of ``Violation`` and ``Remark`` (empty: it held).
``run_check`` wraps one check so that it never raises: an exception inside a check is
returned as an ``CheckError``, so one broken check cannot silence the others. The
conformance harness feeds these checks its probes; a proxy can feed them live traffic
(``Sent.credential`` is ``None`` when the role of the presented credential is unknown).
"""

from __future__ import annotations

import enum
import json
import math
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from ._contract import MIN_SECRET_LENGTH, Contract
from ._expect import Answer, BodyVerdict
from ._json import LENIENT, JsonIssue, JsonReading, lenient_documents, read_json
from ._media import base_media_type
from ._pointers import pointer, resolve
from ._problems import schema_problems
from .errors import SpecError

# HTTP's own meaning of these statuses, not a constraint of the contract: a contract the
# checks can judge documents each of them (``missing_statuses``).
INVALID_INPUT = int(HTTPStatus.BAD_REQUEST)
UNAUTHENTICATED = int(HTTPStatus.UNAUTHORIZED)
FORBIDDEN = int(HTTPStatus.FORBIDDEN)
EXCERPT = 160
RESPONSE_EXCERPT = 200
REFLECTED = "token reflected in the response"


class Credential(enum.Enum):
    """The role of the credential a request presented (known to a harness, not a proxy)."""

    VALID = "valid token"
    # The valid token spelt as RFC 9110 section 11.1 allows: the auth scheme's name is
    # case-insensitive, and one or more spaces separate it from the credentials.
    SCHEME_LOWER_CASE = "valid token with the auth scheme in lower case"
    SCHEME_UPPER_CASE = "valid token with the auth scheme in upper case"
    SCHEME_TWO_SPACES = "valid token after two spaces"
    FORBIDDEN = "token without permission"
    UNKNOWN = "never-issued token"
    NONE = "no credentials"
    EMPTY = "empty credential"
    MISPLACED = "valid token where the contract does not say"
    INCOMPLETE = "valid token in only some of the required schemes"
    # RFC 6750 section 2.3's query parameter, where the contract names no credential.
    QUERY_PARAMETER = "valid token in an access_token query parameter"

    @property
    def authenticates(self) -> bool:
        """A credential the target must accept: the valid token, however it is spelt."""
        return self in ACCEPTED


DENIED = frozenset(
    {
        Credential.UNKNOWN,
        Credential.NONE,
        Credential.EMPTY,
        Credential.MISPLACED,
        Credential.INCOMPLETE,
        Credential.QUERY_PARAMETER,
    }
)
ACCEPTED = frozenset(
    {
        Credential.VALID,
        Credential.SCHEME_LOWER_CASE,
        Credential.SCHEME_UPPER_CASE,
        Credential.SCHEME_TWO_SPACES,
    }
)


@dataclass(frozen=True)
class Sent:
    """A request as the rules need it. ``secrets`` are the credentials it presented."""

    verdict: BodyVerdict
    credential: Credential | None = Credential.VALID
    secrets: tuple[str, ...] = field(default=(), repr=False)
    label: str = ""


@dataclass(frozen=True)
class Received:
    """A response as received: header names lower-case, the body possibly cut short."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool = False
    elapsed: float = 0.0

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key == wanted]

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Violation:
    """The target broke the contract. ``summary`` identifies the violation (its finding)."""

    summary: str
    received: str
    documented: str


@dataclass(frozen=True)
class Remark:
    """Behaviour the contract leaves open (``lenient``), or something the check could not
    judge. Lenient remarks become violations for teams that ask for strictness; ``strictly``
    says what strictness documents instead (a 400, for a request body left open)."""

    summary: str
    detail: str
    lenient: bool = False
    strictly: str = "a 400 under --strict: the contract leaves this open, --strict does not"


@dataclass(frozen=True)
class CheckError:
    """A check raised: a bug of the checks, never a verdict on the target."""

    summary: str
    detail: str


Result = tuple[Violation | Remark, ...] | None


@dataclass
class Memory:
    """What the rules remember across one session: uniqueness is a property of a run."""

    request_ids: set[str] = field(default_factory=set)
    fresh_values: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Rules:
    """The contract and a session's memory: everything a check reads."""

    contract: Contract
    memory: Memory = field(default_factory=Memory)

    @property
    def statuses(self) -> str:
        return ", ".join(map(str, self.contract.statuses))

    def expected(self, sent: Sent) -> frozenset[int]:
        """The statuses the contract allows for ``sent``."""
        return expected_statuses(self.contract, sent)


def missing_statuses(contract: Contract) -> tuple[int, ...]:
    """The statuses the checks rely on that ``contract`` does not document."""
    needed = {INVALID_INPUT, UNAUTHENTICATED, FORBIDDEN}
    return tuple(sorted(needed - set(contract.statuses)))


def expected_statuses(contract: Contract, sent: Sent) -> frozenset[int]:
    """Which statuses the contract allows: the body decides between success and 400; a
    denied credential calls for 401 (403 without permission). An implementation may check
    the body before or after the credential, so an invalid body may also get 400."""
    answers = sent.verdict.answers
    body = {contract.success_status} if Answer.SUCCESS in answers else set()
    if Answer.INVALID in answers:
        body.add(INVALID_INPUT)
    credential = sent.credential
    if credential is None or credential.authenticates:
        return frozenset(body)
    denied = FORBIDDEN if credential is Credential.FORBIDDEN else UNAUTHENTICATED
    return frozenset({denied} | ({INVALID_INPUT} if Answer.INVALID in answers else set()))


def excerpt(data: bytes | str, limit: int = EXCERPT) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return repr(text if len(text) <= limit else text[:limit] + "…")


def response_excerpt(got: Received | None, limit: int = RESPONSE_EXCERPT) -> str:
    """A response as a report quotes it: status, Content-Type and the body's start."""
    if got is None:
        return ""
    head = f"HTTP {got.status} content-type={got.header('content-type')!r} "
    body = got.body[:limit].decode("utf-8", "replace")
    return head + repr(body + ("…" if len(got.body) > limit else ""))


def json_excerpt(value: Any, limit: int = 60) -> str:
    """A received JSON value as JSON text, escaped once (``"\\ufffd"``, not ``'"\\\\ufffd"'``)."""
    try:
        text = json.dumps(value)
    except (ValueError, RecursionError):
        text = excerpt(repr(value), limit)
    return text if len(text) <= limit else text[:limit] + "…"


def _judgeable(rules: Rules, got: Received) -> bool:
    return got.status in rules.contract.responses and got.status < HTTPStatus.INTERNAL_SERVER_ERROR


def status_conformance(rules: Rules, sent: Sent, got: Received) -> Result:
    status = got.status
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return (
            Violation(
                f"server error {status}",
                f"{status} for {sent.verdict.cause}",
                f"statuses {rules.statuses}; no input may cause a 5xx",
            ),
        )
    if status not in rules.contract.responses:
        return (
            Violation(
                f"undocumented status {status}",
                f"{status} for {sent.verdict.cause}",
                f"only statuses {rules.statuses} for {rules.contract.method} {rules.contract.path}",
            ),
        )
    return ()


def _denied(sent: Sent) -> bool:
    """The request presented a credential the target must refuse (the body is moot)."""
    return sent.credential is not None and not sent.credential.authenticates


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except RecursionError:
        return False


def acceptance(rules: Rules, sent: Sent, got: Received) -> Result:
    """A body the contract accepts gets the success status, with echoed values unchanged."""
    verdict = sent.verdict
    if _denied(sent) or Answer.SUCCESS not in verdict.answers:
        return None
    if not _judgeable(rules, got):
        return None  # status_conformance reports it
    success = rules.contract.success_status
    if got.status != success:
        if verdict.answers != frozenset({Answer.SUCCESS}):
            return None  # 400 allowed too: rejection judges it
        if sent.credential is None and got.status in (UNAUTHENTICATED, FORBIDDEN):
            return None  # a proxy cannot tell whether the credential was valid
        said = f" ({sent.label})" if sent.label and sent.label != verdict.cause else ""
        return (
            Violation(
                f"valid body answered {got.status}",
                f"{got.status} for a valid body{said}",
                f"{success} for any body valid against the request schema "
                "(ECMA-262 patterns, lengths in code points)",
            ),
        )
    document = _json(got)
    if not isinstance(document, Mapping):
        return ()  # success_shape reports an unreadable body
    found: list[Violation | Remark] = []
    for key in rules.contract.echoed_fields:
        sent_values = [
            doc[key] for doc in verdict.readings if isinstance(doc, Mapping) and key in doc
        ]
        if not sent_values or key not in document:
            continue
        if not any(_same(document[key], value) for value in sent_values):
            found.append(
                Violation(
                    f"{key} not echoed unchanged",
                    f"{key} {json_excerpt(document[key])} for {describe_value(sent_values[0])}",
                    f"the {key} sent, unchanged",
                )
            )
    return tuple(found)


def describe_value(value: Any) -> str:
    """A short description of a sent value; strings with their length in every unit."""
    if not isinstance(value, str):
        return excerpt(json.dumps(value), 60)
    utf16 = len(value.encode("utf-16-le", "surrogatepass")) // 2
    utf8 = len(value.encode("utf-8", "surrogatepass"))
    return (
        f"{excerpt(value, 60)} ({len(value)} code points, {utf16} UTF-16 units, {utf8} UTF-8 bytes)"
    )


def rejection(rules: Rules, sent: Sent, got: Received) -> Result:
    """A body the contract refuses gets 400; a body it leaves open gets success or 400."""
    verdict = sent.verdict
    if _denied(sent) or Answer.INVALID not in verdict.answers:
        return None
    if not _judgeable(rules, got):
        return None
    allowed = expected_statuses(rules.contract, sent)
    if sent.credential is None:
        allowed |= {UNAUTHENTICATED, FORBIDDEN}
    if got.status in allowed:
        if got.status == rules.contract.success_status and verdict.leniency:
            return (
                Remark(
                    f"lenient: accepts {verdict.leniency}",
                    f"e.g. {sent.label or verdict.cause}",
                    lenient=True,
                ),
            )
        return ()
    shown = " or ".join(map(str, sorted(allowed)))
    return (
        Violation(
            f"{verdict.cause} answered {got.status}",
            f"{got.status} for {sent.label or verdict.cause}",
            f"{shown} for {verdict.cause}",
        ),
    )


def authentication(rules: Rules, sent: Sent, got: Received) -> Result:
    """A denied credential gets 401 (403 without permission); no response repeats one."""
    found: list[Violation | Remark] = []
    for secret in sent.secrets:
        if len(secret) < MIN_SECRET_LENGTH:
            continue
        where = [name for name, value in got.headers if secret in value]
        if secret.encode("utf-8", "surrogatepass") in got.body:
            where.append("body")
        if where:
            found.append(
                Violation(
                    REFLECTED,
                    f"a presented credential in the response {', '.join(where)}",
                    "responses that never repeat a credential",
                )
            )
            break
    credential = sent.credential
    if credential is None or credential.authenticates:
        return tuple(found)
    if got.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return tuple(found)  # status_conformance reports it
    allowed = expected_statuses(rules.contract, sent)
    if got.status not in allowed:
        wanted = FORBIDDEN if credential is Credential.FORBIDDEN else UNAUTHENTICATED
        found.append(
            Violation(
                f"{credential.value} answered {got.status}",
                f"{got.status} with {credential.value}",
                f"{wanted} ({HTTPStatus(wanted).phrase})"
                + (" or 400 for an invalid body" if INVALID_INPUT in allowed else ""),
            )
        )
    return tuple(found)


def headers(rules: Rules, sent: Sent, got: Received) -> Result:
    """Documented required headers present and valid; the request id unique."""
    contract = rules.contract
    spec = contract.responses.get(got.status)
    required = set(spec.required_headers if spec else ()) | {contract.request_id_header}
    found: list[Violation | Remark] = []
    for name in sorted(required):
        values = got.header_values(name)
        if not values:
            found.append(
                Violation(
                    f"{name} missing",
                    f"a {got.status} response without {name}",
                    f"{name} on every response"
                    if name == contract.request_id_header
                    else f"{name} on every {got.status} response",
                )
            )
            continue
        schema = header_schema(contract, got.status, name) if spec else None
        if schema is not None and not header_valid(contract, got.status, name, values[0]):
            found.append(
                Violation(
                    f"{name} violates its schema",
                    f"{name}: {excerpt(values[0], 80)}",
                    "a value valid against " + json.dumps(schema),
                )
            )
    request_id = got.header(contract.request_id_header)
    if request_id is not None:
        if request_id in rules.memory.request_ids:
            name = contract.request_id_header
            found.append(
                Violation(
                    f"{name} repeated",
                    f"{name}: {excerpt(request_id, 80)}, already sent on an earlier response",
                    f"a {name} unique to each response",
                )
            )
        rules.memory.request_ids.add(request_id)
    return tuple(found)


def _header_pointer(contract: Contract, status: int, name: str) -> str | None:
    at = pointer("paths", contract.path, contract.method.lower(), "responses", str(status))
    try:
        response, final = resolve(contract.document, at)
        for key in (response.get("headers") or {}) if isinstance(response, Mapping) else ():
            if str(key).lower() == name.lower():
                node, where = resolve(contract.document, final + pointer("headers", key))
                if isinstance(node, Mapping) and "schema" in node:
                    return where + "/schema"
    except SpecError:
        return None
    return None


def header_schema(contract: Contract, status: int, name: str) -> Any:
    at = _header_pointer(contract, status, name)
    return resolve(contract.document, at)[0] if at else None


def header_value(schema: Any, raw: str) -> Any:
    """A header's text as the JSON value its schema describes (``Retry-After: 120`` is an
    integer; OpenAPI's simple style)."""
    kind = schema.get("type") if isinstance(schema, Mapping) else None
    kinds = kind if isinstance(kind, list) else [kind]
    text = raw.strip()
    if ("integer" in kinds or "number" in kinds) and text.lstrip("-").isascii():
        try:
            return int(text)
        except ValueError:
            try:
                return float(text) if "number" in kinds else text
            except ValueError:
                return text
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    return raw


def header_valid(contract: Contract, status: int, name: str, raw: str) -> bool:
    at = _header_pointer(contract, status, name)
    if at is None:
        return True
    schema = resolve(contract.document, at)[0]
    return not schema_problems(contract.validator(at, formats=True), header_value(schema, raw))


def _json(got: Received) -> Any:
    """The response body as JSON (a lenient reading where the RFCs leave one open), or
    None when it is not (or cannot be judged)."""
    if got.truncated:
        return None
    document = _document(read_json(got.body), got.body)
    return None if document is NO_BODY else document


NO_BODY: Any = object()
STRICT_JSON = "strict RFC 8259 JSON in UTF-8 under --strict, as for requests"


def _document(reading: JsonReading, body: bytes) -> Any:
    """What a reader makes of a body: the strict document, else what a lenient parser
    reads where the RFCs leave the issue open (``NO_BODY``: nothing)."""
    if reading.ok:
        return reading.document
    if reading.issue not in LENIENT or reading.issue is JsonIssue.TOO_DEEP:
        return NO_BODY
    if reading.issue is JsonIssue.LONE_SURROGATE:
        return reading.document
    documents = lenient_documents(body)
    return documents[0] if documents else NO_BODY


def _body_problems(rules: Rules, got: Received, status: int, what: str) -> list[Violation | Remark]:
    contract = rules.contract
    documented = contract.responses[status].media_type
    received = got.header("content-type")
    if documented is not None and base_media_type(received) != base_media_type(documented):
        return [
            Violation(
                f"{what} with content type {base_media_type(received) or 'none'}",
                f"{got.status} with Content-Type {excerpt(received or '', 80)}, body "
                f"{excerpt(got.body)}",
                f"{documented} for {status}",
            )
        ]
    if got.truncated:
        return [
            Remark(
                f"{what} too large to judge",
                f"{got.status} with a body of more than {len(got.body)} bytes; only that "
                "much was read",
            )
        ]
    reading = read_json(got.body)
    if reading.issue is JsonIssue.TOO_DEEP:
        return [Remark(f"{what} nested too deeply to judge", f"{got.status} {excerpt(got.body)}")]
    document = _document(reading, got.body)
    if document is NO_BODY:
        return [
            Violation(
                f"{what} is not JSON",
                f"{got.status} with body {excerpt(got.body)}",
                f"a JSON body for {status}",
            )
        ]
    found: list[Violation | Remark] = []
    if reading.issue is not None:
        # Read as the request side reads a body: what RFC 8259 leaves open is a note
        # (a finding under --strict), the same issue, the same words.
        found.append(
            Remark(
                f"lenient: {what} with {reading.issue.value}",
                f"{got.status} with body {excerpt(got.body)}: {reading.detail}",
                lenient=True,
                strictly=STRICT_JSON,
            )
        )
    pointer_ = contract.responses[status].schema_pointer
    if pointer_ is None:
        return found
    problems = schema_problems(contract.validator(pointer_, formats=True), document)
    if problems and problems[0].keyword == "depth":
        return [Remark(f"{what} nested too deeply to judge", f"{got.status} {excerpt(got.body)}")]
    if problems:
        first = problems[0]
        where = first.pointer or "body"
        found.append(
            Violation(
                f"{what} fails {first.keyword} at {where}",
                f"{got.status} with body {excerpt(got.body)}: {first.message}",
                f"a body valid against the {status} response schema",
            )
        )
    return found


def error_shape(rules: Rules, sent: Sent, got: Received) -> Result:
    """Documented errors carry the documented media type and a schema-valid body."""
    if got.status < INVALID_INPUT or got.status not in rules.contract.responses:
        return None
    return tuple(_body_problems(rules, got, got.status, f"{got.status} error body"))


def success_shape(rules: Rules, sent: Sent, got: Received) -> Result:
    """Success bodies are schema-valid (formats included); fresh values never repeat."""
    if not 200 <= got.status < 300 or got.status not in rules.contract.responses:
        return None
    found = _body_problems(rules, got, got.status, "success body")
    if any(not isinstance(item, Remark) or not item.lenient for item in found):
        return tuple(found)
    document = _json(got)
    if not isinstance(document, Mapping):
        return ()
    for key in rules.contract.fresh_fields:
        if key not in document:
            continue
        value = json.dumps(document[key], sort_keys=True)
        seen = rules.memory.fresh_values.setdefault(key, set())
        if value in seen:
            found.append(
                Violation(
                    f"{key} repeated",
                    f"{key} {json_excerpt(document[key])}, already returned by an earlier call",
                    f"a new {key} on every call",
                )
            )
        seen.add(value)
    return tuple(found)


Check = Callable[[Rules, Sent, Received], Result]

CHECKS: dict[str, tuple[Check, str]] = {
    "acceptance": (acceptance, "valid bodies get the success status; echoed values come back"),
    "rejection": (rejection, "invalid bodies get 400"),
    "authentication": (authentication, "401/403 without a valid credential; none echoed"),
    "headers": (headers, "documented headers present and valid; request id unique"),
    "error_shape": (error_shape, "errors carry the documented media type and a valid body"),
    "status_conformance": (status_conformance, "only documented statuses, never 5xx"),
    "success_shape": (success_shape, "success bodies are schema-valid with fresh values"),
}


def run_check(name: str, rules: Rules, sent: Sent, got: Received) -> Result | CheckError:
    """Run one check; an exception is returned as an ``CheckError``, never raised."""
    check = CHECKS[name][0]
    try:
        return check(rules, sent, got)
    except Exception as exc:  # one broken check must not silence the others
        frame = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" at {frame[0].filename.rsplit('/', 1)[-1]}:{frame[0].lineno}" if frame else ""
        return CheckError(
            f"{name} raised {type(exc).__name__}",
            f"{type(exc).__name__}: {str(exc)[:300]}{where}",
        )
