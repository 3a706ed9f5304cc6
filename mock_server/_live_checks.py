"""The contract's rules applied to live traffic: one request and the response it got.

Nothing here is a second copy of a rule. The request side is ``judge_body`` and
``read_credentials`` (a request the contract refuses outright is the client's violation,
under the check name ``request``); the response side is every check of
``apikeys_contract.checks``, run with ``run_check`` exactly as the harness runs it. A proxy
sees the credential presented, not whether it is valid, so ``Sent.credential`` is None
(role unknown) unless the request presents none, a malformed one, or a token policy says
what the token is. The session remembers request ids and fresh values across exchanges,
and each distinct violation once, with its first example, for the run report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from apikeys_contract import (
    Answer,
    Contract,
    CredentialState,
    SecurityReading,
    judge_body,
    read_credentials,
)
from apikeys_contract.checks import (
    CHECKS,
    Credential,
    InternalError,
    Memory,
    Note,
    Received,
    Rules,
    Sent,
    Violation,
    excerpt,
    run_check,
)

from ._journal import REDACTED
from ._journal import Violation as Broken
from ._journal_view import REQUEST_CHECK
from ._tokens import TokenPolicy, Verdict

# X-Contract-Violations stays well under the header sizes servers and browsers accept.
HEADER_LIMIT = 4096
# How much of a request body the messages quote.
BODY_EXCERPT = 60
SECURITY_SAYS = "credentials presented as the contract's security requires"
TRUNCATED = {"check": "…", "message": "more violations: see the journal or the log"}
ROLES = {
    Verdict.ALLOWED: Credential.VALID,
    Verdict.FORBIDDEN: Credential.FORBIDDEN,
    Verdict.EXPIRED: Credential.UNKNOWN,
    Verdict.UNKNOWN: Credential.UNKNOWN,
}


@dataclass(frozen=True)
class LiveRequest:
    """What the client sent: header pairs as on the wire (names lower-case)."""

    method: str
    path: str
    query: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def header(self, name: bytes) -> str | None:
        return next((v.decode("latin-1") for k, v in self.headers if k == name), None)


@dataclass(frozen=True)
class RequestJudgement:
    """What a request broke: ``violations`` as the header and journal show them, and
    ``found``, the same for the run report (what was received, what the contract says)."""

    sent: Sent
    violations: tuple[Broken, ...]
    found: tuple[Violation, ...] = ()


def judge_request(
    contract: Contract, request: LiveRequest, tokens: TokenPolicy | None = None
) -> RequestJudgement:
    """Does the client send what the contract accepts? Never raises."""
    reading = read_credentials(contract.security, headers=request.headers, query=request.query)
    secrets = tuple(
        r.token for alternative in reading.alternatives for r in alternative.readings if r.token
    )
    verdict = judge_body(contract, request.body, request.header(b"content-type"))
    # What the rules' messages quote the request by: the body it sent, as the harness
    # quotes a probe by its kind (the verdict's cause is in the messages already).
    quoted = mask(excerpt(request.body, BODY_EXCERPT), secrets)
    shown: list[Broken] = []
    found: list[Violation] = []
    if reading.state is not CredentialState.SATISFIED:
        summary = f"credentials the contract refuses: {reading.message.rstrip('.')}"
        shown.append(Broken(REQUEST_CHECK, summary))
        what = "no" if reading.state is CredentialState.MISSING else "a malformed"
        found.append(Violation(summary, f"a request with {what} credential", SECURITY_SAYS))
    if Answer.SUCCESS not in verdict.answers:
        problems = tuple(p.as_dict() for p in verdict.problems)
        summary = f"a body the contract refuses: {verdict.cause}"
        shown.append(Broken(REQUEST_CHECK, summary, problems))
        detail = f": {mask(verdict.problems[0].message, secrets)}" if verdict.problems else ""
        documented = f"a body valid against the request schema, as {contract.request_media_type}"
        found.append(Violation(summary, f"body {quoted}{detail}", documented))
    sent = Sent(verdict, _role(reading, tokens), secrets, quoted)
    return RequestJudgement(sent, tuple(shown), tuple(found))


def _role(reading: SecurityReading, tokens: TokenPolicy | None) -> Credential | None:
    state = reading.state
    if state is CredentialState.MISSING:
        return Credential.NONE if reading.security.required else None
    if state is CredentialState.MALFORMED:
        return Credential.EMPTY
    met = reading.satisfied
    if tokens is None or met is None or not met.credentials:
        return None  # the proxy sees a credential, not whether it is valid
    roles = [ROLES[tokens.verdict(token)] for _, token in met.credentials]
    for role in (Credential.UNKNOWN, Credential.FORBIDDEN):
        if role in roles:
            return role
    return Credential.VALID


@dataclass(frozen=True)
class Sample:
    """An exchange as the run report shows it: a line, a curl command that sends the
    request again, the status, the request body sent and an excerpt of the response;
    every secret already masked."""

    text: str
    curl: str
    status: int | None
    body: bytes = b""
    excerpt: str = ""


# An exchange's Sample, built only when the exchange is the first example of a finding.
Describe = Callable[[], Sample]


@dataclass
class Seen:
    """One distinct violation (or note) of a session, with its first example."""

    check: str
    summary: str
    received: str
    documented: str
    example: Sample
    occurrences: int = 1
    lenient: bool = False


@dataclass
class Session:
    """A proxy run: the rules' memory, counts per check, and each distinct finding once."""

    contract: Contract
    started: float = field(default_factory=time.time)
    rules: Rules = field(init=False)
    requests: int = 0
    passed: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    findings: dict[tuple[str, str], Seen] = field(default_factory=dict)
    notes: dict[tuple[str, str], Seen] = field(default_factory=dict)
    internal_errors: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rules = Rules(self.contract, Memory())

    def judge_response(
        self, sent: Sent, received: Received, example: Describe, masked: Iterable[str] = ()
    ) -> tuple[Broken, ...]:
        """Run every check on one exchange; remember what it found. Never raises."""
        self.requests += 1
        hidden = [s for s in (*sent.secrets, *masked) if s]
        found: list[Broken] = []
        for name in CHECKS:
            result = run_check(name, self.rules, sent, received)
            if isinstance(result, InternalError):
                self.internal_errors.setdefault(result.summary, mask(result.detail, hidden))
                continue
            if result is None:
                continue
            violations = [r for r in result if isinstance(r, Violation)]
            tally = self.failed if violations else self.passed
            tally[name] = tally.get(name, 0) + 1
            for item in result:
                self._remember(name, item, example, hidden)
            found += [
                Broken(name, mask(f"{v.summary}: received {v.received}", hidden))
                for v in violations
            ]
        return tuple(found)

    def count_request(self, judged: RequestJudgement, example: Describe) -> None:
        """Remember the client's own violations (check ``request``)."""
        tally = self.failed if judged.found else self.passed
        tally[REQUEST_CHECK] = tally.get(REQUEST_CHECK, 0) + 1
        for item in judged.found:
            self._remember(REQUEST_CHECK, item, example, [])

    def no_answer(self, reason: str, example: Describe) -> Broken:
        """An upstream that gave no HTTP answer: reported as the harness does, under
        ``status_conformance``."""
        self.requests += 1
        self.failed["status_conformance"] = self.failed.get("status_conformance", 0) + 1
        summary = "no HTTP answer"
        documented = f"an answer within the timeout, with one of statuses {self.rules.statuses}"
        self._remember("status_conformance", Violation(summary, reason, documented), example, [])
        return Broken("status_conformance", f"{summary}: {reason}")

    def _remember(
        self, check: str, item: Violation | Note, example: Describe, hidden: list[str]
    ) -> None:
        store = self.findings if isinstance(item, Violation) else self.notes
        key = (check, item.summary)
        if key in store:
            store[key].occurrences += 1
            return
        if isinstance(item, Violation):
            store[key] = Seen(
                check,
                mask(item.summary, hidden),
                mask(item.received, hidden),
                mask(item.documented, hidden),
                example(),
            )
        else:
            store[key] = Seen(
                check, mask(item.summary, hidden), mask(item.detail, hidden), "", example(),
                lenient=item.lenient,
            )  # fmt: skip


