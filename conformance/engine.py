"""Runs the probes against a target and turns every exchange into check results.

The engine emits events (``conformance._model.Event``) to a listener and returns a
``Report``; it imports no terminal or report code. It never hides a failure of its own: an
exception in a check, in generation or in the engine is an ``InternalError`` in the report
(exit status 3), the run keeps what it found, and a phase that stops early says so.

The jobs are units of their own: ``_vetting`` loads the contract (or refuses it),
``_transport`` sends, ``_wrong_path`` notices that nothing serves the operation,
``_search`` drives Hypothesis, and ``_findings`` judges each exchange with the shared judge
and keeps what it found. Here are the phases and their order.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable

from hypothesis import strategies as st

from apikeys_contract import Contract
from apikeys_contract.checks import CHECKS
from apikeys_contract.coverage import SIDES
from apikeys_contract.judge import no_response
from apikeys_contract.ledger import Key
from apikeys_contract.report import Report

from . import strategies
from ._fields import encode
from ._findings import GENERATED, SHRUNK, Findings
from ._model import Event, PhaseFinished, PhaseStarted, Probe, ProbeSent, Reply, RunFinished
from ._probes import Budget, boundary_probes, make_probe
from ._schemathesis import schemathesis_probes
from ._search import hunt, search
from ._settings import Settings
from ._stack_probes import stack_probes
from ._transport import Transport, TransportError
from ._vetting import vetted_contract
from ._wrong_path import FirstAnswers
from .errors import TargetUnreachable, UsageError

# After this many transport failures in a row, a plain valid request asks whether the
# target is still there; the run ends only when that one gets no answer either.
MAX_CONSECUTIVE_FAILURES = 3
TRANSPORT_CHECK = "status_conformance"

Listener = Callable[[Event], None]


class _Aborted(BaseException):
    """Not an Exception, so that Hypothesis lets it through at once instead of shrinking."""


def _ignore(event: Event) -> None:
    pass


class Engine:
    def __init__(self, settings: Settings, *, listener: Listener = _ignore) -> None:
        self.settings = settings
        self.emit = listener
        self.contract, self.shape = vetted_contract(settings.spec)
        contract = self.contract
        self.transport = Transport(
            settings.base_url + contract.path,
            settings.tokens,
            timeout=settings.timeout,
            rate_limit=settings.rate_limit,
            security=contract.security,
            method=contract.method,
        )
        self.findings = Findings(
            contract,
            self.transport,
            settings.tokens,
            selected=settings.checks or tuple(CHECKS),
            strict=settings.strict,
        )
        self.report = Report(
            target=self.transport.url,
            seed=settings.seed,
            profile=settings.profile.name,
            checks=self.findings.ledger.checks,
            strict=settings.strict,
            shard="" if settings.shard.whole else str(settings.shard),
            contract=contract_digest(contract),
        )
        self._failures_in_a_row = 0
        self._phases: dict[str, int] = {}
        self._first = FirstAnswers()

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
        report = self.report
        self.findings.fill(report)
        report.requests = self.transport.sent
        report.duration = time.monotonic() - started
        report.phases = dict(self._phases)
        self._note_skips()
        self._explain_coverage()

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

    def _explain_coverage(self) -> None:
        """Why the run sent no credential of a kind the contract makes observable, and
        why a side of a constraint went unprobed when the run stopped early."""
        tokens, coverage = self.settings.tokens, self.report.coverage
        reasons = {}
        if tokens.forbidden is None:
            reasons["forbidden"] = "no forbidden token given (--forbidden-token)"
        if tokens.unknown is None and not self.settings.unknown_token_check:
            reasons["never issued"] = "--no-unknown-token-check"
        aborted = "the run stopped early (Run aborted, below)" if self.report.aborted else ""
        for item in coverage.credentials if coverage else ():
            if not item.sent:
                item.why_not = reasons.get(item.mode, aborted)
        for constraint in coverage.constraints if coverage and aborted else ():
            for side in SIDES:
                if not getattr(constraint, side):
                    constraint.why_not.setdefault(side, aborted)

    def _boundaries(self) -> None:
        settings = self.settings
        budget = Budget(
            forbidden=settings.tokens.forbidden is not None,
            unknown=settings.tokens.unknown is not None or settings.unknown_token_check,
            secured=self.contract.security.required,
            combined=_combined(self.contract),
        )
        probes = settings.shard.take(
            [
                *boundary_probes(self.contract, self.shape, budget),
                *stack_probes(self.contract, self.shape, budget),
            ]
        )
        self.emit(PhaseStarted("boundaries", f"{len(probes)} fixed probes"))
        if not probes:  # more shards than fixed probes
            self._finish_phase("boundaries")
            return
        try:
            reply = self.transport.send(probes[0])
        except TransportError as exc:
            raise TargetUnreachable(f"cannot reach {self.transport.url}: {exc}") from None
        self._judge("boundaries", probes[0], reply)
        for probe in probes[1:]:
            self._first.stop_if_nothing_there(self.contract, settings.base_url, self.transport.url)
            self._exchange("boundaries", probe)
        self._finish_phase("boundaries")

    def _finish_phase(self, phase: str, stopped_early: str | None = None) -> None:
        self.emit(PhaseFinished(phase, self._phases.get(phase, 0), stopped_early))

    # -- fuzzing ---------------------------------------------------------------------

    def _fuzz(self, phase: str, probes: st.SearchStrategy[Probe]) -> None:
        examples = self.settings.shard.examples(self.settings.examples)
        self.emit(PhaseStarted(phase, f"up to {examples} generated probes"))
        if not examples:  # this shard's share of the budget is nothing
            self._finish_phase(phase)
            return
        before = self.findings.seen()

        def explore(probe: Probe) -> None:
            self._exchange(phase, probe)

        self.findings.rank = GENERATED
        stopped = self._search(phase, explore, probes, shrink=False)
        self.findings.rank = SHRUNK
        profile = self.settings.profile
        new = dict.fromkeys(key for key in self.findings.seen() if key not in before)
        for key in list(new)[: profile.hunts_per_phase]:
            if stopped is None:
                again = hunt(key, profile.requests_per_hunt, lambda p: self._exchange(phase, p))
                stopped = self._search(phase, again, probes, shrink=True)
        self._finish_phase(phase, stopped)

    def _search(
        self,
        phase: str,
        test: Callable[[Probe], None],
        probes: st.SearchStrategy[Probe],
        *,
        shrink: bool,
    ) -> str | None:
        return search(
            test,
            probes,
            seed=self.settings.shard.seed(self.settings.seed),
            examples=self.settings.shard.examples(self.settings.examples),
            shrink=shrink,
            where=f"phase {phase}",
            internal=self._internal,
        )

    # -- one exchange ----------------------------------------------------------------

    def _exchange(self, phase: str, probe: Probe) -> set[Key]:
        try:
            reply = self.transport.send(probe)
        except TransportError as exc:
            return self._no_answer(phase, probe, exc)
        except Exception as exc:  # a transport bug is a harness bug
            self._internal("transport", exc)
            return set()
        return self._judge(phase, probe, reply)

    def _no_answer(self, phase: str, probe: Probe, exc: TransportError) -> set[Key]:
        self._failures_in_a_row += 1
        self._phases[phase] = self._phases.get(phase, 0) + 1
        self._first.add(None)
        findings = self.findings
        findings.count(probe, None)
        summary = findings.ledger.summary(TRANSPORT_CHECK)
        summary.seconds += exc.elapsed
        violation = no_response(
            f"{exc} for {probe.kind}",
            "an HTTP response with a documented status to every request, within "
            f"{self.settings.timeout:g} s",
        )
        key = findings.record(TRANSPORT_CHECK, violation, probe)
        summary.failed += 1
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
        self._judge("confirm", probe, reply)
        return True

    def _judge(self, phase: str, probe: Probe, reply: Reply) -> set[Key]:
        self._failures_in_a_row = 0
        self._phases[phase] = self._phases.get(phase, 0) + 1
        self._first.add(reply.status)
        violated = self.findings.judge(probe, reply)
        self.emit(ProbeSent(phase, probe.kind, reply.status, len(violated)))
        return violated

    def _internal(self, where: str, exc: BaseException) -> None:
        self.findings.ledger.internal(
            where, f"{where}: {type(exc).__name__}", _describe_exception(exc)
        )


def _describe_exception(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
    return f"{type(exc).__name__}: {str(exc)[:300]} ({where})"


def contract_digest(contract: Contract) -> str:
    """Names the contract a report was judged against: reports to merge must share it."""
    text = json.dumps(contract.document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
