"""Runs the probes against a target and turns every exchange into check results.

The engine emits events (``conformance._model.Event``) to a listener and returns a
``Report``; it imports no terminal or report code.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st

from apikeys_contract import SpecError, load_contract

from . import strategies
from ._boundaries import boundary_probes
from ._curl import curl_command, mask
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
    Report,
    RunFinished,
)
from ._schemathesis import schemathesis_probes
from ._settings import Settings
from ._spec import SpecView
from ._transport import Transport, TransportError
from .checks import CHECKS, CheckContext, ContractViolation
from .errors import TargetUnreachable, UsageError

# After this many transport failures in a row the target is considered gone.
MAX_CONSECUTIVE_FAILURES = 3
TRANSPORT_CHECK = "status_conformance"
EXCERPT = 200
BOUNDARY, SHRUNK, GENERATED = range(3)

Listener = Callable[[Event], None]
Key = tuple[str, str]


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
            self.view = SpecView(load_contract(settings.spec))
            self.context = CheckContext(self.view, settings.tokens.secrets)
            self.view.name_field  # noqa: B018 - fail now on an unusable request schema
        except SpecError as exc:
            raise UsageError(str(exc)) from exc
        url = settings.base_url + self.view.contract.path
        self.transport = Transport(
            url, settings.tokens, timeout=settings.timeout, rate_limit=settings.rate_limit
        )
        self.report = Report(
            target=url,
            seed=settings.seed,
            profile=settings.profile.name,
            checks=[CheckSummary(name, text) for name, (_, text) in CHECKS.items()],
        )
        self._findings: dict[Key, Finding] = {}
        # Which example a finding shows: fixed boundary probes first (they are minimal by
        # construction), then examples Hypothesis shrank, then raw generated ones; smaller wins.
        self._rank = BOUNDARY
        self._example_rank: dict[Key, tuple[int, int]] = {}
        self._failures_in_a_row = 0
        self._phases: dict[str, int] = {}

    def run(self) -> Report:
        started = time.monotonic()
        try:
            self._boundaries()
            view = self.view
            self._fuzz(
                "valid names", strategies.name_probes(strategies.valid_names(view=view), view=view)
            )
            self._fuzz(
                "invalid names",
                strategies.name_probes(strategies.invalid_names(view=view), view=view),
            )
            self._fuzz("bodies", strategies.body_probes(view=view))
            self._fuzz("schemathesis", schemathesis_probes(view))
        except _Aborted as exc:
            self.report.aborted = str(exc)
        finally:
            self.transport.close()
        self._note_skips()
        order = list(CHECKS)
        self.report.findings = sorted(self._findings.values(), key=lambda f: order.index(f.check))
        self.report.requests = self.transport.sent
        self.report.duration = time.monotonic() - started
        self.report.phases = dict(self._phases)
        self.emit(RunFinished(self.report))
        return self.report

    def _note_skips(self) -> None:
        notes = []
        if self.settings.tokens.forbidden is None:
            notes.append("403 not checked: no forbidden token given")
        if self.settings.tokens.unknown is None:
            notes.append("unknown-token 401 not checked: no unknown token given")
        for summary in self.report.checks:
            if summary.name == "authentication" and notes:
                summary.skipped_reason = "; ".join(notes)

    def _summary(self, name: str) -> CheckSummary:
        return next(s for s in self.report.checks if s.name == name)

    def _boundaries(self) -> None:
        tokens = self.settings.tokens
        probes = boundary_probes(
            self.view, forbidden=tokens.forbidden is not None, unknown=tokens.unknown is not None
        )
        self.emit(PhaseStarted("boundaries", f"{len(probes)} fixed probes"))
        try:
            reply = self.transport.send(probes[0])
        except TransportError as exc:
            raise TargetUnreachable(f"cannot reach {self.transport.url}: {exc}") from None
        self._judge("boundaries", Exchange(probes[0], reply), counting=True)
        for probe in probes[1:]:
            self._exchange("boundaries", probe)
        self._finish_phase("boundaries")

    def _finish_phase(self, phase: str) -> None:
        self.emit(PhaseFinished(phase, self._phases.get(phase, 0)))

    def _hypothesis_settings(self, examples: int, *, shrink: bool) -> hypothesis.settings:
        return hypothesis.settings(
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
        before = set(self._findings)

        def explore(probe: Probe) -> None:
            self._exchange(phase, probe)

        self._rank = GENERATED
        self._hypothesis(explore, probes, shrink=False)
        self._rank = SHRUNK
        profile = self.settings.profile
        for key in [k for k in self._findings if k not in before][: profile.hunts_per_phase]:
            self._hunt(phase, probes, key, profile.requests_per_hunt)
        self._finish_phase(phase)

    def _hunt(self, phase: str, probes: st.SearchStrategy[Probe], key: Key, budget: int) -> None:
        """Find ``key`` again from the same seed and let Hypothesis shrink it."""
        spent = [0]

        def hunt(probe: Probe) -> None:
            if spent[0] >= budget:
                return
            spent[0] += 1
            if key in self._exchange(phase, probe, counting=False):
                raise _Found

        self._hypothesis(hunt, probes, shrink=True)

    def _hypothesis(
        self, test: Callable[[Probe], None], probes: st.SearchStrategy[Probe], *, shrink: bool
    ) -> None:
        wrapped = hypothesis.seed(self.settings.seed)(
            self._hypothesis_settings(self.settings.examples, shrink=shrink)(
                hypothesis.given(probes)(test)
            )
        )
        # _Found, Flaky, Unsatisfiable...: each simply ends the search.
        with contextlib.suppress(Exception):
            wrapped()

    def _exchange(self, phase: str, probe: Probe, *, counting: bool = True) -> set[Key]:
        try:
            reply = self.transport.send(probe)
        except TransportError as exc:
            self._failures_in_a_row += 1
            self._phases[phase] = self._phases.get(phase, 0) + 1
            violation = ContractViolation(
                "no HTTP response",
                received=str(exc),
                documented="an HTTP response with a documented status to every request",
            )
            key = self._record(TRANSPORT_CHECK, violation, probe, None, counting=counting)
            self.emit(ProbeSent(phase, probe.kind, None, 1))
            if self._failures_in_a_row >= MAX_CONSECUTIVE_FAILURES:
                raise _Aborted(
                    f"stopped after {MAX_CONSECUTIVE_FAILURES} requests in a row got no "
                    f"HTTP response ({exc})"
                ) from None
            return {key}
        return self._judge(phase, Exchange(probe, reply), counting=counting)

    def _judge(self, phase: str, exchange: Exchange, *, counting: bool) -> set[Key]:
        self._failures_in_a_row = 0
        self._phases[phase] = self._phases.get(phase, 0) + 1
        violated: set[Key] = set()
        for name, (check, _) in CHECKS.items():
            try:
                applied = check(self.context, exchange)
            except ContractViolation as violation:
                violated.add(
                    self._record(name, violation, exchange.probe, exchange, counting=counting)
                )
            else:
                if applied and counting:
                    self._summary(name).passed += 1
        self.emit(ProbeSent(phase, exchange.probe.kind, exchange.reply.status, len(violated)))
        return violated

    def _record(
        self,
        check: str,
        violation: ContractViolation,
        probe: Probe,
        exchange: Exchange | None,
        *,
        counting: bool,
    ) -> Key:
        key = (check, mask(violation.summary, self.settings.tokens))
        if counting:
            self._summary(check).failed += 1
        found = self._findings.get(key)
        rank = (self._rank, probe.size)
        if found is not None:
            found.occurrences += int(counting)
            if rank >= self._example_rank[key]:
                return key
        self._example_rank[key] = rank
        tokens = self.settings.tokens
        example = Example(
            kind=probe.kind,
            curl=mask(curl_command(self.transport, probe), tokens),
            status=exchange.reply.status if exchange else None,
            response_excerpt=mask(_excerpt(exchange), tokens),
        )
        if found is not None:
            found.example, found.example_size = example, probe.size
            found.received = mask(violation.received, tokens)
            return key
        self._findings[key] = Finding(
            check=check,
            summary=key[1],
            received=mask(violation.received, tokens),
            documented=mask(violation.documented, tokens),
            example=example,
            example_size=probe.size,
        )
        return key


def _excerpt(exchange: Exchange | None) -> str:
    if exchange is None:
        return ""
    reply = exchange.reply
    head = f"HTTP {reply.status} content-type={reply.header('content-type')!r} "
    body = reply.body[:EXCERPT].decode("utf-8", "replace")
    return head + repr(body + ("…" if len(reply.body) > EXCERPT else ""))


def run_engine(settings: Settings, *, listener: Listener = _ignore) -> Report:
    return Engine(settings, listener=listener).run()
