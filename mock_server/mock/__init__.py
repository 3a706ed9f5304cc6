"""The mock's request path: ``create_app`` (``_app``) wires one ``RequestPath``
(``_request_path``) in front of Starlette's router. For the contract's operation it asks the
``Endpoint`` (``_endpoint``) for the whole answer: ``Prefer`` (``_prefer``), credentials
(``_tokens``), media type, body and schema (``_validation``, ``_deadline``), success bodies and
required headers (``_responses``); faults, chaos and rate limits (``_injection``, ``_faults``,
``_chaos``, ``_rate_limit``) answer in its place when asked to. CORS (``_cors``), the served
contract and ``/docs`` (``_docs``) and the mock's ``Settings`` (``_settings``) live here too.

Imports: ``common``, ``journal``; ``apikeys_contract``.
"""

from __future__ import annotations

from ._app import create_app
from ._chaos import ChaosSpec, ChaosSpecError
from ._injection import injection_refusal, injector_of
from ._rate_limit import KEYS, RateLimit
from ._settings import Settings
from ._tokens import TokenPolicy, TokenPolicyError, Verdict
from ._validation import read_body, too_slow

__all__ = [
    "KEYS",
    "ChaosSpec",
    "ChaosSpecError",
    "RateLimit",
    "Settings",
    "TokenPolicy",
    "TokenPolicyError",
    "Verdict",
    "create_app",
    "injection_refusal",
    "injector_of",
    "read_body",
    "too_slow",
]
