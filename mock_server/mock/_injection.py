"""What the mock injects into one request of the operation, and the answer it then gives.

Three sources, in this order: the rate limit (``--rate-limit``: the contract's 429 once a
key's budget is spent), a fault the client asks for (``Prefer: fault=NAME``, optionally
with ``dribble=DURATION`` for ``slow-body``), and the chaos mix (``--chaos``, seeded).
``Injector.decide`` returns None for a request left alone (always, when none is on and
the request has no ``Prefer``), else an ``Injection``, which answers in the endpoint's
place (``answer``) and sends that answer (``deliver``). Injected errors are the contract's
own (``Prefer: code=N`` gives the same body and required headers); every injection is
described in the scope (``INJECTED``) for the journal and the request log, and counted.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Receive, Scope, Send

from apikeys_contract import Contract

from ..common import (
    CONNECTION,
    FAILURE,
    INJECTED,
    PREFERENCE_APPLIED,
    ApiError,
    PreparedResponse,
    RequestHeaders,
    send_answer,
)
from ._chaos import ChaosSpec, ChaosSpecError, draw, duration, garbage
from ._endpoint import Endpoint
from ._faults import Fault, send_broken
from ._prefer import bad_prefer, forced_response, preferences
from ._rate_limit import (
    TOO_MANY_REQUESTS,
    RateLimit,
    RateLimiter,
    RetryHeader,
    rate_limit_refusal,
    token_key,
)
from ._responses import forced_error
from ._settings import Settings

_APPLIED = PREFERENCE_APPLIED.lower().encode("latin-1")


def injection_refusal(contract: Contract, settings: Settings) -> str | None:
    """Why ``settings`` ask for what the contract cannot give, in one line; else None."""
    chaos = settings.chaos
    if isinstance(chaos, ChaosSpec):
        documented = contract.statuses
        for status in chaos.statuses:
            if status not in documented or status < 400:
                listed = ", ".join(str(s) for s in documented if s >= 400)
                return (
                    f"--chaos: {status} is not an error {contract.method} {contract.path} "
                    f"documents (documented: {listed})"
                )
    if settings.rate_limit is not None:
        return rate_limit_refusal(contract)
    return None


@dataclass
class Injection:
    """One request's injected answer: a documented error (``status``) or a refusal
    (``refusal``) in the endpoint's place, a transport ``fault``, and a delay."""

    endpoint: Endpoint
    label: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    refusal: ApiError | None = None
    fault: Fault | None = None
    preferred: bool = False
    latency_s: float = 0.0
    dribble_s: float = 0.0
    noise: bytes = b""

    async def answer(
        self, scope: Scope, receive: Receive, headers: RequestHeaders
    ) -> PreparedResponse:
        """``Endpoint.answer`` for this request."""
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        endpoint = self.endpoint
        error = self.refusal if self.refusal is not None else self._error()
        if error is None:
            return await endpoint.answer(scope, receive, headers)
        await endpoint.keep_body(scope, headers, receive)  # the journal shows what was sent
        return endpoint.refuse(error)

    def _error(self) -> ApiError | None:
        if self.status is None:
            return None
        contract = self.endpoint.contract
        forced = forced_response(contract, f"code={self.status}")
        assert forced is not None
        error = forced_error(contract, forced)
        error.headers.pop(PREFERENCE_APPLIED, None)  # the client did not ask for it
        error.headers.update(self.headers)
        error.rule = None
        return error

    async def deliver(self, scope: Scope, send: Send, answer: PreparedResponse) -> PreparedResponse:
        """Send ``answer``, broken by the fault if there is one; what went on the wire."""
        fault = self.fault
        if fault is None:
            await send_answer(send, answer)
            return answer
        if self.preferred and fault.sends_head:
            _apply_preference(answer, f"fault={fault.value}")
        sent = await send_broken(
            fault, scope, send, answer, dribble_s=self.dribble_s, noise=self.noise
        )
        if fault is Fault.TRUNCATED:
            scope[INJECTED] = f"{self.label} (sent {len(sent.body)} of {len(answer.body)} bytes)"
        return sent


def _apply_preference(answer: PreparedResponse, applied: str) -> None:
    headers = answer.headers
    for i, (name, value) in enumerate(headers):
        if name == _APPLIED:
            headers[i] = (name, value + b", " + applied.encode())
            return
    headers.append((_APPLIED, applied.encode()))


