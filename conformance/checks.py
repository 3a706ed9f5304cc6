"""One plain function per property of the contract, each named for the property it checks.

A check takes the run's ``CheckContext`` and one ``Exchange``. It returns ``True`` when it
applied and held, ``None`` when it does not apply to that exchange, and raises
``ContractViolation`` (an ``AssertionError``) when the target broke the contract.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from apikeys_contract import SpecError, resolve

from ._model import Credential, Exchange, Outcome
from ._spec import SpecView, base_media_type

# HTTP's own meaning of these statuses, not a constraint of the contract: the contract
# must document each of them (checked in CheckContext), and the checks only read that.
INVALID_INPUT = HTTPStatus.BAD_REQUEST
UNAUTHENTICATED = HTTPStatus.UNAUTHORIZED
FORBIDDEN = HTTPStatus.FORBIDDEN
# Tokens shorter than this may occur in a response by chance; they are not searched for.
MIN_SECRET_LENGTH = 8


class ContractViolation(AssertionError):
    """The target broke the contract. ``summary`` identifies the violation for deduplication."""

    def __init__(self, summary: str, *, received: str, documented: str) -> None:
        super().__init__(f"{summary}: received {received}; the contract documents {documented}")
        self.summary = summary
        self.received = received
        self.documented = documented


@dataclass
class CheckContext:
    """The contract and the run's memory (uniqueness is a property of the whole run)."""

    view: SpecView
    secrets: tuple[str, ...] = ()
    seen_request_ids: set[str] = field(default_factory=set)
    seen_values: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = {INVALID_INPUT, UNAUTHENTICATED, FORBIDDEN} - set(self.view.contract.statuses)
        if missing:
            raise SpecError(f"the operation does not document statuses {sorted(missing)}")

    @property
    def statuses(self) -> str:
        return ", ".join(map(str, self.view.contract.statuses))


def _excerpt(data: bytes | str, limit: int = 160) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _json(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))


def _describe_name(name: str) -> str:
    utf16 = len(name.encode("utf-16-le", "surrogatepass")) // 2
    utf8 = len(name.encode("utf-8", "surrogatepass"))
    shown = _excerpt(name, 60)
    return f"{shown} ({len(name)} code points, {utf16} UTF-16 units, {utf8} UTF-8 bytes)"


def status_conformance(ctx: CheckContext, exchange: Exchange) -> bool | None:
    status = exchange.reply.status
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        raise ContractViolation(
            f"server error {status}",
            received=f"{status} for {exchange.probe.kind}",
            documented=f"statuses {ctx.statuses}; no input may cause a 5xx",
        )
    if status not in ctx.view.contract.responses:
        raise ContractViolation(
            f"undocumented status {status}",
            received=f"{status} for {exchange.probe.kind}",
            documented=f"only statuses {ctx.statuses} for {ctx.view.contract.method} "
            f"{ctx.view.contract.path}",
        )
    return True


def name_acceptance(ctx: CheckContext, exchange: Exchange) -> bool | None:
    probe, reply = exchange.probe, exchange.reply
    if probe.expected is not Outcome.ACCEPT or probe.name is None:
        return None
    field_ = ctx.view.name_field
    success = ctx.view.contract.success_status
    if reply.status != success:
        # Rejections are told apart by the boundary they hit; other statuses are one defect.
        which = f" ({probe.kind})" if reply.status == INVALID_INPUT else ""
        raise ContractViolation(
            f"valid {field_.key}{which} answered {reply.status}",
            received=f"{reply.status} for name {_describe_name(probe.name)}",
            documented=f"{success} for any {field_.key} of {field_.min_length}.."
            f"{field_.max_length} code points matching the pattern {field_.pattern} (ECMA-262)",
        )
    try:
        echoed = _json(reply.body).get(field_.key)
    except (ValueError, AttributeError):
        return True  # success_shape reports an unreadable body
    if echoed != probe.name:
        raise ContractViolation(
            f"{field_.key} not echoed unchanged",
            received=f"{_excerpt(str(echoed))} for {_describe_name(probe.name)}",
            documented=f"the {field_.key} sent, unchanged",
        )
    return True


def name_rejection(ctx: CheckContext, exchange: Exchange) -> bool | None:
    probe, reply = exchange.probe, exchange.reply
    if probe.expected is Outcome.REJECT:
        allowed: tuple[int, ...] = (INVALID_INPUT,)
    elif probe.expected is Outcome.ACCEPT_OR_REJECT:
        allowed = (ctx.view.contract.success_status, INVALID_INPUT)
    else:
        return None
    if reply.status not in allowed:
        shown = (
            f"name {_describe_name(probe.name)}"
            if probe.name is not None
            else f"{probe.kind} {_excerpt(probe.body, 60)}"
        )
        accepted = reply.status == ctx.view.contract.success_status
        raise ContractViolation(
            f"{probe.kind if accepted else 'invalid input'} answered {reply.status}",
            received=f"{reply.status} for {shown}",
            documented=" or ".join(map(str, allowed)) + f" for {probe.kind}",
        )
    return True


