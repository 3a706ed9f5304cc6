"""The API-keys contract: the OpenAPI spec shipped with this project, loaded and compiled,
and the rules both tools apply to it.

Both the mock server and the conformance suite read the endpoint from here; neither copies
a constraint, status or header name into Python. Each rule of the contract (strict JSON,
media types, JSON Pointers, what a request calls for, which values are fresh, the
security schemes and credentials, the values a schema accepts) lives here once, as plain
functions that never raise. This package imports no Hypothesis, httpx or
Starlette.
"""

from ._contract import Contract, ResponseSpec, load_contract
from ._curl import curl_header, curl_line, quoted_with_variable, request_body_text
from ._expect import Answer, BodyVerdict, describe, judge_body
from ._json import LENIENT, NO_DOCUMENT, JsonIssue, JsonReading, lenient_documents, read_json
from ._loader import bundled_spec_text
from ._media import LENIENT_MEDIA, MediaMatch, base_media_type, match_media_type
from ._pointers import pointer, resolve
from ._problems import Problem, schema_problems
from ._security import (
    CredentialState,
    Location,
    Presentation,
    Requirement,
    RequirementReading,
    Scheme,
    SchemeKind,
    SchemeReading,
    Security,
    SecurityReading,
    bearer_token,
    misplaced_credentials,
    parse_security,
    present_credential,
    present_requirement,
    read_api_key,
    read_basic,
    read_bearer,
    read_credentials,
)
from ._text import ecma_whitespace, is_ecma_space, regex_disagreements
from ._values import MOCK_VALUES, NoValue, Planner, ValuePlan, header_text, plan_value
from .errors import SpecError

__all__ = [
    "LENIENT",
    "LENIENT_MEDIA",
    "MOCK_VALUES",
    "NO_DOCUMENT",
    "Answer",
    "BodyVerdict",
    "Contract",
    "CredentialState",
    "JsonIssue",
    "JsonReading",
    "Location",
    "MediaMatch",
    "NoValue",
    "Planner",
    "Presentation",
    "Problem",
    "Requirement",
    "RequirementReading",
    "ResponseSpec",
    "Scheme",
    "SchemeKind",
    "SchemeReading",
    "Security",
    "SecurityReading",
    "SpecError",
    "ValuePlan",
    "base_media_type",
    "bearer_token",
    "bundled_spec_text",
    "curl_header",
    "curl_line",
    "describe",
    "ecma_whitespace",
    "header_text",
    "is_ecma_space",
    "judge_body",
    "lenient_documents",
    "load_contract",
    "match_media_type",
    "misplaced_credentials",
    "parse_security",
    "plan_value",
    "pointer",
    "present_credential",
    "present_requirement",
    "quoted_with_variable",
    "read_api_key",
    "read_basic",
    "read_bearer",
    "read_credentials",
    "read_json",
    "regex_disagreements",
    "request_body_text",
    "resolve",
    "schema_problems",
]
