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
        "JsonIssue",
        "JsonReading",
        "LENIENT",
        "LENIENT_MEDIA",
        "MediaMatch",
        "NO_DOCUMENT",
        "Problem",
        "ResponseSpec",
        "SpecError",
        "base_media_type",
        "bundled_spec_text",
        "describe",
        "ecma_whitespace",
        "is_ecma_space",
        "judge_body",
        "lenient_documents",
        "load_contract",
        "match_media_type",
        "pointer",
        "read_json",
        "regex_disagreements",
        "resolve",
        "schema_problems",
    ]