class Injector:
    """Decides, request by request, what to inject; counts what it did."""

    def __init__(
        self,
        endpoint: Endpoint,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        contract = endpoint.contract
        problem = injection_refusal(contract, settings)
        if problem is not None:
            raise ValueError(problem)
        self.endpoint = endpoint
        self.chaos = settings.chaos if isinstance(settings.chaos, ChaosSpec) else None
        self.seed = settings.chaos_seed
        limit = settings.rate_limit
        self.limiter = RateLimiter(limit, clock) if isinstance(limit, RateLimit) else None
        self.retry = RetryHeader.from_contract(contract) if self.limiter else None
        self.by_client = settings.rate_limit_key == "client"
        names = contract.security.header_names | {"authorization"}
        self.credentials = frozenset(name.encode("latin-1") for name in names)
        self.sequence = 0  # the operation's requests so far, in the order they arrived
        self.counts: Counter[str] = Counter()

    def decide(self, scope: Scope, request: RequestHeaders) -> Injection | None:
        chaos, limiter = self.chaos, self.limiter
        if chaos is None and limiter is None and request.prefer is None:
            return None
        self.sequence += 1
        injection = Injection(self.endpoint, "")
        # The first source that decides wins: rate limit, then Prefer, then chaos.
        decided = limiter is not None and self._limited(scope, limiter, injection)
        if not decided and request.prefer is not None:
            decided = self._preferred(scope, request.prefer, injection)
        if not decided and chaos is not None:
            self._chaos(scope, chaos, injection)
        if chaos is not None and chaos.latency is not None:
            injection.latency_s = chaos.latency.at(draw(self.seed, self.sequence, b"latency"))
        if injection.refusal is not None:
            return injection  # a Prefer the mock cannot honour: the 400 says why
        if not injection.label and not injection.latency_s:
            return None
        self._describe(scope, injection)
        return injection

    def _limited(self, scope: Scope, limiter: RateLimiter, injection: Injection) -> bool:
        if self.by_client:
            client = scope.get("client")
            key = str(client[0] if client else "").encode()
        else:
            key = token_key([v for k, v in scope["headers"] if k in self.credentials])
        wait = limiter.take(key)
        if wait is None:
            return False
        injection.status = TOO_MANY_REQUESTS
        injection.label = f"rate limit: {TOO_MANY_REQUESTS}"
        if self.retry is not None:
            value = self.retry.value(wait)
            injection.headers[self.retry.name] = value
            injection.label += f", {self.retry.name}: {value}"
        self.counts[f"{TOO_MANY_REQUESTS} (rate limit)"] += 1
        return True

    def _preferred(self, scope: Scope, header: str, injection: Injection) -> bool:
        found = preferences(header)
        name = found.get("fault")
        if name is None:
            return False
        try:
            fault = Fault(name.lower())
            dribble = found.get("dribble")
            injection.dribble_s = self._dribble() if dribble is None else duration(dribble)
        except ValueError as exc:
            message = (
                f"Prefer: dribble={found.get('dribble', '')[:40]}: {exc}"
                if isinstance(exc, ChaosSpecError)
                else f"Prefer: fault={name[:40]} is not a fault this mock injects; "
                f"faults: {Fault.names()}."
            )
            injection.refusal = bad_prefer(message, faults=[f.value for f in Fault])
            return True
        if fault.needs_connection and CONNECTION not in scope:
            injection.refusal = bad_prefer(
                f"Prefer: fault={fault.value} needs the mock's own HTTP server "
                "(python -m mock_server, or the pytest plugin's fixture).",
                faults=[f.value for f in Fault],
            )
            return True
        injection.label = f"Prefer: fault={fault.value}"
        injection.fault, injection.preferred = fault, True
        injection.noise = garbage(self.seed, self.sequence)
        self.counts[fault.value] += 1
        return True

    def _chaos(self, scope: Scope, chaos: ChaosSpec, injection: Injection) -> None:
        outcome = chaos.pick(draw(self.seed, self.sequence, b"outcome"))
        if outcome is None:
            return
        if isinstance(outcome, int):
            injection.status = outcome
        elif outcome.needs_connection and CONNECTION not in scope:
            self.counts[f"{outcome.value} (skipped: no connection)"] += 1
            return
        else:
            injection.fault = outcome
            injection.dribble_s = chaos.dribble_s
            injection.noise = garbage(self.seed, self.sequence)
        injection.label = f"chaos: {outcome}"
        self.counts[str(outcome)] += 1

    def _dribble(self) -> float:
        chaos = self.chaos
        return chaos.dribble_s if chaos is not None else ChaosSpec().dribble_s

    def _describe(self, scope: Scope, injection: Injection) -> None:
        label = injection.label
        if label:
            scope[FAILURE] = f"injected {label}"  # the request log's line says so
        if injection.latency_s:
            delay = f"latency {injection.latency_s * 1000:.0f} ms"
            label = f"{label}, {delay}" if label else f"chaos: {delay}"
            self.counts["latency"] += 1
        injection.label = scope[INJECTED] = label

    def summary(self) -> str | None:
        """One line of counts, for the mock's shutdown; None when nothing was injected."""
        if not self.counts:
            return None
        counted = ", ".join(f"{name} x{count}" for name, count in sorted(self.counts.items()))
        seed = f" (chaos seed {self.seed})" if self.chaos is not None else ""
        return f"injected{seed}, of {self.sequence} requests: {counted}"


def injector_of(app: Any) -> Injector | None:
    """The injector of a mock app (None for any other app)."""
    state = getattr(app, "state", None)
    found = getattr(state, "injector", None)
    return found if isinstance(found, Injector) else None