def authentication(ctx: CheckContext, exchange: Exchange) -> bool | None:
    probe, reply = exchange.probe, exchange.reply
    for secret in ctx.secrets:
        if len(secret) < MIN_SECRET_LENGTH:
            continue
        where = [name for name, value in reply.headers if secret in value]
        if secret.encode("utf-8") in reply.body:
            where.append("body")
        if where:
            raise ContractViolation(
                "token reflected in the response",
                received=f"a presented bearer token in the response {', '.join(where)}",
                documented="responses that never repeat the token",
            )
    wanted = {Outcome.UNAUTHENTICATED: UNAUTHENTICATED, Outcome.FORBIDDEN: FORBIDDEN}
    if probe.credential is not Credential.VALID and 200 <= reply.status < 300:
        raise ContractViolation(
            f"{probe.credential.value} answered {reply.status}",
            received=f"{reply.status} with {probe.credential.value}",
            documented=f"{wanted.get(probe.expected, UNAUTHENTICATED)} without a valid token",
        )
    expected = wanted.get(probe.expected)
    if expected is not None and reply.status != expected:
        raise ContractViolation(
            f"{probe.credential.value} answered {reply.status}",
            received=f"{reply.status} with {probe.credential.value}",
            documented=f"{int(expected)} ({expected.phrase})",
        )
    return True


def headers(ctx: CheckContext, exchange: Exchange) -> bool | None:
    reply = exchange.reply
    contract = ctx.view.contract
    spec = contract.responses.get(reply.status)
    required = set(spec.required_headers if spec else ()) | {contract.request_id_header}
    for name in sorted(required):
        values = reply.header_values(name)
        if not values:
            raise ContractViolation(
                f"{name} missing",
                received=f"a {reply.status} response without {name}",
                documented=f"{name} on every response",
            )
        validator = ctx.view.header_validator(reply.status, name) if spec else None
        if validator is not None and not validator.is_valid(values[0]):
            raise ContractViolation(
                f"{name} violates its schema",
                received=f"{name}: {values[0]!r}",
                documented="a value valid against "
                + json.dumps(ctx.view.header_schema(reply.status, name)),
            )
    name = contract.request_id_header
    request_id = reply.header(name) or ""
    if request_id in ctx.seen_request_ids:
        raise ContractViolation(
            f"{name} repeated",
            received=f"{name}: {request_id!r}, already sent on an earlier response",
            documented=f"a {name} unique to each response",
        )
    ctx.seen_request_ids.add(request_id)
    return True


def _content_type_problem(
    ctx: CheckContext, exchange: Exchange, what: str
) -> ContractViolation | None:
    reply = exchange.reply
    documented = ctx.view.media_type_of(reply.status)
    received = reply.header("content-type")
    if documented is not None and base_media_type(received) != base_media_type(documented):
        return ContractViolation(
            f"{what} with content type {base_media_type(received) or 'none'}",
            received=f"{reply.status} with Content-Type {received!r}, body {_excerpt(reply.body)}",
            documented=f"{documented} for {reply.status}",
        )
    return None


def _schema_problem(
    ctx: CheckContext, exchange: Exchange, status: int, what: str
) -> ContractViolation | None:
    reply = exchange.reply
    try:
        document = _json(reply.body)
    except (ValueError, RecursionError):
        cut = " (cut short by the harness's size limit)" if reply.truncated else ""
        return ContractViolation(
            f"{what} is not JSON",
            received=f"{reply.status} with body {_excerpt(reply.body)}{cut}",
            documented=f"a JSON body for {status}",
        )
    validator = ctx.view.contract.response_validator(status)
    if validator is None:
        return None
    for error in validator.iter_errors(document):
        where = "/".join(map(str, error.schema_path)) or "schema"
        return ContractViolation(
            f"{what} fails {where}",
            received=f"{reply.status} with body {_excerpt(reply.body)}: {error.message}",
            documented=f"a body valid against the {status} response schema",
        )
    return None


def error_shape(ctx: CheckContext, exchange: Exchange) -> bool | None:
    status = exchange.reply.status
    if status < INVALID_INPUT or status not in ctx.view.contract.responses:
        return None
    problem = _content_type_problem(ctx, exchange, f"{status} error") or _schema_problem(
        ctx, exchange, status, f"{status} error body"
    )
    if problem is not None:
        raise problem
    return True


def success_shape(ctx: CheckContext, exchange: Exchange) -> bool | None:
    reply = exchange.reply
    if not 200 <= reply.status < 300:
        return None
    success = ctx.view.contract.success_status
    problem = _content_type_problem(ctx, exchange, "success") or _schema_problem(
        ctx, exchange, success, "success body"
    )
    if problem is not None:
        raise problem
    body: Mapping[str, Any] = _json(reply.body)
    for key in fresh_fields(ctx.view):
        value = json.dumps(body.get(key))
        seen = ctx.seen_values.setdefault(key, set())
        if value in seen:
            raise ContractViolation(
                f"{key} repeated",
                received=f"{key} {value}, already returned by an earlier call",
                documented=f"a new {key} on every call",
            )
        seen.add(value)
    return True


def fresh_fields(view: SpecView) -> tuple[str, ...]:
    """Required success properties the client did not send: new on every call."""
    contract = view.contract
    pointer_ = contract.responses[contract.success_status].schema_pointer
    if pointer_ is None:
        return ()
    schema, _ = resolve(contract.document, pointer_)
    request, _ = resolve(contract.document, contract.request_schema_pointer)
    sent = set(request.get("properties") or {})
    return tuple(k for k in schema.get("required") or () if k not in sent)


Check = Callable[[CheckContext, Exchange], "bool | None"]

CHECKS: dict[str, tuple[Check, str]] = {
    "name_acceptance": (name_acceptance, "valid names get the success status and come back"),
    "name_rejection": (name_rejection, "invalid names and bodies get 400"),
    "authentication": (authentication, "401/403 without a valid token; tokens never echoed"),
    "headers": (headers, "request-id header present, valid and unique"),
    "error_shape": (error_shape, "errors are JSON objects valid against the Error schema"),
    "status_conformance": (status_conformance, "only documented statuses, never 5xx"),
    "success_shape": (success_shape, "success bodies are schema-valid with fresh credentials"),
}
