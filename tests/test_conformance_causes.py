"""Grouping failures by cause (conformance._causes), on failures built by hand."""

from __future__ import annotations

from apikeys_contract.checks import CHECKS, Credential
from conformance import Example, Finding, Shape
from conformance._causes import Failure, Tally, group

ORDER = list(CHECKS)


def failure(
    check: str,
    summary: str,
    exchanges: set[int],
    *,
    status: int | None = 201,
    cause: str = "",
    shape: str = "valid body",
    rank: tuple[int, int, int] = (0, 0, 10),
) -> Failure:
    example = Example(f"{shape} probe", f"curl {summary}", status, "")
    finding = Finding(check, summary, "received", "documented", example, len(exchanges))
    return Failure(
        finding, rank, cause, shape, Credential.VALID, frozenset({shape}), set(exchanges)
    )


def test_probes_sharing_a_cause_are_one_finding_across_checks() -> None:
    cause = "structured-syntax +json media type accepted"
    failures = [
        failure("rejection", "another media type answered 201", {1}, cause=cause),
        failure("acceptance", "name not echoed unchanged", {1, 2}, cause=cause, rank=(0, 0, 5)),
        failure("headers", "X-Request-Id missing", {1}, cause=""),
    ]
    findings = group(failures, Tally(invalid=5, invalid_refused=4), ORDER)
    assert [f.cause for f in findings] == [cause, "X-Request-Id missing"]
    [labelled, _] = findings
    assert labelled.summary == cause
    assert labelled.checks == ("acceptance", "rejection")
    assert labelled.occurrences == 2  # two requests, however many rules each broke
    assert labelled.example.curl == "curl name not echoed unchanged"  # the clearest
    assert all(isinstance(s, Shape) for s in labelled.shapes)  # the public type
    assert {s.shape for s in labelled.shapes} == {
        "another media type answered 201",
        "name not echoed unchanged",
    }


def test_a_target_that_refused_some_invalid_bodies_keeps_one_finding_per_kind() -> None:
    failures = [
        failure("rejection", "/name over maxLength answered 201", {1}),
        failure("rejection", "missing /name answered 201", {2}),
    ]
    some = group(failures, Tally(invalid=3, invalid_refused=1), ORDER)
    assert len(some) == 2
    none = group(failures, Tally(invalid=2, invalid_refused=0), ORDER)
    [finding] = none
    assert finding.summary == "request bodies are not validated: 2 invalid bodies answered 201"
    assert [s.shape for s in finding.shapes] == ["/name over maxLength", "missing /name"]


def test_a_crash_on_a_kind_of_request_is_told_apart_from_one_on_some_requests() -> None:
    tally = Tally()
    tally.traits.update({"valid body": 100, "a lone surrogate escape in a string": 1})
    failures = [
        failure("status_conformance", "server error 500", {1}, status=500, shape="valid body"),
        failure(
            "status_conformance",
            "server error 500",
            {2},
            status=500,
            shape="a lone surrogate escape in a string",
        ),
    ]
    causes = [f.cause for f in group(failures, tally, ORDER)]
    assert causes == [
        "server error 500 for a lone surrogate escape in a string",
        "server error 500",
    ]
