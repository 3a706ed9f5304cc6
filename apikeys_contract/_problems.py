"""Request validation: every way a document breaks the request schema, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from ._pointers import pointer

MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class Problem:
    """One schema violation: where (a JSON Pointer), which keyword, and a message."""

    pointer: str
    keyword: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "keyword": self.keyword, "message": self.message}


def _short(message: str) -> str:
    # A 10 kB name would otherwise be echoed back in full, several times.
    if len(message) <= MESSAGE_LIMIT:
        return message
    return message[: MESSAGE_LIMIT - 3] + "..."


_REQUIRED = jsonschema_rs.ValidationErrorKind.Required


def _problem(error: jsonschema_rs.ValidationError) -> Problem:
    path = error.instance_path
    kind = error.kind
    if isinstance(kind, _REQUIRED):
        path = [*path, kind.property]  # point at the missing member, not its parent
    schema_path = error.schema_path
    keyword = str(schema_path[-1]) if schema_path else ""
    return Problem(_pointer(path), keyword, _short(error.message))


def _pointer(path: list[str | int]) -> str:
    # The common case (one token, nothing to escape) without a join.
    if len(path) == 1:
        token = str(path[0])
        if "~" not in token and "/" not in token:
            return "/" + token
    return pointer(*(str(p) for p in path))


def schema_problems(validator: jsonschema_rs.Validator, document: Any) -> tuple[Problem, ...]:
    """Every violation of ``validator``'s schema by ``document``; () when it is valid.

    Never raises. Lone surrogates (which jsonschema_rs cannot hand to Rust) are judged as
    U+FFFD, one code point that is never whitespace: what the schema says of a string
    counted in code points. A document too deep for the validator is one ``depth`` problem.
    """
    try:
        try:
            if validator.is_valid(document):
                return ()
        except UnicodeEncodeError:
            document = replace_surrogates(document)
            if validator.is_valid(document):
                return ()
        return tuple(_problem(error) for error in validator.iter_errors(document))
    except (RecursionError, ValueError):
        # jsonschema_rs reports errors only down to 255 levels ("Recursion limit reached")
        return (Problem("", "depth", "nested too deeply to validate"),)
    except Exception as exc:  # a judge returns a verdict, always
        return (Problem("", "unvalidated", f"could not be validated ({type(exc).__name__})"),)


def replace_surrogates(value: Any) -> Any:
    """``value`` with each lone surrogate replaced by U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {replace_surrogates(k): replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_surrogates(v) for v in value]
    return value
