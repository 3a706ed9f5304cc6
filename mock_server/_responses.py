"""Success bodies, planned from the spec once, and the bodies forced with ``Prefer``."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apikeys_contract import Contract, SpecError

from ._errors import ApiError
from ._ids import uuid4
from ._prefer import Forced

# How the mock fills a success property that the request does not carry. The spec picks
# one per property with the `x-mock` extension; the default is a fresh UUID.
GENERATORS: Mapping[str, Callable[[], str]] = {
    "uuid": uuid4,
    "secret": lambda: secrets.token_urlsafe(32),
}


@dataclass(frozen=True)
class SuccessPlan:
    """Which success properties echo the request and which are generated afresh."""

    status: int
    media_type: str
    echoed: tuple[str, ...]
    generated: tuple[tuple[str, Callable[[], str]], ...]

    def body(self, request: Mapping[str, Any]) -> dict[str, Any]:
        body = {name: request[name] for name in self.echoed if name in request}
        for name, generate in self.generated:
            body[name] = generate()
        return body

    @classmethod
    def from_contract(cls, contract: Contract) -> SuccessPlan:
        status = contract.success_status
        response = contract.responses[status]
        if response.schema_pointer is None or response.media_type is None:
            raise SpecError(f"{contract.origin}: the {status} response has no JSON schema")
        properties = contract.schema(response.schema_pointer).get("properties") or {}
        request_properties = (
            contract.schema(contract.request_schema_pointer).get("properties") or {}
        )
        echoed: list[str] = []
        generated: list[tuple[str, Callable[[], str]]] = []
        for name, schema in properties.items():
            how = schema.get("x-mock", "echo" if name in request_properties else "uuid")
            if how == "echo":
                echoed.append(name)
            elif how in GENERATORS:
                generated.append((name, GENERATORS[how]))
            else:
                raise SpecError(
                    f"{contract.origin}: x-mock {how!r} on {name!r} is not one of "
                    f"echo, {', '.join(GENERATORS)}"
                )
        return cls(status, response.media_type, tuple(echoed), tuple(generated))

    def forced(self, forced: Forced, request: Mapping[str, Any] | None) -> dict[str, Any]:
        """The example body with fresh generated values, echoing a valid request."""
        example = dict(forced.body) if isinstance(forced.body, Mapping) else {}
        source = request if request is not None else example
        echoed = {name: source[name] for name in self.echoed if name in source}
        fresh = {name: generate() for name, generate in self.generated}
        return {**example, **echoed, **fresh}


def preference_applied(forced: Forced) -> dict[str, str]:
    """RFC 7240: tell the client which of its preferences shaped the response."""
    applied = f"code={forced.status}"
    if forced.example is not None:
        applied += f", example={forced.example}"
    return {"Preference-Applied": applied}


def forced_error(contract: Contract, forced: Forced) -> ApiError:
    description = contract.responses[forced.status].description
    error = ApiError.from_body(
        forced.status, forced.body, fallback=description or "Forced response"
    )
    error.headers.update(preference_applied(forced))
    return error
