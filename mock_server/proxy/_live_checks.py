"""The contract's rules applied to live traffic: one request and the response it got.

Nothing here is a second copy of a rule. The request side is ``judge_body`` and
``read_credentials`` (a request the contract refuses outright is the client's violation,
under the check name ``request``); the response side is the shared judge
(``apikeys_contract.judge``), exactly as the harness runs it. A proxy
sees the credential presented, not whether it is valid, so ``Sent.credential`` is None
(role unknown) unless the request presents none, a malformed one, or a token policy says
what the token is. The session remembers request ids and fresh values across exchanges;
its ledger (``apikeys_contract.ledger``, the harness's) keeps each distinct violation once,
with its first example.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from apikeys_contract import (
    Answer,
    Contract,
    CredentialState,
    SecurityReading,
    judge_body,
    read_credentials,
)
from apikeys_contract.checks import Credential, Memory, Received, Rules, Sent, Violation, excerpt
from apikeys_contract.coverage import Counter
from apikeys_contract.judge import judge_exchange, no_response
from apikeys_contract.ledger import Describe, Key, Ledger, described, mask
from apikeys_contract.report import check_summaries

from ..journal import REQUEST_CHECK, BrokenRule
from ..mock import TokenPolicy, Verdict

# X-Contract-Violations stays well under the header sizes servers and browsers accept.
HEADER_LIMIT = 4096
# How much of a request body the messages quote.
BODY_EXCERPT = 60
NO_RESPONSE_CHECK = "status_conformance"
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
    violations: tuple[BrokenRule, ...]
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
    shown: list[BrokenRule] = []
    found: list[Violation] = []
    if reading.state is not CredentialState.SATISFIED:
        summary = f"credentials the contract refuses: {reading.message.rstrip('.')}"
        shown.append(BrokenRule(REQUEST_CHECK, summary))
        what = "no" if reading.state is CredentialState.MISSING else "a malformed"
        found.append(Violation(summary, f"a request with {what} credential", SECURITY_SAYS))
    if Answer.SUCCESS not in verdict.answers:
        problems = tuple(p.as_dict() for p in verdict.problems)
        summary = f"a body the contract refuses: {verdict.cause}"
        shown.append(BrokenRule(REQUEST_CHECK, summary, problems))
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


REQUEST_DESCRIPTION = "the client sends what the contract accepts (body and credentials)"


@dataclass
class Session:
    """A proxy run: the rules' memory (request ids, fresh values), and the shared ledger
    that keeps each distinct finding once, with its first example, for the run report."""

    contract: Contract
    rules: Rules = field(init=False)
    ledger: Ledger = field(init=False)

    def __post_init__(self) -> None:
        self.rules = Rules(self.contract, Memory())
        self.ledger = Ledger(
            check_summaries({REQUEST_CHECK: REQUEST_DESCRIPTION} | described()),
            counter=Counter(self.contract),
        )

    def judge_response(
        self, sent: Sent, received: Received, example: Describe, masked: Iterable[str] = ()
    ) -> tuple[BrokenRule, ...]:
        """Run every check on one exchange; remember what it found. Never raises."""
        self.ledger.exchanges += 1
        hidden = tuple(s for s in (*sent.secrets, *masked) if s)
        judgement = judge_exchange(self.rules, sent, received)
        self.ledger.take(judgement, example, label=sent.label, secrets=hidden)
        self.ledger.observe(sent, received, judgement)
        return tuple(
            BrokenRule(check, mask(f"{v.summary}: received {v.received}", hidden))
            for check, v in judgement.violations
        )

    def count_request(self, judged: RequestJudgement, example: Describe) -> None:
        """Remember the client's own violations (check ``request``)."""
        summary = self.ledger.summary(REQUEST_CHECK)
        if judged.found:
            summary.failed += 1
        else:
            summary.passed += 1
        for item in judged.found:
            key: Key = (REQUEST_CHECK, self.ledger.mask(item.summary), "")
            self.ledger.record(key, item, example)

    def no_answer(self, reason: str, example: Describe) -> BrokenRule:
        """An upstream that gave no HTTP response: reported as the harness does, under
        ``status_conformance``."""
        self.ledger.exchanges += 1
        self.ledger.summary(NO_RESPONSE_CHECK).failed += 1
        documented = f"an answer within the timeout, with one of statuses {self.rules.statuses}"
        violation = no_response(reason, documented)
        self.ledger.record((NO_RESPONSE_CHECK, violation.summary, ""), violation, example)
        return BrokenRule(NO_RESPONSE_CHECK, f"{violation.summary}: {reason}")


def violations_header(violations: Iterable[BrokenRule], limit: int = HEADER_LIMIT) -> str | None:
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
