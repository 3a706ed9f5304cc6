"""The API-keys contract: the OpenAPI spec shipped with this project, loaded and compiled,
and the rules the mock, the harness and the proxy apply to it.

None of them copies a constraint, status or header name into Python: each rule (strict
JSON, media types, JSON Pointers, what a request calls for, the security schemes and
credentials, the values a schema accepts) lives here once, as plain functions that never
raise. Four public modules go further: ``checks`` (the rules for one exchange), ``judge``
(all of them on one exchange), ``ledger`` (what a run found, masked) and ``report`` (the
report and its writers).
This package imports no Hypothesis, httpx or Starlette.
"""

# ruff: noqa: I001 - grouped by subject, not sorted
# The contract: the bundled spec, loading it, its errors.
from ._contract import Contract, load_contract
from ._loader import BUNDLED_SPEC, bundled_spec_text
from .errors import SpecError

# What a request body calls for, read as the contract reads it.
from ._expect import Answer, BodyVerdict, describe, judge_body
from ._json import JsonIssue, read_json
from ._media import MediaMatch, base_media_type, match_media_type
from ._pointers import pointer, resolve
from ._problems import Problem, schema_problems

# Security: the schemes, reading the credentials a request presents, presenting one.
from ._security import (
    CredentialState,
    Location,
    Presentation,
    Requirement,
    Scheme,
    SchemeKind,
    Security,
    SecurityReading,
    bearer_token,
    misplaced_credentials,
    parse_security,
    present_credential,
    present_requirement,
    read_bearer,
    read_credentials,
)

# Values a schema accepts, as the mock generates them; text as ECMA-262 reads it.
from ._values import NoValue, Planner, ValuePlan, header_text, plan_value
from ._text import ASTRAL, ecma_whitespace, is_ecma_space, regex_disagreements
from ._ids import uuid4

# Reproducers: curl lines that send a request again.
from ._curl import curl_header, curl_line, quoted_with_variable

__all__ = [
    "ASTRAL",
    "BUNDLED_SPEC",
    "Answer",
    "BodyVerdict",
    "Contract",
    "CredentialState",
    "JsonIssue",
    "Location",
    "MediaMatch",
    "NoValue",
    "Planner",
    "Presentation",
    "Problem",
    "Requirement",
    "Scheme",
    "SchemeKind",
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
    "load_contract",
    "match_media_type",
    "misplaced_credentials",
    "parse_security",
    "plan_value",
    "pointer",
    "present_credential",
    "present_requirement",
    "quoted_with_variable",
    "read_bearer",
    "read_credentials",
    "read_json",
    "regex_disagreements",
    "resolve",
    "schema_problems",
    "uuid4",
]
