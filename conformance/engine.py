"""Runs the probes against a target and turns every exchange into check results.

The engine emits events (``conformance._model.Event``) to a listener and returns a
``Report``; it imports no terminal or report code. It never hides a failure of its own: an
exception in a check, in generation or in the engine is an ``InternalError`` in the report
(exit status 3), the run keeps what it found, and a phase that stops early says so.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from apikeys_contract import Answer, Contract, SpecError, load_contract, request_body_text
from apikeys_contract.checks import (
    CHECKS,
    DENIED,
    Credential,
    InternalError,
    Note,
    Rules,
    Violation,
    missing_statuses,
    response_excerpt,
    run_check,
)

from . import strategies
from ._causes import (
    DENIED_STATUSES,
    Failure,
    Tally,
    answers_the_body,
    group,
    probe_cause,
    sent_shape_of,
    shape_of,
    traits_of,
)
from ._curl import curl_command, mask
from ._fields import RequestShape, encode
from ._model import (
    CheckSummary,
    Event,
    Example,
    Exchange,
    Finding,
    PhaseFinished,
    PhaseStarted,
    Probe,
    ProbeSent,
    Reply,
    Report,
    RunFinished,
)
from ._model import InternalError as HarnessError
from ._model import Note as ReportNote
from ._probes import Budget, boundary_probes, make_probe
from ._schemathesis import schemathesis_probes
from ._settings import Settings
from ._stack_probes import stack_probes
from ._transport import Transport, TransportError
from .errors import TargetUnreachable, UsageError

# After this many transport failures in a row, a plain valid request asks whether the
# target is still there; the run ends only when that one gets no answer either.
MAX_CONSECUTIVE_FAILURES = 3
TRANSPORT_CHECK = "status_conformance"
BOUNDARY, SHRUNK, GENERATED = range(3)
# When the first probes all get these, nothing serves the operation at that URL (often
# --base-url holds the path already): the run stops there instead of sending the rest.
WRONG_PATH_STATUSES = (404, 405)
WRONG_PATH_PROBES = 5

Listener = Callable[[Event], None]
Key = tuple[str, str, str]  # check, summary, the probe's cause


class _Aborted(BaseException):
    """Not an Exception, so that Hypothesis lets it through at once instead of shrinking."""


class _Found(Exception):
    pass


def _ignore(event: Event) -> None:
    pass


class Engine:
    def __init__(self, settings: Settings, *, listener: Listener = _ignore) -> None:
        self.settings = settings
        self.emit = listener
        try:
            contract = load_contract(settings.spec)
            missing = missing_statuses(contract)
            if missing:
                raise SpecError(
                    f"{contract.origin}: the operation does not document statuses "
                    f"{', '.join(map(str, missing))}, which the checks rely on"
                )
            refusal = contract.security.refusal(contract.origin)
            if refusal is not None:
                raise SpecError(refusal)
            self.shape = RequestShape(contract)
            self.shape.base  # noqa: B018 - fail now on a request schema with no valid body
            self.shape.fields  # noqa: B018
        except SpecError as exc:
            raise UsageError(str(exc)) from exc
        except RecursionError:
            raise UsageError(f"{settings.spec}: the contract's $refs form a cycle") from None
        self.contract = contract
        self.rules = Rules(contract)
        url = settings.base_url + contract.path
        self.transport = Transport(
            url,
            settings.tokens,
            timeout=settings.timeout,
            rate_limit=settings.rate_limit,
            security=contract.security,
        )
        selected = settings.checks or tuple(CHECKS)
        self.report = Report(
            target=url,
            seed=settings.seed,
            profile=settings.profile.name,
            checks=[
                CheckSummary(name, text, selected=name in selected)
                for name, (_, text) in CHECKS.items()
            ],
            strict=settings.strict,
        )
        # Every failure by (check, summary, probe cause) and shape; grouped by cause at the end.
        self._findings: dict[tuple[Key, str, frozenset[str]], Failure] = {}
        self._tally = Tally()
        self._notes: dict[tuple[str, str], ReportNote] = {}
        # Which example a finding shows: fixed boundary probes first (they are minimal by
        # construction), then examples Hypothesis shrank, then raw generated ones; smaller wins.
        self._rank = BOUNDARY
        self._failures_in_a_row = 0
        self._phases: dict[str, int] = {}
        self._first_statuses: list[int | None] = []
        # The credentials of the probes that showed a violation, and what a target that
        # accepted the never-issued token answered it: for the opt-out hint.
        self._failing_credentials: set[Credential] = set()
        self._unknown_accepted: int | None = None
        # clientSecret values and the like, seen in responses: masked like tokens.
        self._target_secrets: set[str] = set()

    # -- the run ---------------------------------------------------------------------

    def run(self) -> Report:
        started = time.monotonic()
        try:
            self._boundaries()
            shape = self.shape
            self._fuzz("valid bodies", strategies.valid_body_probes(shape=shape))
            self._fuzz("invalid bodies", strategies.invalid_body_probes(shape=shape))
            self._fuzz("malformed", strategies.body_probes(shape=shape))
            self._fuzz("schemathesis", schemathesis_probes(self.contract))
        except _Aborted as exc:
            self.report.aborted = str(exc)
        except TargetUnreachable:
            raise
        except Exception as exc:  # a harness bug is reported, never hidden
            self._internal("engine", exc)
        finally:
            self.transport.close()
        self._finish(started)
        self.emit(RunFinished(self.report))
        return self.report

    def _finish(self, started: float) -> None:
        order = list(CHECKS)
        report = self.report
        report.findings = group(list(self._findings.values()), self._tally, order)
        report.notes = sorted(self._notes.values(), key=lambda n: order.index(n.check))
        report.requests = self.transport.sent
        report.duration = time.monotonic() - started
        report.phases = dict(self._phases)
        self._note_skips()
        if self._findings and self._failing_credentials == {Credential.UNKNOWN}:
            accepted = self._unknown_accepted
            if accepted is not None:
                report.hints.append(
                    f"only the never-issued token failed, and the target accepted it "
                    f"({accepted}): it accepts any token. If it does so on purpose (a demo "
                    "target, such as the mock with its default token policy), leave this "
                    "check out with --no-unknown-token-check "
                    "(APIKEYS_CONFORMANCE_NO_UNKNOWN_TOKEN_CHECK=1)"
                )

    def _note_skips(self) -> None:
        notes = []
        if not self.contract.security.required:
            notes.append("the contract lets requests come without credentials: no 401 probes")
        if self.settings.tokens.forbidden is None:
            notes.append("403 not checked: no forbidden token given")
        if self.settings.tokens.unknown is None and not self.settings.unknown_token_check:
            notes.append("unknown-token 401 not checked (--no-unknown-token-check)")
        for summary in self.report.checks:
            if not summary.selected:
                summary.skipped_reason = "not selected (--checks)"
            elif summary.name == "authentication" and notes:
                summary.skipped_reason = "; ".join(notes)
            elif not summary.ran:
                summary.skipped_reason = "no exchange it applies to"

    def _boundaries(self) -> None:
        settings = self.settings
        budget = Budget(
            forbidden=settings.tokens.forbidden is not None,
            unknown=settings.tokens.unknown is not None or settings.unknown_token_check,
            secured=self.contract.security.required,
            combined=_combined(self.contract),
        )
        probes = [
            *boundary_probes(self.contract, self.shape, budget),
            *stack_probes(self.contract, self.shape, budget),
        ]
        self.emit(PhaseStarted("boundaries", f"{len(probes)} fixed probes"))
        try:
            reply = self.transport.send(probes[0])
        except TransportError as exc:
            raise TargetUnreachable(f"cannot reach {self.transport.url}: {exc}") from None
        self._judge("boundaries", Exchange(probes[0], reply))
        for probe in probes[1:]:
            self._stop_if_nothing_there()
            self._exchange("boundaries", probe)
        self._finish_phase("boundaries")

    def _stop_if_nothing_there(self) -> None:
        first = self._first_statuses
        if len(first) < WRONG_PATH_PROBES or not all(s in WRONG_PATH_STATUSES for s in first):
            return
        got = "/".join(map(str, sorted({s for s in first if s is not None})))
        base, path = self.settings.base_url, self.contract.path
        advice = (
            f": try --base-url {base.removesuffix(path)}"
            if urlsplit(base).path.endswith(path)
            else ""
        )
        raise TargetUnreachable(
            f"nothing serves {self.contract.method} {self.transport.url}: the first "
            f"{len(first)} probes all got {got}. --base-url is the server's root, and the "
            f"contract's path ({path}) is appended to it{advice}"
        )

    def _finish_phase(self, phase: str, stopped_early: str | None = None) -> None:
        self.emit(PhaseFinished(phase, self._phases.get(phase, 0), stopped_early))

    # -- fuzzing ---------------------------------------------------------------------

    def _hypothesis_settings(self, examples: int, *, shrink: bool) -> hypothesis.settings:
        return hypothesis.settings(
            parent=hypothesis.settings.get_profile("default"),
            max_examples=examples,
            database=None,
            deadline=None,
            derandomize=False,
            phases=(Phase.generate, Phase.shrink) if shrink else (Phase.generate,),
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            print_blob=False,
            report_multiple_bugs=False,
        )

    def _fuzz(self, phase: str, probes: st.SearchStrategy[Probe]) -> None:
        self.emit(PhaseStarted(phase, f"up to {self.settings.examples} generated probes"))
        before = {key for key, _, _ in self._findings}

        def explore(probe: Probe) -> None:
            self._exchange(phase, probe)

        self._rank = GENERATED
        stopped = self._hypothesis(phase, explore, probes, shrink=False)
        self._rank = SHRUNK
        profile = self.settings.profile
        new = dict.fromkeys(key for key, _, _ in self._findings if key not in before)
        for key in list(new)[: profile.hunts_per_phase]:
            if stopped is None:
                stopped = self._hunt(phase, probes, key, profile.requests_per_hunt)
        self._finish_phase(phase, stopped)

    def _hunt(
        self, phase: str, probes: st.SearchStrategy[Probe], key: Key, budget: int
    ) -> str | None:
        """Find ``key`` again from the same seed and let Hypothesis shrink it. A probe
        already sent is answered from memory, so that a replay after the budget is spent
        fails as it did (Hypothesis calls a test that changes its mind flaky)."""
        spent = [0]
        answered: dict[tuple[object, ...], bool] = {}

        def hunt(probe: Probe) -> None:
            sent = (probe.kind, probe.body, probe.content_type, probe.credential)
            if sent not in answered:
                if spent[0] >= budget:
                    return
                spent[0] += 1
                answered[sent] = key in self._exchange(phase, probe)
            if answered[sent]:
                raise _Found

        return self._hypothesis(phase, hunt, probes, shrink=True)

    def _hypothesis(
        self,
        phase: str,
        test: Callable[[Probe], None],
        probes: st.SearchStrategy[Probe],
        *,
        shrink: bool,
    ) -> str | None:
        """Run ``test`` over ``probes``; say why the phase stopped early, if it did."""
        wrapped = hypothesis.seed(self.settings.seed)(
            self._hypothesis_settings(self.settings.examples, shrink=shrink)(
                hypothesis.given(probes)(test)
            )
        )
        try:
            wrapped()
        except _Found:
            return None  # the hunt found its finding again, shrunk
        except HypothesisException as exc:
            # Flaky or unsatisfiable: the target or the data, not a harness bug.
            text = str(exc).strip().splitlines()
            return f"Hypothesis stopped the search: {type(exc).__name__}: {text[0] if text else ''}"
        except BaseExceptionGroup as group:
            if (
                group.subgroup(_Found) is not None
                and group.subgroup(lambda e: not isinstance(e, _Found)) is None
            ):
                return None
            self._internal(f"phase {phase}", group)
            return f"stopped early by an internal error ({type(group).__name__})"
        except Exception as exc:  # generation failed: a harness bug
            self._internal(f"phase {phase}", exc)
            return f"stopped early by an internal error ({type(exc).__name__})"
        return None

    # -- one exchange ----------------------------------------------------------------

    def _exchange(self, phase: str, probe: Probe) -> set[Key]:
        try:
            reply = self.transport.send(probe)
        except TransportError as exc:
            return self._no_answer(phase, probe, exc)
        except Exception as exc:  # a transport bug is a harness bug
            self._internal("transport", exc)
            return set()
        return self._judge(phase, Exchange(probe, reply))

    def _no_answer(self, phase: str, probe: Probe, exc: TransportError) -> set[Key]:
        self._failures_in_a_row += 1
        self._phases[phase] = self._phases.get(phase, 0) + 1
        self._first(None)
        self._count(probe, None)
        self.report.summary(TRANSPORT_CHECK).seconds += exc.elapsed
        violation = Violation(
            "no HTTP response",
            f"{exc} for {probe.kind}",
            "an HTTP response with a documented status to every request, within "
            f"{self.settings.timeout:g} s",
        )
        key = self._record(TRANSPORT_CHECK, violation, probe, None)
        self.report.summary(TRANSPORT_CHECK).failed += 1
        self.emit(ProbeSent(phase, probe.kind, None, 1))
        if self._failures_in_a_row >= MAX_CONSECUTIVE_FAILURES and not self._still_there():
            raise _Aborted(
                f"stopped after {self._failures_in_a_row} requests in a row got no HTTP "
                f"response, and a plain valid request got none either ({exc})"
            )
        return {key}

    def _still_there(self) -> bool:
        """Does the target answer a plain valid request? (Then it is slow, not gone.)"""
        probe = make_probe(
            self.contract, encode(self.shape.base), self.contract.request_media_type, "valid body"
        )
        try:
            reply = self.transport.send(probe)
        except Exception:  # no answer is the answer
            return False
        self._judge("confirm", Exchange(probe, reply))
        return True

    def _first(self, status: int | None) -> None:
        if len(self._first_statuses) < WRONG_PATH_PROBES:
            self._first_statuses.append(status)

    def _judge(self, phase: str, exchange: Exchange) -> set[Key]:
        self._failures_in_a_row = 0
        self._phases[phase] = self._phases.get(phase, 0) + 1
        probe, reply = exchange.probe, exchange.reply
        self._first(reply.status)
        self._collect_secrets(reply.status, reply.body)
        self._count(probe, reply)
        if probe.credential is Credential.UNKNOWN and 200 <= reply.status < 300:
            self._unknown_accepted = reply.status
        sent = probe.sent(self.settings.tokens.presented(probe.credential))
        verdicts: list[tuple[CheckSummary, list[Violation], list[Note]]] = []
        for summary in self.report.checks:
            if not summary.selected:
                continue
            began = time.monotonic()
            result = run_check(summary.name, self.rules, sent, reply)
            if isinstance(result, InternalError):
                self._internal(f"check {summary.name}", None, result.summary, result.detail)
                continue
            if result is None:
                continue
            violations: list[Violation] = []
            notes: list[Note] = []
            summary.seconds += reply.elapsed + time.monotonic() - began
            for item in result:
                if isinstance(item, Note) and item.lenient and self.settings.strict:
                    item = Violation(
                        f"strict: {item.summary.removeprefix('lenient: ')}",
                        f"{reply.status} for {probe.kind}",
                        "a 400 under --strict: the contract leaves this open, --strict does not",
                    )
                if isinstance(item, Violation):
                    violations.append(item)
                else:
                    notes.append(item)
            verdicts.append((summary, violations, notes))
        # A probe is a finding or a note, never both: when the answer to its body broke a
        # rule, what the contract leaves open about that body is no longer the story.
        body_broken = any(
            answers_the_body(check.name, violation.summary)
            for check, violations, _ in verdicts
            for violation in violations
        )
        violated: set[Key] = set()
        for summary, violations, notes in verdicts:
            for violation in violations:
                violated.add(self._record(summary.name, violation, probe, exchange))
            for note in notes:
                if not (note.lenient and body_broken):
                    self._note(summary.name, note, probe, exchange)
            if violations:
                summary.failed += 1
            else:
                summary.passed += 1
        self.emit(ProbeSent(phase, probe.kind, reply.status, len(violated)))
        return violated

    def _count(self, probe: Probe, reply: Reply | None) -> None:
        """What grouping by cause needs to know of every exchange."""
        tally = self._tally
        tally.exchanges += 1
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

    def _collect_secrets(self, status: int, body: bytes) -> None:
        fields = self.contract.secret_fields
        if not fields or not 200 <= status < 300:
            return
        try:
            document = json.loads(body)
        except (ValueError, RecursionError, UnicodeDecodeError):
            return
        if isinstance(document, dict):
            for key in fields:
                value = document.get(key)
                if isinstance(value, str) and len(value) >= 8:
                    self._target_secrets.add(value)

    def _mask(self, text: str) -> str:
        text = mask(text, self.settings.tokens)
        for secret in sorted(self._target_secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def _example(self, probe: Probe, exchange: Exchange | None) -> Example:
        body, encoding = request_body_text(probe.body)
        return Example(
            kind=self._mask(probe.kind),
            curl=self._mask(curl_command(self.transport, probe)),
            status=exchange.reply.status if exchange else None,
            response_excerpt=self._mask(response_excerpt(exchange.reply if exchange else None)),
            # Masked as the curl line is, so the two always agree (a probe's body holds no
            # token: only the transport puts one on the wire).
            request_body=self._mask(body) if encoding == "utf-8" else body,
            request_body_encoding=encoding,
        )

    def _record(
        self, check: str, violation: Violation, probe: Probe, exchange: Exchange | None
    ) -> Key:
        summary = self._mask(violation.summary)
        key: Key = (check, summary, probe_cause(check, summary, probe))
        raw = (key, shape_of(probe), traits_of(self.contract, probe))
        failure = self._findings.get(raw)
        self._failing_credentials.add(probe.credential)
        # The clearest example wins: fewest traits, then fewest bytes.
        rank = (self._rank, probe.kind.count(", "), probe.size)
        if failure is not None:
            failure.exchanges.add(self._tally.exchanges)
            failure.finding.occurrences += 1
            failure.finding.seen_with[self._mask(probe.kind)] += 1
            if rank >= failure.rank:
                return key
            # The example and the lines describing it always come from the same request.
            failure.rank = rank
            found = failure.finding
            found.example, found.example_size = self._example(probe, exchange), probe.size
            found.received = self._mask(violation.received)
            found.documented = self._mask(violation.documented)
            return key
        finding = Finding(
            check=check,
            summary=summary,
            received=self._mask(violation.received),
            documented=self._mask(violation.documented),
            example=self._example(probe, exchange),
            example_size=probe.size,
        )
        finding.seen_with[finding.example.kind] += 1
        credential = probe.credential
        failure = Failure(
            finding,
            rank,
            key[2],
            raw[1],
            credential,
            raw[2],
            {self._tally.exchanges},
            sent_shape_of(probe),
        )
        self._findings[raw] = failure
        return key

    def _note(self, check: str, note: Note, probe: Probe, exchange: Exchange) -> None:
        key = (check, self._mask(note.summary))
        found = self._notes.get(key)
        if found is not None:
            found.occurrences += 1
            return
        self._notes[key] = ReportNote(
            check, key[1], self._mask(note.detail), note.lenient, 1, self._example(probe, exchange)
        )

    def _internal(
        self,
        where: str,
        exc: BaseException | None,
        summary: str | None = None,
        detail: str | None = None,
    ) -> None:
        if exc is not None:
            summary = f"{where}: {type(exc).__name__}"
            detail = _describe_exception(exc)
        assert summary is not None
        errors = self.report.internal_errors
        if not any(e.summary == summary for e in errors):
            errors.append(HarnessError(where, self._mask(summary), self._mask(detail or "")))


def _describe_exception(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
    return f"{type(exc).__name__}: {str(exc)[:300]} ({where})"


def _combined(contract: Contract) -> bool:
    first = next((r for r in contract.security.requirements if not r.anonymous), None)
    return first is not None and len(first.schemes) > 1


def run_engine(settings: Settings, *, listener: Listener = _ignore) -> Report:
    return Engine(settings, listener=listener).run()


def selected_checks(names: Iterable[str]) -> tuple[str, ...]:
    """Validate ``--checks`` names against the known checks."""
    chosen = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in chosen if n not in CHECKS]
    if unknown or not chosen:
        raise UsageError(
            f"unknown check {', '.join(unknown) or '(none given)'}; choose from {', '.join(CHECKS)}"
        )
    return chosen
