"""Recorded traffic as a test suite: ``replay FILE.har`` and ``check FILE.har``.

``replay`` sends each recorded request for the contract's operation again, to
``--base-url``, with the run's own credentials where the recording presented one (the
journal redacts them; a browser's are not ours to reuse), and judges each answer as a run
judges its probes (``Findings``: the shared judge, its ledger, findings grouped by cause,
a curl line per finding). ``check`` sends nothing: it judges the recorded request and
response of each entry with the shared judge, the drift check for traffic captured
elsewhere. Both show and write the same reports, and exit with the same codes, as a run.
Entries for other operations are counted and skipped, in one line.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from apikeys_contract import (
    Contract,
    CredentialState,
    curl_header,
    curl_line,
    judge_body,
    read_credentials,
)
from apikeys_contract.checks import CHECKS, Credential, Received, Rules, Sent, response_excerpt
from apikeys_contract.coverage import Counter
from apikeys_contract.judge import judge_exchange, no_response
from apikeys_contract.ledger import Describe, Ledger, described, example_of
from apikeys_contract.report import Example, Report, check_summaries, prepare_report_path

from ._cli import (
    ENV_PREFIX,
    EXIT_USAGE,
    OPTIONS,
    PROG,
    Option,
    _Parser,
    _required,
    _resolve,
    _summaries,
    _token_hint,
    _version,
    add_options,
    conclude,
)
from ._findings import Findings
from ._har import Exchange, read_har
from ._model import Probe
from ._settings import DEFAULT_TIMEOUT, Settings
from ._transport import Tokens, Transport, TransportError
from ._vetting import vetted_contract
from .engine import TRANSPORT_CHECK, selected_checks
from .errors import ConformanceError, UsageError

REDACTED = "[redacted]"  # what the mock's journal leaves of a credential
# Not replayed as recorded: the transport sets these itself (the connection, the body's
# length and type, the run's credentials), or they name an encoding it may not decode.
NOT_REPLAYED = frozenset(
    {
        "host", "content-length", "content-type", "connection", "keep-alive",
        "transfer-encoding", "te", "upgrade", "accept-encoding", "authorization",
        "proxy-authorization", "cookie",
    }
)  # fmt: skip
# What a curl line of a recorded request leaves to curl.
HOP_BY_HOP = NOT_REPLAYED - {"authorization", "proxy-authorization", "cookie", "content-type"}
SHARED = ("--junit-xml", "--report-json", "--spec", "--checks")
REPLAY = ("--base-url", "--token", "--forbidden-token", "--unknown-token", "--timeout")


@dataclass(frozen=True)
class Outputs:
    """Where a replay's or a check's reports go, and the coverage it must show."""

    junit_xml: str | None = None
    report_json: str | None = None
    require_coverage: Sequence[str] = ()
    summary_md: str | None = None

    def prepare(self) -> None:
        """Refuse, before anything is read or sent, what cannot be written or met."""
        _required(self.require_coverage)
        for path in (self.junit_xml, self.report_json, *_summaries(self.summary_md)):
            problem = prepare_report_path(path) if path else None
            if problem:
                raise UsageError(f"cannot write a report: {problem}")

    def conclude(self, report: Report, hint: str | None, out: TextIO, err: TextIO) -> int:
        return conclude(
            report,
            hint=hint,
            junit_xml=self.junit_xml,
            report_json=self.report_json,
            summaries=_summaries(self.summary_md),
            required=_required(self.require_coverage),
            out=out,
            err=err,
        )


NO_FILES = Outputs()


@dataclass(frozen=True)
class Recorded:
    """The entries of a HAR file for the contract's operation, and how many were not."""

    path: str
    contract: Contract
    entries: list[Exchange]
    skipped: int

    @classmethod
    def read(cls, path: str, contract: Contract) -> Recorded:
        exchanges = read_har(path)
        found = [e for e in exchanges if for_operation(contract, e)]
        if not found:
            raise UsageError(
                f"{path}: none of its {len(exchanges)} entries is a "
                f"{contract.method} {contract.path} request"
            )
        return cls(path, contract, found, len(exchanges) - len(found))

    def heading(self, verb: str, target: str) -> str:
        contract = self.contract
        lines = [
            f"{PROG} {_version()}: {verb} {len(self.entries)} recorded {contract.method} "
            f"{contract.path} requests from {Path(self.path).name} {target}"
        ]
        if self.skipped:
            which = (
                "entry for another operation"
                if self.skipped == 1
                else ("entries for other operations")
            )
            lines.append(f"{self.skipped} {which} skipped (not {contract.method} {contract.path})")
        return "\n".join(lines) + "\n\n"


def for_operation(contract: Contract, exchange: Exchange) -> bool:
    """The contract's operation, under whatever base path the recording's server had."""
    return exchange.method == contract.method and exchange.path.endswith(contract.path)


def security_headers(contract: Contract) -> frozenset[str]:
    return NOT_REPLAYED | {name.lower() for name in contract.security.header_names}


