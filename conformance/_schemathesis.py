"""Schemathesis's generation from the spec, as probes judged by the contract."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from apikeys_contract import Contract

from ._model import Probe
from ._probes import make_probe


def _body(case: Any) -> bytes:
    from schemathesis.core import NOT_SET

    body = case.body
    if body is NOT_SET:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str) and case.media_type and "json" not in case.media_type:
        return body.encode("utf-8", "surrogatepass")
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _probe(contract: Contract, case: Any) -> Probe:
    # Generated headers are dropped: the credentials are the harness's own, and
    # Schemathesis's header mutations are not part of this contract.
    content_type = case.media_type or contract.request_media_type
    return make_probe(contract, _body(case), content_type)


def schemathesis_probes(contract: Contract) -> st.SearchStrategy[Probe]:
    """Positive and negative cases Schemathesis generates (with Python ``re`` semantics;
    ``_judge`` decides their validity with ECMA-262 ones)."""
    import schemathesis
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_dict(dict(contract.document))
    operation = schema[contract.path][contract.method]
    return st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ).map(lambda case: _probe(contract, case))
