"""Every broken implementation is flagged by the check named for its defect; the
conforming ones (including the project's mock) pass with zero findings."""

from __future__ import annotations

import pytest

import mock_server as mock
from conformance import PROFILES, Report, Settings, Tokens, run_engine

from .servers import serve
from .targets import BROKEN, FORBIDDEN_TOKEN, ODD_BUT_CONFORMING, VALID_TOKEN, create_target
from .targets.accepts_all import CAUSES, create_accepts_all
from .targets.reference import Defects

# Fewer generated examples for broken targets: the suite stays fast, and the defects
# must be caught by the boundary probes plus a short fuzz.
BROKEN_EXAMPLES = 10


def check(url: str, *, examples: int | None = None, **options: object) -> Report:
    tokens = Tokens(VALID_TOKEN, FORBIDDEN_TOKEN)
    return run_engine(Settings(url, tokens, max_examples=examples, **options))  # type: ignore[arg-type]


def describe(report: Report) -> str:
    lines = [f"{', '.join(f.checks)}: {f.message}" for f in report.findings]
    return "\n".join(lines) or "no findings"


# Checks a defect may trip besides its own, because the same response breaks them too
# (a whitespace-only name echoed in a 201 also makes that 201 body invalid).
ALSO = {
    "whitespace-names-accepted": {"success_shape"},
    "trims-before-counting": {"success_shape", "acceptance"},  # "\x1c" trims to ""
    "python-whitespace": {"rejection", "success_shape"},  # "\ufeff" is no \s in Python
}
# One finding per defect, but for the two defects that fail both ways: valid names refused
# and invalid ones accepted (which the harness cannot tell from two defects).
FINDINGS = {"trims-before-counting": 2, "python-whitespace": 2}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_target_is_flagged_by_its_check(name: str) -> None:
    defects, check_name = BROKEN[name]
    with serve(create_target(defects)) as url:
        report = check(url, examples=BROKEN_EXAMPLES)
    assert not report.conforms
    assert report.findings_for(check_name), describe(report)
    assert report.summary(check_name).state.value == "FAIL"
    fired = {c for f in report.findings for c in f.checks}
    assert fired <= {check_name} | ALSO.get(name, set()), describe(report)
    assert len(report.findings) == FINDINGS.get(name, 1), describe(report)
    failing = {s.name for s in report.checks if s.state.value == "FAIL"}
    assert failing == fired, describe(report)  # every failure belongs to a finding
    assert not report.internal_errors, report.internal_errors


@pytest.mark.parametrize("name", sorted(ODD_BUT_CONFORMING))
def test_conforming_target_passes(name: str) -> None:
    with serve(create_target(ODD_BUT_CONFORMING[name])) as url:
        report = check(url)
    assert report.conforms, describe(report)
    assert report.aborted is None
    assert all(c.passed > 0 for c in report.checks), report.checks


def test_lenient_json_is_a_note_and_a_failure_under_strict() -> None:
    with serve(create_target(Defects(lenient_json=True))) as url:
        report = check(url, examples=BROKEN_EXAMPLES)
        strict = check(url, examples=BROKEN_EXAMPLES, strict=True)
    lenient = {n.summary for n in report.notes if n.lenient}
    assert "lenient: accepts a byte order mark before the JSON text" in lenient, report.notes
    assert report.conforms, describe(report)
    assert not strict.conforms
    assert {f.check for f in strict.findings} == {"rejection"}, describe(strict)
    assert any("byte order mark" in f.summary for f in strict.findings)


def test_a_never_issued_token_is_sent_by_default() -> None:
    with serve(create_target(Defects(only_known_tokens=False))) as url:
        report = check(url, examples=BROKEN_EXAMPLES)
        opted_out = check(url, examples=BROKEN_EXAMPLES, unknown_token_check=False)
    [finding] = report.findings_for("authentication")
    assert finding.summary == "never-issued token answered 201"
    assert opted_out.conforms, describe(opted_out)
    assert "--no-unknown-token-check" in (opted_out.summary("authentication").skipped_reason or "")


def test_auth_probes_use_several_bodies() -> None:
    # A target that answers 201 without credentials only for the contract's own example.
    from apikeys_contract import load_contract

    example = next(iter(load_contract().request_examples.values()))
    with serve(create_target(Defects(example_without_auth=example["name"]))) as url:
        report = check(url, examples=BROKEN_EXAMPLES)
    assert {f.check for f in report.findings} == {"authentication"}, describe(report)
    assert any("request example" in f.example.kind for f in report.findings)


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
    tokens = Tokens("conformance-token", "readonly-token")
    with serve(mock.create_app(mock.Settings())) as url:
        # The demo policy lets any token create keys: the documented opt-out.
        report = run_engine(Settings(url, tokens, unknown_token_check=False))
    assert report.conforms, describe(report)
    policy = mock.TokenPolicy(allow_unknown=False, allowed=frozenset({"conformance-token"}))
    with serve(mock.create_app(mock.Settings(tokens=policy))) as url:
        strict = run_engine(Settings(url, tokens))
    assert strict.conforms, describe(strict)