def mask(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def secret_values(contract: Contract, status: int, body: bytes) -> tuple[str, ...]:
    """The generated secrets in a success body (``Contract.secret_fields``), to mask."""
    if not contract.secret_fields or not 200 <= status < 300:
        return ()
    try:
        document = json.loads(body)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return ()
    if not isinstance(document, Mapping):
        return ()
    values = (document.get(key) for key in contract.secret_fields)
    return tuple(v if isinstance(v, str) else json.dumps(v) for v in values if v is not None)


def violations_header(violations: Iterable[Broken], limit: int = HEADER_LIMIT) -> str | None:
    """``X-Contract-Violations``: a JSON array of ``{"check", "message"}`` in ASCII, at most
    ``limit`` characters; what does not fit is replaced by one marker entry. None when
    there is nothing to say."""
    items = [{"check": v.check, "message": v.message} for v in violations]
    if not items:
        return None
    text = json.dumps(items, ensure_ascii=True)
    if len(text) <= limit:
        return text
    kept: list[dict[str, str]] = []
    for item in items:
        shown = {"check": item["check"], "message": item["message"][:300]}
        candidate = json.dumps([*kept, shown, TRUNCATED], ensure_ascii=True)
        if len(candidate) > limit:
            break
        kept.append(shown)
    return json.dumps([*kept, TRUNCATED], ensure_ascii=True)
