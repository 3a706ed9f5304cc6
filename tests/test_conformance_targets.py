"""Every broken implementation is flagged by the check named for its defect; the
conforming ones (including the project's mock) pass with zero findings."""

from __future__ import annotations

import pytest

from conformance import PROFILES, Report, Settings, Tokens, run_engine

from .servers import serve
from .targets import BROKEN, FORBIDDEN_TOKEN, ODD_BUT_CONFORMING, VALID_TOKEN, create_target
from .targets.reference import Defects

# Fewer generated examples for broken targets: the suite stays fast, and the defects
# must be caught by the boundary probes plus a short fuzz.
BROKEN_EXAMPLES = 10


def check(url: str, *, examples: int | None = None, unknown: str | None = None) -> Report:
    tokens = Tokens(VALID_TOKEN, FORBIDDEN_TOKEN, unknown)
    return run_engine(Settings(url, tokens, max_examples=examples))


def describe(report: Report) -> str:
    return "\n".join(f.check + ": " + f.message for f in report.findings) or "no findings"


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_target_is_flagged_by_its_check(name: str) -> None:
    defects, check_name = BROKEN[name]
    with serve(create_target(defects)) as url:
        report = check(url, examples=BROKEN_EXAMPLES)
    assert not report.conforms
    assert report.findings_for(check_name), describe(report)
    failing = {c.name for c in report.checks if not c.ok}
    assert check_name in failing


@pytest.mark.parametrize("name", sorted(ODD_BUT_CONFORMING))
def test_conforming_target_passes(name: str) -> None:
    with serve(create_target(ODD_BUT_CONFORMING[name])) as url:
        report = check(url)
    assert report.conforms, describe(report)
    assert report.aborted is None
    assert all(c.passed > 0 for c in report.checks), report.checks


def test_unknown_token_is_checked_only_when_given() -> None:
    with serve(create_target(Defects())) as url:
        report = check(url, examples=BROKEN_EXAMPLES, unknown="never-issued-token-1234")
    assert report.findings_for("authentication"), "any non-empty token creates keys"
    with serve(create_target(Defects(only_known_tokens=True))) as url:
        report = check(url, examples=BROKEN_EXAMPLES, unknown="never-issued-token-1234")
    assert report.conforms, describe(report)


def test_default_profile_is_fast_and_deterministic() -> None:
    with serve(create_target(Defects(request_id="constant"))) as url:
        first = check(url)
        second = check(url)
    assert first.duration < 15, first.duration
    assert first.requests == second.requests
    assert [(f.check, f.summary) for f in first.findings] == [
        (f.check, f.summary) for f in second.findings
    ]
    assert first.profile == PROFILES["default"].name


def test_the_mock_conforms() -> None:
    mock = pytest.importorskip("mock_server")
    if not hasattr(mock, "create_app"):
        pytest.skip("mock_server.create_app is not there yet")
    with serve(mock.create_app(mock.Settings())) as url:
        report = run_engine(Settings(url, Tokens("conformance-token", "readonly-token")))
    assert report.conforms, describe(report)
    assert report.duration < 15, report.duration


def test_the_fuzzer_finds_and_shrinks_what_no_boundary_probe_tries() -> None:
    # No fixed probe holds "~"; generation must find it and Hypothesis shrink it.
    with serve(create_target(Defects(crash_on_char="~"))) as url:
        report = check(url)
    [finding] = report.findings_for("status_conformance")
    assert finding.summary == "server error 500"
    assert """--data-binary '{"name": "~"}'""" in finding.example.curl
