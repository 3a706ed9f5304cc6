"""What the validation proxy keeps of an exchange, every credential and secret removed:
its journal record, and a curl line that sends its request to the upstream again."""

from __future__ import annotations

import shlex

from apikeys_contract import curl_header, curl_line, quoted_with_variable

from ..journal import (
    BODY_LIMIT,
    REDACTED,
    REDACTED_BYTES,
    BrokenRule,
    Record,
    Redactor,
    scrub,
    scrub_pairs,
)
from ._live_checks import LiveRequest

OTHER_ENCODINGS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
# What a reproducer reads the credential it presents from.
CREDENTIAL_VARIABLE = "APIKEYS_PROXY_CREDENTIAL"


def journal_record(
    redactor: Redactor,
    request: LiveRequest,
    *,
    wall: float,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    truncated: bool,
    violations: tuple[BrokenRule, ...],
    hidden: tuple[str, ...],
    duration_s: float,
    operation: bool,
) -> Record:
    """The exchange as the journal keeps it: redacted as the contract says, and every
    credential presented and secret generated (``hidden``) scrubbed wherever it shows."""
    raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    return Record(
        time=wall,
        method=request.method,
        path=request.path,
        query=redactor.query_string(request.query),
        request_headers=scrub_pairs(redactor.header_pairs(request.headers), hidden),
        request_body=scrub(request.body[:BODY_LIMIT], hidden),
        status=status,
        response_headers=scrub_pairs(redactor.header_pairs(raw_headers), hidden),
        response_body=scrub_encoded(redactor.response_body(status, body[:BODY_LIMIT]), hidden),
        duration=duration_s,
        operation=operation,
        violations=violations,
        request_truncated=len(request.body) > BODY_LIMIT,
        response_truncated=truncated or len(body) > BODY_LIMIT,
    )


def scrub_encoded(data: bytes, secrets: tuple[str, ...]) -> bytes:
    """``scrub``, also where the body is UTF-16 or UTF-32 text (JSON a lenient reader takes,
    whose secrets ``Contract.secrets_in`` finds but whose bytes are not UTF-8)."""
    data = scrub(data, secrets)
    for encoding in OTHER_ENCODINGS:
        mask = REDACTED.encode(encoding)
        for secret in secrets:
            data = data.replace(secret.encode(encoding, "surrogatepass"), mask)
    return data


def reproducer(redactor: Redactor, base_url: str, request: LiveRequest, body: bytes) -> str:
    """A POSIX shell line that sends ``request`` with ``body`` (any bytes) to the upstream
    at ``base_url`` again, with its Content-Type; a credential as
    ``$APIKEYS_PROXY_CREDENTIAL``."""
    query = redactor.query_string(request.query).decode("latin-1")
    url = base_url + request.path + (f"?{query}" if query else "")
    options: list[str] = []
    shown = redactor.header_pairs(request.headers)
    for (name, value), (_, raw) in zip(shown, request.headers, strict=True):
        if value == REDACTED_BYTES:
            scheme, space, _ = raw.decode("latin-1").strip().partition(" ")
            prefix = f"{scheme} " if space and name == b"authorization" else ""
            line = f"{name.decode('latin-1')}: {prefix}{REDACTED}"
            options += ["-H", quoted_with_variable(line, REDACTED, CREDENTIAL_VARIABLE)]
        elif name == b"content-type":
            options += ["-H", curl_header(name + b": " + value)]
    typed = any(name == b"content-type" for name, _ in request.headers)
    return curl_line(request.method, shlex.quote(url), options, body, content_type=typed)
