"""Success bodies and required response headers, planned from the spec once, and the bodies
forced with ``Prefer``.

At start-up every success property gets a way to be produced (``apikeys_contract``'s value
plans: formats, enums, bounds, patterns, nested objects...), or echoes the request where the
contract says so (``Contract.echoed_fields``); the whole body is then built once from a
valid request and validated, so that a contract the mock cannot honour is refused before
the first request. Per request, the body is a loop over ready-made steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from apikeys_contract import (
    Contract,
    NoValue,
    Planner,
    SpecError,
    ValuePlan,
    header_text,
    pointer,
    schema_problems,
)

from ..common import ApiError, Rule
from ._prefer import Forced

Step = Callable[[Mapping[str, Any]], Any]
_ABSENT: Any = object()
# Keywords that describe a schema without constraining it: two property schemas that differ
# only in these accept the same values, so an echoed value needs no check.
_ANNOTATIONS = frozenset(
    {"description", "title", "x-mock", "x-unique", "example", "examples", "readOnly",
     "writeOnly", "deprecated", "$comment", "default"}
)  # fmt: skip


def _constraints(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        return {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
    return schema


@dataclass(frozen=True)
class SuccessPlan:
    """How each success property is produced: echoed from the request, or generated."""

    status: int
    media_type: str
    steps: tuple[tuple[str, Step], ...]
    echoed: tuple[str, ...] = ()
    fresh: tuple[tuple[str, Callable[[], Any]], ...] = ()
    whole: Callable[[], Any] | None = None

    def body(self, request: Any) -> Any:
        if self.whole is not None:
            return self.whole()
        if not isinstance(request, dict):
            request = {}
        body = {}
        for name, make in self.steps:
            value = make(request)
            if value is not _ABSENT:
                body[name] = value
        return body

    def forced(self, forced: Forced, request: Mapping[str, Any] | None) -> Any:
        """The example body over a generated one, echoing a valid request (or the example's
        own values), with fresh values new."""
        example = dict(forced.body) if isinstance(forced.body, Mapping) else {}
        if self.whole is not None:
            return forced.body if forced.body is not None else self.whole()
        generated = self.body(request if request is not None else example)
        echoed = {name: generated[name] for name in self.echoed if name in generated}
        fresh = {name: make() for name, make in self.fresh}
        return {**generated, **example, **echoed, **fresh}

    @classmethod
    def from_contract(cls, contract: Contract) -> SuccessPlan:
        """The plan for the contract's success response; SpecError (one line) when some
        required property cannot be produced validly."""
        status = contract.success_status
        response = contract.responses[status]
        if response.schema_pointer is None or response.media_type is None:
            raise SpecError(f"{contract.origin}: the {status} response has no JSON schema")
        planner = Planner(contract.document)
        schema = contract.schema(response.schema_pointer)
        where = f"{contract.origin}: {status} response"
        if "properties" not in schema:
            whole = _plan_or_refuse(planner, response.schema_pointer, where, "")
            return cls(status, response.media_type, (), whole=whole.produce)
        steps = tuple(_steps(contract, planner, response.schema_pointer, where))
        plan = cls(
            status,
            response.media_type,
            steps,
            tuple(name for name, _ in steps if name in contract.echoed_fields),
            _fresh(contract, planner, response.schema_pointer),
        )
        plan.prove(contract, planner, where)
        return plan

    def prove(self, contract: Contract, planner: Planner, where: str) -> None:
        """Build a body from a valid request and validate it (formats asserted)."""
        request = planner.plan(contract.request_schema_pointer)
        if isinstance(request, NoValue):
            return  # no valid request to echo from: each property was proven on its own
        sample = request.produce()
        check = planner.validator(contract.responses[self.status].schema_pointer or "")
        problems = schema_problems(check, self.body(sample))
        if problems:
            first = problems[0]
            raise SpecError(
                f"{where}: the body the mock builds is invalid at "
                f"{first.pointer or 'the top'}: {first.message}"
            )


def _plan_or_refuse(
    planner: Planner, at: str, where: str, name: str, examples: Sequence[Any] = ()
) -> ValuePlan:
    plan = planner.plan(at, where=name, examples=examples)
    if isinstance(plan, NoValue):
        raise SpecError(f"{where}: {plan.message()}")
    return plan


def _steps(
    contract: Contract, planner: Planner, schema_pointer: str, where: str
) -> list[tuple[str, Step]]:
    required = set(contract.schema(schema_pointer).get("required") or [])
    examples = list(contract.responses[contract.success_status].examples.values())
    steps: list[tuple[str, Step]] = []
    for name in contract.schema(schema_pointer).get("properties") or {}:
        at = schema_pointer + pointer("properties", name)
        candidates = [e[name] for e in examples if isinstance(e, Mapping) and name in e]
        plan = planner.plan(at, where=f"/{name}", examples=candidates)
        if name in contract.echoed_fields:
            step = _echo_step(contract, planner, name, at, plan if name in required else None)
            if isinstance(step, NoValue):
                raise SpecError(f"{where}: {step.message()}")
            steps.append((name, step))
        elif isinstance(plan, ValuePlan):
            steps.append((name, _generated(plan.produce)))
        elif name in required or plan.explicit:
            raise SpecError(f"{where}: {plan.message()}")
        # an optional property the mock cannot produce is left out
    return steps


def _echo_step(
    contract: Contract, planner: Planner, name: str, at: str, plan: ValuePlan | NoValue | None
) -> Step | NoValue:
    """Echo the request's ``name``. ``plan`` (given when the response requires the property)
    fills in when the request may lack it or carry a value the response schema refuses;
    NoValue when it is needed and cannot."""
    request = contract.schema(contract.request_schema_pointer)
    mirrored = name in (request.get("properties") or {})
    theirs = contract.request_schema_pointer + pointer("properties", name)
    same = mirrored and _constraints(planner.schema(at)[0]) == _constraints(
        planner.schema(theirs)[0]
    )
    check = None if same else planner.validator(planner.schema(at)[1])
    if same and name in (request.get("required") or []):
        return _echo(name, None, None)  # validated on the way in: always there, always valid
    if isinstance(plan, NoValue):
        return plan
    return _echo(name, plan.produce if plan is not None else None, check)


def _echo(name: str, fallback: Callable[[], Any] | None, check: Any) -> Step:
    if fallback is None and check is None:

        def step(request: Mapping[str, Any]) -> Any:
            return request.get(name, _ABSENT)

    else:

        def step(request: Mapping[str, Any]) -> Any:
            value = request.get(name, _ABSENT)
            if value is _ABSENT or (check is not None and not check.is_valid(value)):
                return fallback() if fallback is not None else _ABSENT
            return value

    return step


def _generated(produce: Callable[[], Any]) -> Step:
    return lambda _request: produce()


def _fresh(
    contract: Contract, planner: Planner, schema_pointer: str
) -> tuple[tuple[str, Callable[[], Any]], ...]:
    found = []
    for name in contract.fresh_fields:
        plan = planner.plan(schema_pointer + pointer("properties", name), where=f"/{name}")
        if isinstance(plan, ValuePlan):
            found.append((name, plan.produce))
    return tuple(found)


def required_headers(contract: Contract, planner: Planner, status: int) -> dict[str, str]:
    """A valid value for every header the contract requires on ``status`` (the request-id
    header excepted: the middleware sets it); SpecError when one cannot be produced."""
    response = contract.responses[status]
    found: dict[str, str] = {}
    base = pointer("paths", contract.path, contract.method.lower(), "responses", str(status))
    for name in response.required_headers:
        if name.lower() == contract.request_id_header.lower():
            continue
        header = response.header_objects.get(name) or {}
        examples = [header["example"]] if "example" in header else []
        for example in (header.get("examples") or {}).values():
            if isinstance(example, Mapping) and "value" in example:
                examples.append(example["value"])
        if "schema" not in header:
            found[name] = header_text(examples[0]) if examples else "1"
            continue
        at = base + pointer("headers", name, "schema")
        where = f"{contract.origin}: {status} response"
        plan = _plan_or_refuse(planner, at, where, f"header {name}", examples)
        found[name] = header_text(plan.produce())
    return found


def status_headers(contract: Contract) -> dict[int, dict[str, str]]:
    """The required headers of every documented status, planned once."""
    planner = Planner(contract.document)
    return {status: required_headers(contract, planner, status) for status in contract.statuses}


def preference_applied(forced: Forced) -> dict[str, str]:
    """RFC 7240: tell the client which of its preferences shaped the response."""
    applied = f"code={forced.status}"
    if forced.example is not None:
        applied += f", example={forced.example}"
    return {"Preference-Applied": applied}


def forced_error(contract: Contract, forced: Forced) -> ApiError:
    description = contract.responses[forced.status].description
    error = ApiError.from_body(
        forced.status, forced.body, fallback=description or "Forced response", rule=Rule.FORCED
    )
    error.headers.update(preference_applied(forced))
    return error
