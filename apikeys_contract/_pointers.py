"""JSON Pointers (RFC 6901) into the spec, following its local $refs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import SpecError


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str) -> str:
    """A JSON Pointer built from raw reference tokens."""
    return "".join("/" + _escape(token) for token in tokens)


def resolve(document: Mapping[str, Any], at: str) -> tuple[Any, str]:
    """The node at JSON Pointer ``at``, following local $refs on the way and at the end;
    with the pointer where that node really stands."""
    node, here = _follow(document, document, "")
    for raw in at.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            child = node[int(token)]  # allOf/0, prefixItems/1...
        elif isinstance(node, Mapping) and token in node:
            child = node[token]
        else:
            raise SpecError(f"nothing at {here}/{raw}")
        node, here = _follow(document, child, f"{here}/{raw}")
    return node, here


def _follow(document: Mapping[str, Any], node: Any, here: str) -> tuple[Any, str]:
    for _ in range(32):
        if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
            return node, here
        ref = str(node["$ref"])
        if not ref.startswith("#"):
            raise SpecError(f"only local $refs are supported, not {ref!r}")
        node, here = resolve(document, ref[1:])
    raise SpecError(f"$ref chain too long at {here}")
