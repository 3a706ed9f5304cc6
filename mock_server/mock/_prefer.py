"""The ``Prefer`` header (Prism's syntax): ``code=500``, ``example=NAME``, or both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apikeys_contract import Contract

from ..common import ApiError, Rule


@dataclass(frozen=True)
class Forced:
    """A documented response the client asked for by status and/or example name."""

    status: int
    example: str | None
    body: Any


def preferences(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in header.replace(";", ",").split(","):
        name, sep, value = item.partition("=")
        if sep:
            found.setdefault(name.strip().lower(), value.strip().strip('"'))
    return found


def bad_prefer(message: str, **extra: Any) -> ApiError:
    return ApiError(400, "invalid_prefer", message, extra=extra, rule=Rule.PREFER)


def forced_response(contract: Contract, header: str | None) -> Forced | None:
    """The response ``header`` forces, None if it forces nothing; ApiError(400) if it
    names a status or example the contract does not document for the operation."""
    if not header:
        return None
    found = preferences(header)
    code, example = found.get("code"), found.get("example")
    if code is None and example is None:
        return None  # other preferences (return=minimal, ...) do not concern the mock
    documented = contract.statuses
    if code is not None:
        if not (code.isascii() and code.isdigit()) or int(code) not in documented:
            listed = ", ".join(map(str, documented))
            raise bad_prefer(
                f"Prefer: code={code[:20]} is not documented for "
                f"{contract.method} {contract.path}; documented: {listed}.",
                documented=list(documented),
            )
        candidates = [int(code)]
    else:
        candidates = [s for s in documented if example in contract.responses[s].examples]
    if example is None:
        status = candidates[0]
        examples = contract.responses[status].examples
        name = next(iter(examples), None)
        return Forced(status, name, examples[name] if name is not None else None)
    for status in candidates:
        examples = contract.responses[status].examples
        if example in examples:
            return Forced(status, example, examples[example])
    available = {str(s): list(contract.responses[s].examples) for s in candidates or documented}
    raise bad_prefer(
        f"Prefer: example={example[:60]} is not documented"
        + (f" for status {candidates[0]}" if code is not None else "")
        + ".",
        examples=available,
    )
