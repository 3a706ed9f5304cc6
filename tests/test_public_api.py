"""The public surface changes only on purpose."""

from __future__ import annotations

import apikeys_contract
import mock_server


def test_mock_server_public_names() -> None:
    assert sorted(mock_server.__all__) == [
        "ApiError",
        "Settings",
        "TokenPolicy",
        "TokenPolicyError",
        "__version__",
        "create_app",
        "run",
    ]


def test_apikeys_contract_public_names() -> None:
    assert sorted(apikeys_contract.__all__) == [
        "Answer",
        "BodyVerdict",
        "Contract",
        "CredentialState",
        "JsonIssue",
        "JsonReading",
        "LENIENT",
        "LENIENT_MEDIA",
        "Location",
        "MOCK_VALUES",
        "MediaMatch",
        "NO_DOCUMENT",
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
