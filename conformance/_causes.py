"""Failures grouped by cause: one finding per defect, however many checks and probes saw it.

The engine records each failure under its check, its summary, its probe's cause and the
shape of its request (``Failure``), and counts what the target did (``Tally``). ``group``
then merges, each rule taking the failures no earlier rule took:

1. the target refused no invalid body: one finding, "request bodies are not validated";
2. it refused no request without a valid credential: "requests are not authenticated"; it
   accepted both a never-issued token and one without permission: "any bearer token is
   accepted";
3. every success body was the same: "static success body" (the echo and shape failures
   are what a static body does);
4. failures of probes labelled with the same cause (``Probe.cause``): that cause;
5. error bodies failing the same way whatever their status: one finding;
6. a server error (or no answer) split by the shape of request that always got it, so that
   a second crash does not hide in the first one's count;
7. the rest: one finding per check and summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from apikeys_contract import Contract, describe, schema_problems
from apikeys_contract.checks import REFLECTED, Credential
from apikeys_contract.judge import SHAPE_CHECK, answers_the_body
from apikeys_contract.report import Finding, Shape

from ._model import Probe

# Checks whose failures a probe's cause explains (the others have causes of their own: a
# constant header is no less constant for the probe that showed it).
CAUSE_CHECKS = ("acceptance", "rejection", "authentication")
STATUS_CHECK = "status_conformance"
ERROR_CHECK = "error_shape"
ECHO_SUFFIX = " not echoed unchanged"
# Checks whose labelled failures yield to the same failure on plain unlabelled probes: a
# valid body refused (or its echo changed), an invalid one accepted, on plain requests too,
# has a general cause rather than the label's.
GENERAL_FIRST_CHECKS = frozenset({"acceptance", "rejection"})
# Checks whose unlabelled failures join a labelled cause with the same summary: the same
# refusal (or acceptance) missed by other probes, such as random bytes in invalid UTF-8.
ABSORBING = frozenset({"acceptance", "rejection"})
# How deep a body too deep to judge is read, to say what else it holds.
SHALLOW = 3
DENIED_STATUSES = (401, 403)

Rank = tuple[int, int, int]


def shape_of(probe: Probe) -> str:
    """The kind of request a probe is: its cause, its credential, what its body holds."""
    return probe.cause or sent_shape_of(probe)


def sent_shape_of(probe: Probe) -> str:
    """What a probe's request holds, whatever failure it was built to show: a probe's cause
    names what a wrong answer to it means (a coercing validator for a 201), not why a
    server crashed on it."""
    if probe.credential is not Credential.VALID:
        return str(probe.credential.value)
    verdict = probe.verdict
    if verdict.issue is not None:
        return str(verdict.issue.value)
    return verdict.cause.removesuffix(f", {verdict.media.value}")


def traits_of(contract: Contract, probe: Probe) -> frozenset[str]:
    """Everything a probe's request is known to hold: what it sends, every problem of its body
    (those under a nesting too deep to judge too), its JSON issue."""
    verdict = probe.verdict
    problems = list(verdict.problems)
    if any(p.keyword == "depth" for p in problems):
        for document in verdict.readings:
            problems += schema_problems(contract.request_validator, _shallow(document))
    traits = {sent_shape_of(probe), *(describe(p) for p in problems if p.keyword != "depth")}
    if verdict.issue is not None:
        traits.add(str(verdict.issue.value))
    return frozenset(traits)


def _shallow(document: Any, depth: int = SHALLOW) -> Any:
    """``document`` with what lies deeper than ``depth`` levels emptied."""
    if isinstance(document, dict):
        return {k: _shallow(v, depth - 1) if depth else {} for k, v in document.items()}
    if isinstance(document, list):
        return [_shallow(v, depth - 1) for v in document] if depth else []
    return document


def probe_cause(check: str, summary: str, probe: Probe) -> str:
    """The probe's cause, where it explains a failure of ``check``."""
    return probe.cause if check in CAUSE_CHECKS and summary != REFLECTED else ""