def presented(contract: Contract, exchange: Exchange) -> bool:
    """Did the recorded request present a credential (redacted or not)?"""
    names = {name.lower() for name in contract.security.header_names}
    if any(name in names for name, _ in exchange.headers):
        return True
    reading = read_credentials(contract.security, headers=exchange.headers, query=exchange.query)
    return reading.state is not CredentialState.MISSING


def replay(
    *,
    har: str,
    base_url: str,
    token: str,
    forbidden_token: str | None = None,
    unknown_token: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    spec: str | None = None,
    strict: bool = False,
    checks: str | None = None,
    outputs: Outputs = NO_FILES,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Send the recorded requests of ``har`` to ``base_url``; judge the answers."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        outputs.prepare()
        settings = Settings(
            base_url=base_url,
            tokens=Tokens(token, forbidden_token or None, unknown_token or None),
            timeout=timeout,
            spec=spec,
            strict=strict,
            checks=selected_checks(checks.split(",")) if checks else None,
        )
        contract, _ = vetted_contract(spec)
        recorded = Recorded.read(har, contract)
        transport = Transport(
            settings.base_url + contract.path,
            settings.tokens,
            timeout=timeout,
            security=contract.security,
            method=contract.method,
        )
        out.write(recorded.heading("replaying", f"to {transport.url}"))
        report = _replayed(recorded, settings, transport)
    except ConformanceError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    return outputs.conclude(report, _token_hint(settings.tokens, report), out, err)


def _replayed(recorded: Recorded, settings: Settings, transport: Transport) -> Report:
    contract = recorded.contract
    findings = Findings(
        contract,
        transport,
        settings.tokens,
        selected=settings.checks or tuple(CHECKS),
        strict=settings.strict,
    )
    report = Report(
        target=transport.url,
        seed=0,
        profile="replay",
        checks=findings.ledger.checks,
        strict=settings.strict,
    )
    started = time.monotonic()
    answered = 0
    try:
        for exchange in recorded.entries:
            probe = replayed_probe(contract, exchange)
            try:
                reply = transport.send(probe)
            except TransportError as exc:
                if not answered and exchange is recorded.entries[-1]:
                    raise UsageError(f"cannot reach {transport.url}: {exc}") from None
                _no_answer(findings, probe, exc, settings.timeout)
                continue
            answered += 1
            findings.judge(probe, reply)
    finally:
        transport.close()
    if not answered:
        raise UsageError(f"cannot reach {transport.url}: no recorded request got an answer")
    findings.fill(report)
    report.requests = transport.sent
    report.duration = time.monotonic() - started
    _skipped(report)
    return report


def replayed_probe(contract: Contract, exchange: Exchange) -> Probe:
    """``exchange``'s request as a probe: its body, media type and other headers as
    recorded, the run's valid token where it presented a credential, none where not."""
    content_type = exchange.header("content-type")
    credential = Credential.VALID if presented(contract, exchange) else Credential.NONE
    dropped = security_headers(contract)
    return Probe(
        kind=f"HAR entry {exchange.index}",
        body=exchange.body,
        content_type=content_type,
        verdict=judge_body(contract, exchange.body, content_type),
        credential=credential,
        extra_headers=tuple((k, v) for k, v in exchange.headers if k not in dropped),
    )


def _no_answer(findings: Findings, probe: Probe, exc: TransportError, timeout: float) -> None:
    findings.count(probe, None)
    summary = findings.ledger.summary(TRANSPORT_CHECK)
    summary.seconds += exc.elapsed
    summary.failed += 1
    violation = no_response(
        f"{exc} for {probe.kind}",
        f"an HTTP response with a documented status to every request, within {timeout:g} s",
    )
    findings.record(TRANSPORT_CHECK, violation, probe)


def check(
    *,
    har: str,
    spec: str | None = None,
    strict: bool = False,
    checks: str | None = None,
    outputs: Outputs = NO_FILES,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Judge the recorded exchanges of ``har`` without sending anything."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        outputs.prepare()
        selected = selected_checks(checks.split(",")) if checks else tuple(CHECKS)
        contract, _ = vetted_contract(spec)
        recorded = Recorded.read(har, contract)
        out.write(recorded.heading("checking", "offline"))
        report = _checked(recorded, selected, strict, out)
    except ConformanceError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    return outputs.conclude(report, None, out, err)


def _checked(recorded: Recorded, selected: tuple[str, ...], strict: bool, out: TextIO) -> Report:
    contract = recorded.contract
    rules = Rules(contract)
    ledger = Ledger(check_summaries(described(), selected), counter=Counter(contract))
    unanswered = 0
    hidden: set[str] = set()
    for exchange in recorded.entries:
        answer = exchange.response
        if answer is None:
            unanswered += 1
            continue
        received = Received(answer.status, answer.headers, answer.body, answer.truncated)
        sent = recorded_sent(contract, exchange)
        ledger.exchanges += 1
        ledger.learn(contract.secrets_in(answer.status, answer.body))
        judgement = judge_exchange(rules, sent, received, checks=selected, strict=strict)
        ledger.observe(sent, received, judgement)
        ledger.take(
            judgement,
            _describer(exchange, received),
            label=sent.label,
            secrets=sent.secrets,
        )
        hidden.update(_forget_redacted(rules, answer.body))
    if unanswered:
        which = "entry has" if unanswered == 1 else "entries have"
        out.write(f"{unanswered} {which} no recorded response: not judged\n\n")
    if hidden:
        out.write(
            f"{', '.join(sorted(hidden))} redacted in the recording: its freshness (a new "
            "value on every call) not judged\n\n"
        )
    report = ledger.report(f"{Path(recorded.path).name} (recorded)", profile="check", strict=strict)
    _skipped(report)
    return report


def _forget_redacted(rules: Rules, body: bytes) -> list[str]:
    """The fresh properties ``body`` holds redacted (the journal hides generated secrets),
    forgotten by the rules' memory: one ``[redacted]`` is no repeat of another."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(document, dict):
        return []
    found = [key for key in rules.contract.fresh_fields if document.get(key) == REDACTED]
    for key in found:
        rules.memory.fresh_values.get(key, set()).discard(json.dumps(REDACTED))
    return found


def recorded_sent(contract: Contract, exchange: Exchange) -> Sent:
    """What the rules need of a recorded request. Whether a credential it presented was
    valid is not known offline (None), unless it presented none or a malformed one."""
    reading = read_credentials(contract.security, headers=exchange.headers, query=exchange.query)
    secrets = tuple(
        r.token
        for alternative in reading.alternatives
        for r in alternative.readings
        if r.token and r.token != REDACTED
    )
    redacted = any(value == REDACTED for _, value in exchange.headers)
    role: Credential | None = None
    if redacted:
        role = None
    elif reading.state is CredentialState.MISSING:
        role = Credential.NONE if reading.security.required else None
    elif reading.state is CredentialState.MALFORMED:
        role = Credential.EMPTY
    verdict = judge_body(contract, exchange.body, exchange.header("content-type"))
    return Sent(verdict, role, secrets, f"HAR entry {exchange.index}")


def _describer(exchange: Exchange, received: Received) -> Describe:
    def describe() -> Example:
        options: list[str] = []
        for name, value in exchange.headers:
            if name not in HOP_BY_HOP:
                options += ["-H", curl_header(f"{name}: {value}".encode("utf-8", "surrogatepass"))]
        line = curl_line(exchange.method, shlex.quote(exchange.url), options, exchange.body)
        return example_of(
            f"HAR entry {exchange.index}",
            line,
            exchange.body,
            received.status,
            response_excerpt(received),
        )

    return describe


def _skipped(report: Report) -> None:
    for summary in report.checks:
        if not summary.selected:
            summary.skipped_reason = "not selected (--checks)"
        elif not summary.ran:
            summary.skipped_reason = "no recorded exchange it applies to"


def build_parser(command: str) -> argparse.ArgumentParser:
    what = {
        "replay": "Send the recorded requests of a HAR file to --base-url and judge the answers.",
        "check": "Judge the recorded exchanges of a HAR file offline, sending nothing.",
    }[command]
    parser = _Parser(
        prog=f"{PROG} {command}",
        description=what,
        epilog="Exit status: 0 conforms, 1 violations, 2 usage error, unreadable HAR or "
        "unreachable target, 3 internal error, 4 conforms but covered less than "
        "--require-coverage asks.",
    )
    parser.add_argument("har", metavar="FILE.har", help="a HAR 1.2 (or 1.1) file")
    add_options(parser, _options(command))
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail on behaviour the contract leaves open",
    )
    parser.add_argument(
        "--require-coverage",
        action="append",
        metavar="TERMS",
        help="fail (exit 4) unless the recording covered these, as for a run "
        f"[{ENV_PREFIX}REQUIRE_COVERAGE]",
    )
    parser.add_argument(
        "--summary-md",
        metavar="PATH",
        help="append a Markdown summary to PATH (and to $GITHUB_STEP_SUMMARY when set) "
        f"[{ENV_PREFIX}SUMMARY_MD]",
    )
    return parser


def _options(command: str) -> list[Option]:
    wanted = (*REPLAY, *SHARED) if command == "replay" else SHARED
    return [option for option in OPTIONS if option[0] in wanted]


def main(argv: Sequence[str]) -> int:
    command, rest = argv[0], argv[1:]
    parser = build_parser(command)
    args = parser.parse_args(rest)
    required = ("base_url", "token") if command == "replay" else ()
    values = _resolve(parser, args, _options(command), required)
    terms = args.require_coverage or [os.environ.get(ENV_PREFIX + "REQUIRE_COVERAGE", "")]
    outputs = Outputs(
        junit_xml=values.pop("junit_xml"),  # type: ignore[arg-type]
        report_json=values.pop("report_json"),  # type: ignore[arg-type]
        require_coverage=[term for term in terms if term.strip()],
        summary_md=args.summary_md or os.environ.get(ENV_PREFIX + "SUMMARY_MD") or None,
    )
    run = replay if command == "replay" else check
    return run(har=args.har, strict=args.strict, outputs=outputs, **values)  # type: ignore[arg-type]
