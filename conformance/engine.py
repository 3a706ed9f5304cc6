"""Runs the probes against a target and turns every exchange into check results.

The engine emits events (``conformance._model.Event``) to a listener and returns a
``Report``; it imports no terminal or report code. It never hides a failure of its own: an
exception in a check, in generation or in the engine is an ``InternalError`` in the report
(exit status 3), the run keeps what it found, and a phase that stops early says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from apikeys_contract import Answer, Contract, SpecError, load_contract
from apikeys_contract.checks import (
    CHECKS,
    DENIED,
    Credential,
    Rules,
    Violation,
    missing_statuses,
    response_excerpt,
)
from apikeys_contract.judge import Key, Ledger, example_of, judge_exchange, no_response
from apikeys_contract.report import check_summaries

from . import strategies
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
from ._fields import RequestShape, encode
from ._model import (
    Event,
    Example,
    Exchange,
    PhaseFinished,
    PhaseStarted,
    Probe,
    ProbeSent,
    Reply,
    Report,
    RunFinished,
)
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
            method=contract.method,
        )
        self.selected = settings.checks or tuple(CHECKS)
        # Every failure by (check, summary, probe cause) and shape; grouped by cause at the
        # end. Tokens, and the secrets responses carry, are masked in everything it keeps.
        self.ledger = Ledger(
            check_summaries({n: d for n, (_, d) in CHECKS.items()}, self.selected),
            set(settings.tokens.secrets),
        )
        self.report = Report(
            target=url,
            seed=settings.seed,
            profile=settings.profile.name,
            checks=self.ledger.checks,
            strict=settings.strict,
        )
        self._tally = Tally()
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
        failures = self._failures()
        kept = self.ledger.report(
            self.report.target, findings=group(failures, self._tally, list(CHECKS))
        )
        report = self.report
        report.findings, report.notes = kept.findings, kept.notes
        report.internal_errors = kept.internal_errors
        report.requests = self.transport.sent
        report.duration = time.monotonic() - started
        report.phases = dict(self._phases)
        self._note_skips()
        if failures and self._failing_credentials == {Credential.UNKNOWN}:
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
        before = self._keys()

        def explore(probe: Probe) -> None:
            self._exchange(phase, probe)

        self._rank = GENERATED
        stopped = self._hypothesis(phase, explore, probes, shrink=False)
        self._rank = SHRUNK
        profile = self.settings.profile
        new = dict.fromkeys(key for key in self._keys() if key not in before)
        for key in list(new)[: profile.hunts_per_phase]:
            if stopped is None:
                stopped = self._hunt(phase, probes, key, profile.requests_per_hunt)
        self._finish_phase(phase, stopped)

    def _keys(self) -> list[Key]:
        return [key for key, _ in self.ledger.entries]

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
        self.ledger.summary(TRANSPORT_CHECK).seconds += exc.elapsed
        violation = no_response(
            f"{exc} for {probe.kind}",
            "an HTTP response with a documented status to every request, within "
            f"{self.settings.timeout:g} s",
        )
        key = self._record(TRANSPORT_CHECK, violation, probe, None)
        self.ledger.summary(TRANSPORT_CHECK).failed += 1
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
        self.ledger.learn(self.contract.secrets_in(reply.status, reply.body))
        self._count(probe, reply)
        if probe.credential is Credential.UNKNOWN and 200 <= reply.status < 300:
            self._unknown_accepted = reply.status
        sent = probe.sent(self.settings.tokens.presented(probe.credential))
        judgement = judge_exchange(
            self.rules, sent, reply, checks=self.selected, strict=self.settings.strict
        )
        violated = self.ledger.take(
            judgement,
            lambda: self._example(probe, exchange),
            label=probe.kind,
            group=lambda check, summary: probe_cause(check, summary, probe),
            slot=(shape_of(probe), traits_of(self.contract, probe)),
            rank=self._rank_of(probe),
            size=probe.size,
            context=lambda: self._context(probe),
            elapsed=reply.elapsed,
        )
        if violated:
            self._failing_credentials.add(probe.credential)
        self.emit(ProbeSent(phase, probe.kind, reply.status, len(violated)))
        return violated

    def _count(self, probe: Probe, reply: Reply | None) -> None:
        """What grouping by cause needs to know of every exchange."""
        tally = self._tally
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

    def _example(self, probe: Probe, exchange: Exchange | None) -> Example:
        reply = exchange.reply if exchange else None
        # The body is masked as the curl line is (by the ledger), so the two always agree
        # (a probe's body holds no token: only the transport puts one on the wire).
        return example_of(
            probe.kind,
            curl_command(self.transport, probe),
            probe.body,
            reply.status if reply else None,
            response_excerpt(reply),
        )

    def _rank_of(self, probe: Probe) -> tuple[int, int, int]:
        """The clearest example wins: the phase's rank, then fewest traits, fewest bytes."""
        return (self._rank, probe.kind.count(", "), probe.size)

    def _context(self, probe: Probe) -> tuple[str, Credential, frozenset[str], str]:
        """What grouping by cause needs to know of a finding's first probe."""
        return (
            shape_of(probe),
            probe.credential,
            traits_of(self.contract, probe),
            sent_shape_of(probe),
        )

    def _failures(self) -> list[Failure]:
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

    def _record(
        self, check: str, violation: Violation, probe: Probe, exchange: Exchange | None
    ) -> Key:
        self._failing_credentials.add(probe.credential)
        summary = self.ledger.mask(violation.summary)
        key: Key = (check, summary, probe_cause(check, summary, probe))
        self.ledger.record(
            key,
            violation,
            lambda: self._example(probe, exchange),
            label=probe.kind,
            slot=(shape_of(probe), traits_of(self.contract, probe)),
            rank=self._rank_of(probe),
            size=probe.size,
            context=lambda: self._context(probe),
        )
        return key

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
        self.ledger.internal(where, summary, detail or "")


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
