"""What the harness reads from the contract beyond ``apikeys_contract``'s accessors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jsonschema_rs

from apikeys_contract import Contract, SpecError, pointer, resolve


@dataclass(frozen=True)
class NameField:
    """The required string property of the request body (``name``) and its constraints."""

    key: str
    min_length: int
    max_length: int | None
    pattern: str | None


@dataclass(frozen=True)
class SpecView:
    """The contract, plus the few derived facts the checks and strategies need."""

    contract: Contract

    @cached_property
    def name_field(self) -> NameField:
        schema, at = resolve(self.contract.document, self.contract.request_schema_pointer)
        properties = schema.get("properties") or {}
        for key in schema.get("required") or ():
            field, _ = resolve(self.contract.document, at + pointer("properties", key))
            if isinstance(field, Mapping) and field.get("type") == "string":
                return NameField(
                    key=key,
                    min_length=int(field.get("minLength", 0)),
                    max_length=int(field["maxLength"]) if "maxLength" in field else None,
                    pattern=field.get("pattern"),
                )
        raise SpecError(f"the request schema has no required string property: {list(properties)}")

    def _header_schema_pointer(self, status: int, header: str) -> str | None:
        at = pointer("paths", self.contract.path, self.contract.method.lower())
        at += pointer("responses", str(status), "headers", header)
        try:
            node, final = resolve(self.contract.document, at)
        except SpecError:
            return None
        if not isinstance(node, Mapping) or "schema" not in node:
            return None
        return final + "/schema"

    def header_schema(self, status: int, header: str) -> Any:
        at = self._header_schema_pointer(status, header)
        return resolve(self.contract.document, at)[0] if at else None

    def header_validator(self, status: int, header: str) -> jsonschema_rs.Validator | None:
        """A validator for ``header``'s schema on response ``status``, if the spec has one."""
        at = self._header_schema_pointer(status, header)
        return self.contract.validator(at) if at else None

    @property
    def error_statuses(self) -> tuple[int, ...]:
        return tuple(s for s in self.contract.statuses if s >= 400)

    def media_type_of(self, status: int) -> str | None:
        response = self.contract.responses.get(status)
        return response.media_type if response else None


def base_media_type(content_type: str | None) -> str:
    """``"Application/JSON; charset=utf-8"`` -> ``"application/json"``."""
    return (content_type or "").split(";")[0].strip().lower()
