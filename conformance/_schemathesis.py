"""Schemathesis's generation from the spec, as probes judged by the contract."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from ._judge import judge
from ._model import Probe
from ._spec import SpecView


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


def _probe(view: SpecView, case: Any) -> Probe:
    # Generated headers are dropped: the credentials are the harness's own, and
    # Schemathesis's header mutations are not part of this contract.
    body = _body(case)
    content_type = case.media_type or view.contract.request_media_type
    verdict = judge(view, body, content_type)
    return Probe(verdict.kind, body, content_type, expected=verdict.expected, name=verdict.name)


def schemathesis_probes(view: SpecView) -> st.SearchStrategy[Probe]:
    """Positive and negative cases Schemathesis generates (with Python ``re`` semantics;
    ``_judge`` decides their validity with ECMA-262 ones)."""
    import schemathesis
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_dict(dict(view.contract.document))
    operation = schema[view.contract.path][view.contract.method]
    return st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ).map(lambda case: _probe(view, case))
