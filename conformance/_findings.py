"""The harness's findings: each probe and its reply through the shared judge
(``apikeys_contract.judge``), kept in its ledger with what grouping by cause needs.

A finding's example is the clearest probe that showed it: fixed boundary probes first
(minimal by construction), then examples Hypothesis shrank, then raw generated ones; then
fewest traits, fewest bytes. At the end the ledger's entries are grouped by cause
(``_causes.group``) into the report's findings.
"""

from __future__ import annotations

from apikeys_contract import Answer, Contract
from apikeys_contract.checks import (
    CHECKS,
    DENIED,
    Credential,
    Received,
    Rules,
    Violation,
    response_excerpt,
)
from apikeys_contract.coverage import Counter
from apikeys_contract.judge import judge_exchange
from apikeys_contract.ledger import Key, Ledger, example_of
from apikeys_contract.report import Example, Report, check_summaries

from ._causes import (
    DENIED_STATUSES,
    Failure,
    Tally,
    group,
    probe_cause,
    sent_shape_of,
    shape_of,
    traits_of,
)
from ._curl import curl_command
from ._model import Probe
from ._transport import Tokens, Transport

BOUNDARY, SHRUNK, GENERATED = range(3)
Context = tuple[str, Credential, frozenset[str], str]  # shape, credential, traits, sent shape


class Findings:
    """What the harness found so far, every token and secret a response carried masked."""

    def __init__(
        self,
        contract: Contract,
        transport: Transport,
        tokens: Tokens,
        *,
        selected: tuple[str, ...],
        strict: bool,
    ) -> None:
        self.contract = contract
        self.rules = Rules(contract)
        self.transport = transport
        self.tokens = tokens
        self.selected = selected
        self.strict = strict
        self.ledger = Ledger(
            check_summaries({n: d for n, (_, d) in CHECKS.items()}, selected),
            set(tokens.secrets),
            counter=Counter(contract),
        )
        self.tally = Tally()
        self.rank = BOUNDARY  # the phase's: see the module's docstring
        # The credentials of the probes that showed a violation, and what a target that
        # accepted the never-issued token answered it: for the opt-out hint.
        self.failing_credentials: set[Credential] = set()
        self.unknown_accepted: int | None = None

    def judge(self, probe: Probe, reply: Received) -> set[Key]:
        """Judge one exchange; the keys of the violations it showed."""
        self.ledger.learn(self.contract.secrets_in(reply.status, reply.body))
        self.count(probe, reply)
        if probe.credential is Credential.UNKNOWN and 200 <= reply.status < 300:
            self.unknown_accepted = reply.status
        sent = probe.sent(self.tokens.presented(probe.credential))
        judgement = judge_exchange(
            self.rules, sent, reply, checks=self.selected, strict=self.strict
        )
        violated = self.ledger.take(
            judgement,
            lambda: self.example(probe, reply),
            label=probe.kind,
            group=lambda check, summary: probe_cause(check, summary, probe),
            slot=(shape_of(probe), traits_of(self.contract, probe)),
            rank=self.rank_of(probe),
            size=probe.size,
            context=lambda: self.context(probe),
            elapsed=reply.elapsed,
        )
        self.ledger.observe(sent, reply, judgement)
        if violated:
            self.failing_credentials.add(probe.credential)
        return violated

    def record(self, check: str, violation: Violation, probe: Probe) -> Key:
        """Keep a violation seen without a reply (no HTTP response)."""
        self.failing_credentials.add(probe.credential)
        summary = self.ledger.mask(violation.summary)
        key: Key = (check, summary, probe_cause(check, summary, probe))
        self.ledger.record(
            key,
            violation,
            lambda: self.example(probe, None),
            label=probe.kind,
            slot=(shape_of(probe), traits_of(self.contract, probe)),
            rank=self.rank_of(probe),
            size=probe.size,
            context=lambda: self.context(probe),
        )
        return key

    def seen(self) -> list[Key]:
        return [key for key, _ in self.ledger.entries]

    def count(self, probe: Probe, reply: Received | None) -> None:
        """What grouping by cause needs to know of every exchange."""
        tally = self.tally
        tally.exchanges += 1
        self.ledger.exchanges = tally.exchanges
        tally.traits.update(traits_of(self.contract, probe))
        if reply is None:
            return
        status = reply.status
        success = 200 <= status < 300
        if success:
            tally.successes += 1
            tally.success_bodies.add(reply.body)
        if probe.credential is Credential.VALID:
            answers = probe.verdict.answers
            if Answer.SUCCESS not in answers:
                tally.invalid += 1
                tally.invalid_refused += not success
            elif Answer.INVALID in answers and success:
                tally.lenient_accepted.add(tally.exchanges)
        elif probe.credential in DENIED or probe.credential is Credential.FORBIDDEN:
            tally.denied += 1
            tally.denied_refused += status in DENIED_STATUSES

    def example(self, probe: Probe, reply: Received | None) -> Example:
        # The body is masked as the curl line is (by the ledger), so the two always agree
        # (a probe's body holds no token: only the transport puts one on the wire).
        return example_of(
            probe.kind,
            curl_command(self.transport, probe),
            probe.body,
            reply.status if reply else None,
            response_excerpt(reply),
        )

    def rank_of(self, probe: Probe) -> tuple[int, int, int]:
        return (self.rank, probe.kind.count(", "), probe.size)

    def context(self, probe: Probe) -> Context:
        """What grouping by cause needs to know of a finding's first probe."""
        traits = traits_of(self.contract, probe)
        return (shape_of(probe), probe.credential, traits, sent_shape_of(probe))

    def failures(self) -> list[Failure]:
        """Every entry of the ledger, as grouping by cause takes them."""
        failures = []
        for (key, _), entry in self.ledger.entries.items():
            shape, credential, traits, sent_shape = entry.context
            failures.append(
                Failure(
                    entry.finding,
                    entry.rank,
                    str(key[2]),
                    shape,
                    credential,
                    traits,
                    entry.exchanges,
                    sent_shape,
                )
            )
        return failures

    def fill(self, report: Report) -> None:
        """Put the findings (grouped by cause), the notes and the internal errors in
        ``report``, with the hint a target that accepts any token calls for."""
        failures = self.failures()
        kept = self.ledger.report(report.target)
        report.findings = group(failures, self.tally, list(CHECKS))
        report.notes, report.internal_errors = kept.notes, kept.internal_errors
        report.coverage = kept.coverage
        if failures and self.failing_credentials == {Credential.UNKNOWN}:
            accepted = self.unknown_accepted
            if accepted is not None:
                report.hints.append(
                    f"only the never-issued token failed, and the target accepted it "
                    f"({accepted}): it accepts any token. If it does so on purpose (a demo "
                    "target, such as the mock with its default token policy), leave this "
                    "check out with --no-unknown-token-check "
                    "(APIKEYS_CONFORMANCE_NO_UNKNOWN_TOKEN_CHECK=1)"
                )
