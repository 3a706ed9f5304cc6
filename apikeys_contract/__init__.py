"""The API-keys contract: the OpenAPI spec shipped with this project, loaded and compiled.

Both the mock server and the conformance suite read the endpoint from here; neither copies
a constraint, status or header name into Python.
"""

from ._contract import Contract, ResponseSpec, load_contract
from ._loader import bundled_spec_text
from ._pointers import pointer, resolve
from .errors import SpecError

__all__ = [
    "Contract",
    "ResponseSpec",
    "SpecError",
    "bundled_spec_text",
    "load_contract",
    "pointer",
    "resolve",
]
