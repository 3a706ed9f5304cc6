"""The coverage model: counts that add up across runs, and its JSON form."""

from __future__ import annotations

import json

import pytest

from apikeys_contract.report import (
    ConstraintItem,
    Coverage,
    CredentialItem,
    ExampleItem,
    FieldItem,
    Report,
    StatusItem,
    coverage_data,
    coverage_from_data,
    json_report,
    merge_coverage,
)


def a_run(*, created: int, forbidden: int, outside: int) -> Coverage:
    return Coverage(
        "POST /api-keys",
        statuses=[StatusItem(201, created, created), StatusItem(403, forbidden, forbidden)],
        fields=[FieldItem(201, "header", "X-Request-Id", True, created, created)],
        constraints=[
            ConstraintItem(
                "/name",
                "minLength",
                "1",
                3,
                outside,
                {} if outside else {"outside": "phase skipped"},
            )
        ],
        credentials=[
            CredentialItem("bearerAuth", "forbidden", forbidden, "" if forbidden else "no token")
        ],
        examples=[ExampleItem("default", 1)],
    )


def test_merge_adds_the_counts_of_each_item() -> None:
    merged = merge_coverage(
        a_run(created=2, forbidden=0, outside=0), a_run(created=5, forbidden=1, outside=4)
    )
    assert merged.statuses == [StatusItem(201, 7, 7), StatusItem(403, 1, 1)]
    assert merged.fields[0].seen == 7
    assert merged.constraints == [ConstraintItem("/name", "minLength", "1", 6, 4, {})]
    assert merged.credentials == [CredentialItem("bearerAuth", "forbidden", 1, "")]
    assert merged.examples == [ExampleItem("default", 2)]


def test_merge_keeps_a_reason_while_nothing_covered_the_item() -> None:
    merged = merge_coverage(*(a_run(created=1, forbidden=0, outside=0) for _ in range(3)))
    assert merged.constraints[0].why_not == {"outside": "phase skipped"}
    assert merged.credentials[0].why_not == "no token"
    assert merged.statuses[1].produced == 0


def test_merge_keeps_items_only_one_run_saw_and_leaves_its_inputs_alone() -> None:
    first = a_run(created=1, forbidden=0, outside=0)
    second = a_run(created=1, forbidden=0, outside=0)
    second.statuses.append(StatusItem(418, 1, 0, documented=False))
    merged = merge_coverage(first, second)
    assert [s.status for s in merged.statuses] == [201, 403, 418]
    assert not merged.statuses[2].documented
    assert first.statuses[0].produced == 1


def test_merge_refuses_other_operations_and_nothing() -> None:
    with pytest.raises(ValueError, match="different operations"):
        merge_coverage(Coverage("POST /api-keys"), Coverage("GET /api-keys"))
    with pytest.raises(ValueError, match="at least one"):
        merge_coverage()


def test_the_json_form_reads_back_as_the_same_coverage() -> None:
    coverage = a_run(created=2, forbidden=0, outside=0)
    data = json.loads(json.dumps(coverage_data(coverage)))
    assert coverage_from_data(data) == coverage


def test_the_json_report_holds_the_coverage() -> None:
    report = Report("http://x", 1, "dev", [], coverage=a_run(created=1, forbidden=1, outside=1))
    data = json.loads(json_report(report))
    assert coverage_from_data(data["coverage"]) == report.coverage
    assert json.loads(json_report(Report("http://x", 1, "dev", [])))["coverage"] is None