@dataclass
class Failure:
    """One (check, summary, probe cause, shape): a finding before grouping."""

    finding: Finding
    rank: Rank
    probe_cause: str
    shape: str
    credential: Credential
    traits: frozenset[str]
    #: Which exchanges showed it (numbered by the engine): a request that breaks two rules
    #: of one cause counts once.
    exchanges: set[int] = field(default_factory=set)
    #: The shape without the probe's cause: what it is shown as when the cause is not it.
    sent_shape: str = ""


@dataclass
class Tally:
    """What the target did, as far as grouping needs it."""

    exchanges: int = 0
    invalid: int = 0
    invalid_refused: int = 0
    denied: int = 0
    denied_refused: int = 0
    successes: int = 0
    success_bodies: set[bytes] = field(default_factory=set)
    traits: Counter[str] = field(default_factory=Counter)
    # Exchanges where a body the contract leaves open (duplicate keys...) was accepted.
    lenient_accepted: set[int] = field(default_factory=set)

    @property
    def static_body(self) -> bool:
        return self.successes >= 2 and len(self.success_bodies) == 1


def _status(failure: Failure) -> int | None:
    return failure.finding.example.status


def _statuses(members: Iterable[Failure]) -> str:
    return " or ".join(sorted({str(_status(f)) for f in members}))


def _answered(failure: Failure) -> str:
    """``"/name over maxLength"`` of ``"/name over maxLength answered 201"``."""
    return failure.finding.summary.rsplit(" answered ", 1)[0]


def _success(failure: Failure) -> bool:
    status = _status(failure)
    return status is not None and 200 <= status < 300


