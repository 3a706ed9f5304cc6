"""The paths of the mock's own pages (the served contract and its docs), which are not the
contract's operation: the docs routes serve them, the journal marks them as the mock's own."""

from __future__ import annotations

SPEC_JSON = "/openapi.json"
SPEC_YAML = "/openapi.yaml"
DOCS = "/docs"


def docs_path(path: str) -> bool:
    """True for the paths the docs routes serve (the contract and its docs)."""
    return path in (SPEC_JSON, SPEC_YAML, DOCS) or path.startswith(DOCS + "/")
