from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from .errors import SpecError

BUNDLED_SPEC = "api-keys.yaml"


def bundled_spec_text() -> str:
    return (resources.files(__package__) / "openapi" / BUNDLED_SPEC).read_text(encoding="utf-8")


def read_spec_text(path: str | Path | None) -> tuple[str, str]:
    """Return (text, origin) for the spec at ``path``, or the bundled one."""
    if path is None:
        return bundled_spec_text(), f"bundled {BUNDLED_SPEC}"
    try:
        return Path(path).read_text(encoding="utf-8"), str(path)
    except FileNotFoundError as exc:
        raise SpecError(f"spec file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec file {path}: {exc}") from exc


def parse_spec(text: str, origin: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(f"{origin} is not valid YAML or JSON{where}") from exc
    if not isinstance(document, dict) or "openapi" not in document:
        raise SpecError(f"{origin} is not an OpenAPI document (no top-level 'openapi' field)")
    try:
        validate_openapi(document)
    except RecursionError:
        raise SpecError(f"{origin} is not a usable contract: its $refs form a cycle") from None
    except OpenAPIValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        summary = exc.message.splitlines()[0] if exc.message else "invalid"
        raise SpecError(
            f"{origin} is not a valid OpenAPI document: {summary}"
            + (f" at /{where}" if where else "")
        ) from exc
    # Round-trip through JSON so the document holds only JSON types (YAML dates, int keys).
    try:
        normalised: dict[str, Any] = json.loads(json.dumps(document, default=str))
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{origin} holds values that are not JSON: {exc}") from exc
    return normalised


def load_document(path: str | Path | None = None) -> tuple[dict[str, Any], str]:
    text, origin = read_spec_text(path)
    return parse_spec(text, origin), origin