def test_the_fuzzer_finds_and_shrinks_what_no_boundary_probe_tries() -> None:
    # No fixed probe holds "~"; generation must find it and Hypothesis shrink it.
    with serve(create_target(Defects(crash_on_char="~"))) as url:
        report = check(url)
    [finding] = report.findings_for("status_conformance")
    assert finding.summary == "server error 500"
    assert """--data-binary '{"name": "~"}'""" in finding.example.curl
    assert finding.example.request_body == '{"name": "~"}'
    assert finding.example.request_body_encoding == "utf-8"


def test_one_defect_is_one_finding_that_names_its_cause() -> None:
    with serve(create_target(Defects(rejects_extra_properties=True))) as url:
        report = check(url)
    [finding] = report.findings
    assert finding.summary == "valid body answered 400"
    assert "extra property" in finding.example.kind
    assert "extra property" in finding.received  # the lines describe the example shown
    lengths = create_target(Defects(length_unit="utf-16"))
    with serve(lengths) as url:
        report = check(url)
    [finding] = report.findings
    # Every probe that showed it held astral characters (counted as 2 UTF-16 units each).
    assert "astral characters" in finding.common_traits
    assert "astral characters" in finding.example.kind


@pytest.mark.parametrize("body", ["empty strings", "the contract's example"])
def test_a_target_that_accepts_everything_gets_one_finding_per_cause(body: str) -> None:
    # Like Mockoon CLI serving the contract: 201, a static body and a constant request id
    # to any body, with any credential or none, in any media type. Four causes.
    with serve(create_accepts_all(body)) as url:  # type: ignore[arg-type]
        report = check(url, examples=BROKEN_EXAMPLES)
    assert sorted(f.cause for f in report.findings) == sorted(CAUSES), describe(report)
    unvalidated = next(f for f in report.findings if f.cause == CAUSES[0])
    shapes = {s.shape for s in unvalidated.shapes}
    # Every kind of invalid body the run sent is listed, each with its own example.
    assert {"malformed JSON", "/name over maxLength", "missing /name"} <= shapes, shapes
    assert any(s.startswith("another media type") for s in shapes), shapes
    assert unvalidated.occurrences == sum(s.occurrences for s in unvalidated.shapes)
    assert all(s.example.status == 201 for s in unvalidated.shapes)
    unauthenticated = next(f for f in report.findings if f.cause == CAUSES[1])
    assert {s.shape for s in unauthenticated.shapes} >= {"no credentials", "never-issued token"}
    # A probe is a finding or a note, never both: a body the contract leaves open (a byte
    # order mark...) is a note, unless the answer to it broke a rule (its name not echoed).
    noted = {n.example.kind for n in report.notes if n.example is not None}
    assert not noted & set(unvalidated.seen_with), noted
    if body == "empty strings":  # no name echoed: every answer broke a rule
        assert report.notes == [], report.notes


def test_two_crashes_with_the_same_status_are_two_findings() -> None:
    # One server crashes on a lone surrogate, and separately on deep nesting: after the
    # first is fixed, the second must not look new.
    defects = Defects(crash_on_lone_surrogate=True, crash_on_depth=1024)
    with serve(create_target(defects)) as url:
        report = check(url, examples=BROKEN_EXAMPLES)
    crashes = report.findings_for("status_conformance")
    assert len(report.findings) == len(crashes) == 2, describe(report)
    by_cause = {f.cause: f for f in crashes}
    surrogate = by_cause["server error 500 for a lone surrogate escape in a string"]
    nested = by_cause["server error 500 for nesting deeper than the parser allows"]
    assert surrogate.example.kind == "lone surrogate escape"
    assert "nested 1024 levels" in nested.example.kind
    assert all(s.example.status == 500 for f in crashes for s in f.shapes)


def test_a_lone_surrogate_read_as_u_fffd_is_a_note_and_not_a_finding() -> None:
    # Go's encoding/json: {"name": "\\ud800"} -> 201 with "\ufffd". RFC 8259 section 8.2
    # leaves a lone surrogate to the parser, so that is lenient, not a broken echo.
    with serve(create_target(Defects(lone_surrogates_replaced=True))) as url:
        report = check(url, examples=BROKEN_EXAMPLES)
        strict = check(url, examples=BROKEN_EXAMPLES, strict=True)
    assert report.conforms, describe(report)
    lenient = [n for n in report.notes if n.summary.endswith("a lone surrogate escape in a string")]
    assert lenient, report.notes
    assert lenient[0].example is not None
    assert lenient[0].example.kind == "lone surrogate escape"
    [finding] = [f for f in strict.findings if "lone surrogate" in f.summary]
    assert finding.check == "rejection"
    assert "lone surrogate" not in " ".join(n.summary for n in strict.notes)


def test_received_values_are_escaped_once() -> None:
    with serve(create_target(Defects(name_not_echoed=True))) as url:
        report = check(url, examples=BROKEN_EXAMPLES)
    [finding] = report.findings
    assert finding.received.startswith('name "static name" for '), finding.received
