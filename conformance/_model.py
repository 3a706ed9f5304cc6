"""The harness's data: the probes it sends, what came back, and the events of a run.

The report model (``Report``, ``Finding``, ``Note`` ...) is the shared layer's
(``apikeys_contract.report``).
"""

from __future__ import annotations

from dataclasses import dataclass

from apikeys_contract import BodyVerdict
from apikeys_contract.checks import Credential, Received, Sent
from apikeys_contract.report import Report

__all__ = [
    "Event",
    "PhaseFinished",
    "PhaseStarted",
    "Probe",
    "ProbeSent",
    "Reply",
    "RunFinished",
]

Reply = Received


@dataclass(frozen=True)
class Probe:
    """One request to send, with what the contract calls for (``verdict``). Probes name
    their credential; only the transport puts a secret on the wire."""

    kind: str
    body: bytes
    content_type: str | None
    verdict: BodyVerdict
    credential: Credential = Credential.VALID
    extra_headers: tuple[tuple[str, str], ...] = ()
    #: The defect a failing answer to this probe points to, in the words a developer
    #: searches for ("auth scheme compared case-sensitively"); empty where the failing
    #: check's own rule names the cause.
    cause: str = ""

    @property
    def size(self) -> int:
        return len(self.body)

    def sent(self, secrets: tuple[str, ...]) -> Sent:
        return Sent(self.verdict, self.credential, secrets, self.kind)


@dataclass(frozen=True)
class PhaseStarted:
    phase: str
    description: str


@dataclass(frozen=True)
class ProbeSent:
    phase: str
    kind: str
    status: int | None
    violations: int


@dataclass(frozen=True)
class PhaseFinished:
    phase: str
    requests: int
    stopped_early: str | None = None


@dataclass(frozen=True)
class RunFinished:
    report: Report


Event = PhaseStarted | ProbeSent | PhaseFinished | RunFinished
