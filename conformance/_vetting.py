"""Loading the contract the harness judges by, refused in one line when it cannot judge it:
statuses the checks rely on that it does not document, security it cannot present, a
request schema no body satisfies, $refs that form a cycle."""

from __future__ import annotations

from apikeys_contract import Contract, SpecError, load_contract
from apikeys_contract.checks import missing_statuses

from ._fields import RequestShape
from .errors import UsageError


def vetted_contract(spec: str | None) -> tuple[Contract, RequestShape]:
    """The contract at ``spec`` and the shape of its request bodies; ``UsageError`` (exit 2,
    before the first request) for one the harness cannot judge."""
    try:
        contract = load_contract(spec)
        missing = missing_statuses(contract)
        if missing:
            raise SpecError(
                f"{contract.origin}: the operation does not document statuses "
                f"{', '.join(map(str, missing))}, which the checks rely on"
            )
        refusal = contract.security.refusal(contract.origin)
        if refusal is not None:
            raise SpecError(refusal)
        shape = RequestShape(contract)
        shape.base  # noqa: B018 - fail now on a request schema with no valid body
        shape.fields  # noqa: B018
    except SpecError as exc:
        raise UsageError(str(exc)) from exc
    except RecursionError:
        raise UsageError(f"{spec}: the contract's $refs form a cycle") from None
    return contract, shape