def _times(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _exchanges(members: Iterable[Failure]) -> set[int]:
    return set().union(*(f.exchanges for f in members))


def _occurrences(members: Iterable[Failure]) -> int:
    return len(_exchanges(members))


def _invalid_accepted(failure: Failure) -> bool:
    return failure.finding.check == "rejection" and _success(failure)


def _shape_only(failure: Failure) -> bool:
    check, summary = failure.finding.check, failure.finding.summary
    return check == SHAPE_CHECK and answers_the_body(check, summary)


def _plain(failure: Failure) -> bool:
    """Was it shown by a plain request: a body of printable ASCII, the control against
    which a label about characters, lengths or encodings would be the cause?"""
    example = failure.finding.example
    body = example.request_body
    return example.request_body_encoding == "utf-8" and all(" " <= c <= "~" for c in body)


def _summary(failure: Failure) -> str:
    return failure.finding.summary


def _shape(failure: Failure) -> str:
    return failure.shape


Headline = Callable[[list[Failure]], str]


@dataclass
class _Group:
    cause: str
    headline: Headline
    label: Callable[[Failure], str]
    members: list[Failure]
    # Failures this cause brings about on the same requests: listed, not counted again.
    consequences: list[Failure] = field(default_factory=list)


class _Grouping:
    """The rules of the module docstring, each taking failures no earlier rule took."""

    def __init__(self, failures: list[Failure], tally: Tally) -> None:
        self.left = list(failures)
        self.tally = tally
        self.groups: list[_Group] = []

    def take(
        self,
        cause: str,
        wanted: Callable[[Failure], bool],
        headline: Headline | None = None,
        label: Callable[[Failure], str] = _summary,
    ) -> None:
        members = [f for f in self.left if wanted(f)]
        if not members:
            return
        self.left = [f for f in self.left if not wanted(f)]
        self.groups.append(_Group(cause, headline or (lambda _: cause), label, members))

    def unvalidated(self) -> None:
        def accepted(f: Failure) -> bool:
            return f.finding.check == "rejection" and _success(f)

        tally = self.tally
        if not tally.invalid or tally.invalid_refused or len(self._kinds(accepted)) < 2:
            return

        def headline(members: list[Failure]) -> str:
            count = _times(_occurrences(members), "invalid body", "invalid bodies")
            return f"request bodies are not validated: {count} answered {_statuses(members)}"

        self.take("request bodies are not validated", accepted, headline, _answered)

    def unauthenticated(self) -> None:
        def let_in(f: Failure) -> bool:
            return (
                f.finding.check == "authentication"
                and f.finding.summary != REFLECTED
                and f.credential is not Credential.VALID
                and _status(f) not in DENIED_STATUSES
            )

        tally = self.tally
        if tally.denied and not tally.denied_refused and len(self._kinds(let_in)) >= 2:

            def headline(members: list[Failure]) -> str:
                count = _times(_occurrences(members), "request", "requests")
                return (
                    f"requests are not authenticated: {count} without a valid credential "
                    f"answered {_statuses(members)}"
                )

            self.take("requests are not authenticated", let_in, headline, _answered)
            return
        any_token = (Credential.UNKNOWN, Credential.FORBIDDEN)

        def any_token_in(f: Failure) -> bool:
            return let_in(f) and _success(f) and f.credential in any_token

        if {f.credential for f in self.left if any_token_in(f)} == set(any_token):

            def headline(members: list[Failure]) -> str:
                return (
                    "any bearer token is accepted: a never-issued token and one without "
                    f"permission answered {_statuses(members)}"
                )

            self.take("any bearer token is accepted", any_token_in, headline, _answered)

    def static_body(self) -> None:
        if not self.tally.static_body:
            return

        def shows_it(f: Failure) -> bool:
            check = f.finding.check
            return check == "success_shape" or (
                check == "acceptance" and f.finding.summary.endswith(ECHO_SUFFIX)
            )

        def headline(members: list[Failure]) -> str:
            return (
                f"static success body: every {_statuses(members)} response "
                f"({self.tally.successes}) carried the same body"
            )

        self.take("static success body", shows_it, headline)

    def probe_causes(self) -> None:
        self._general_first()
        for cause in dict.fromkeys(f.probe_cause for f in self.left if f.probe_cause):
            same = {_summary(f) for f in self.left if f.probe_cause == cause}

            def labelled(f: Failure, cause: str = cause, same: set[str] = same) -> bool:
                return f.probe_cause == cause or (
                    not f.probe_cause and f.finding.check in ABSORBING and _summary(f) in same
                )

            self.take(cause, labelled)

    def _general_first(self) -> None:
        """A valid body refused or its value changed (or an invalid one accepted) on a
        labelled probe and on plain probes alike (a body of printable ASCII) is not the
        label's defect: a target that refuses every name of 100 code points refuses the combining
        sequences at 100 too, and one that never echoes the name does not echo it after a
        respelt auth scheme either. Such failures join the general one, shown as what they
        sent. Where only other probes share it (two-byte characters, Unicode whitespace),
        the label names the cause and takes them in (``probe_causes``)."""
        general = {
            (f.finding.check, _summary(f))
            for f in self.left
            if not f.probe_cause and f.finding.check in GENERAL_FIRST_CHECKS and _plain(f)
        }
        for failure in self.left:
            if failure.probe_cause and (failure.finding.check, _summary(failure)) in general:
                failure.probe_cause = ""
                failure.shape = failure.sent_shape or failure.shape

    def error_bodies(self) -> None:
        def fault(f: Failure) -> str:
            return _summary(f).split(" ", 1)[1]  # "400 error body fails ..." -> "error body ..."

        for what in dict.fromkeys(fault(f) for f in self.left if f.finding.check == ERROR_CHECK):

            def same(f: Failure, what: str = what) -> bool:
                return f.finding.check == ERROR_CHECK and fault(f) == what

            def headline(members: list[Failure], what: str = what) -> str:
                if len({_status(f) for f in members}) == 1:
                    return _summary(members[0])
                many = what.replace("error body", "error bodies", 1).replace(" fails ", " fail ")
                return f"{_statuses(members).replace(' or ', ' and ')} {many}"

            self.take(what, same, headline)

    def server_errors(self) -> None:
        """A crash (or no answer) per trait that always brought it: a trait every request
        holding which got it is a cause of its own; requests holding no such trait share
        some other cause, unnamed. A request with several is told under the commonest."""

        def crashed(f: Failure) -> bool:
            status = _status(f)
            return f.finding.check == STATUS_CHECK and (status is None or status >= 500)

        for summary in dict.fromkeys(_summary(f) for f in self.left if crashed(f)):
            members = [f for f in self.left if crashed(f) and _summary(f) == summary]
            got: Counter[str] = Counter()
            for failure in members:
                got.update(dict.fromkeys(failure.traits, len(failure.exchanges)))
            always = [t for t, n in got.most_common() if n >= self.tally.traits[t]]
            for trait in always:

                def shows(f: Failure, trait: str = trait, summary: str = summary) -> bool:
                    return crashed(f) and _summary(f) == summary and trait in f.traits

                self.take(f"{summary} for {trait}", shows, label=_shape)

    def rest(self) -> None:
        for check, summary in dict.fromkeys((f.finding.check, _summary(f)) for f in self.left):

            def same(f: Failure, key: tuple[str, str] = (check, summary)) -> bool:
                return (f.finding.check, _summary(f)) == key

            # A server error's shapes say which requests got it; the rest have one shape.
            self.take(summary, same, label=_shape if check == STATUS_CHECK else _summary)

    def consequences(self) -> None:
        """A success body that breaks its schema only on requests whose invalid body was
        accepted (or a body the contract leaves open, read the invalid way) echoes that
        body: the acceptance is its cause."""
        accepted = [g for g in self.groups if all(_invalid_accepted(f) for f in g.members)]
        lenient = self.tally.lenient_accepted
        for shape in [g for g in self.groups if all(_shape_only(f) for f in g.members)]:
            shown = _exchanges(shape.members)
            cause = next(
                (
                    g
                    for g in accepted
                    if shown & _exchanges(g.members) and shown <= _exchanges(g.members) | lenient
                ),
                None,
            )
            if cause is not None:
                cause.consequences += shape.members
                self.groups.remove(shape)

    def _kinds(self, wanted: Callable[[Failure], bool]) -> set[str]:
        return {_answered(f) for f in self.left if wanted(f)}


def group(failures: list[Failure], tally: Tally, order: list[str]) -> list[Finding]:
    """The findings, one per cause, in the order of the checks that saw them."""
    grouping = _Grouping(failures, tally)
    grouping.unvalidated()
    grouping.unauthenticated()
    grouping.static_body()
    grouping.probe_causes()
    grouping.error_bodies()
    grouping.server_errors()
    grouping.rest()
    grouping.consequences()
    findings = [_merge(g) for g in grouping.groups]
    return sorted(findings, key=lambda f: order.index(f.check))


def _merge(group: _Group) -> Finding:
    members = sorted(group.members, key=lambda f: f.rank)
    best = members[0].finding
    seen: Counter[str] = Counter()
    shapes: dict[str, list[Failure]] = {}
    for failure in [*members, *group.consequences]:
        seen.update(failure.finding.seen_with)
        shapes.setdefault(group.label(failure), []).append(failure)
    checks = [f.finding.check for f in [*members, *group.consequences]]
    return Finding(
        check=best.check,
        summary=group.headline(members),
        received=best.received,
        documented=best.documented,
        example=best.example,
        occurrences=_occurrences(members),
        example_size=best.example_size,
        seen_with=seen,
        cause=group.cause,
        checks=tuple(dict.fromkeys(checks)),
        shapes=sorted(
            (Shape(k, _occurrences(same), same[0].finding.example) for k, same in shapes.items()),
            key=lambda s: -s.occurrences,
        ),
    )
