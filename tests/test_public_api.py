"""The public surface changes only on purpose."""

from __future__ import annotations

import apikeys_contract
import apikeys_contract.report
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
        "ASTRAL",
        "Answer",
        "BUNDLED_SPEC",
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


def test_the_shared_report_names() -> None:
    assert sorted(apikeys_contract.report.__all__) == [
        "CheckState",
        "CheckSummary",
        "ConstraintItem",
        "Coverage",
        "CoverageGateError",
        "CoverageRequirement",
        "CredentialItem",
        "Example",
        "ExampleItem",
        "FORMAT_VERSION",
        "FieldItem",
        "Finding",
        "InternalError",
        "MergeError",
        "Note",
        "Report",
        "ReportFormatError",
        "Shape",
        "StatusItem",
        "append_markdown",
        "check_summaries",
        "console_summary",
        "coverage_data",
        "coverage_from_data",
        "coverage_lines",
        "finding_lines",
        "json_report",
        "junit_xml",
        "markdown_summary",
        "merge_coverage",
        "merge_reports",
        "missing_coverage",
        "parse_coverage_terms",
        "prepare_report_path",
        "report_data",
        "report_from_data",
        "write",
    ]
