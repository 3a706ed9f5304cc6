"""Contract coverage end to end: read from the contract (a variant reports its own items),
counted from what was judged, shown on the console, in JSON, JUnit and Markdown, and the
``--require-coverage`` gate with its own exit status."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from apikeys_contract import judge_body, load_contract
from apikeys_contract.checks import Credential, Received, Rules, Sent
from apikeys_contract.coverage import Counter, contract_coverage
from apikeys_contract.judge import judge_exchange
from apikeys_contract.report import Coverage, coverage_from_data, missing_coverage
from apikeys_contract.report import parse_coverage_terms as terms
from conformance import CHECKS, EXIT_CONFORMS, EXIT_COVERAGE, EXIT_USAGE, EXIT_VIOLATIONS, main, run
from mock_server import Settings as MockSettings
from mock_server import TokenPolicy, create_app
from mock_server.proxy._run_report import build_report

from .servers import serve
from .targets import FORBIDDEN_TOKEN, VALID_TOKEN, Defects, create_target
from .targets import misbehaving as bad
from .test_conformance_plugin import pytest_run
from .test_proxy import BEARER, proxy_app

VARIANTS = Path(__file__).parent / "variants"
QUICK = {"max_examples": 5, "progress": False}
MOCK_POLICY = TokenPolicy(
    allow_unknown=False, allowed=frozenset({VALID_TOKEN}), forbidden=frozenset({FORBIDDEN_TOKEN})
)
GATE = "statuses=201,400,401,403"


def quiet_run(**kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(stdout=out, stderr=err, **{**QUICK, **kwargs})  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def the_mock(spec: Path | None = None) -> MockSettings:
    return MockSettings(spec=str(spec) if spec else None, tokens=MOCK_POLICY)


# -- read from the contract ---------------------------------------------------------------


def test_the_items_are_read_from_the_contract() -> None:
    coverage = contract_coverage(load_contract())
    assert coverage.operation == "POST /api-keys"
    assert [s.status for s in coverage.statuses] == [201, 400, 401, 403, 500]
    assert ("body", "clientSecret") in {(f.place, f.name) for f in coverage.fields}
    assert (401, "WWW-Authenticate") in {(f.status, f.name) for f in coverage.fields}
    assert [(c.pointer, c.keyword, c.value) for c in coverage.constraints] == [
        ("/name", "required", ""),
        ("/name", "type", "string"),
        ("/name", "minLength", "1"),
        ("/name", "maxLength", "100"),
        ("/name", "pattern", r"\S+"),
    ]
    modes = [c.mode for c in coverage.credentials]
    assert modes == ["valid", "missing", "malformed", "never issued", "forbidden"]
    assert [e.name for e in coverage.examples] == ["default"]


def test_a_variant_contract_reports_its_own_items() -> None:
    retry = contract_coverage(load_contract(VARIANTS / "retry-after.yaml"))
    assert 429 in [s.status for s in retry.statuses]
    assert (429, "header", "Retry-After") in {(f.status, f.place, f.name) for f in retry.fields}
    days = contract_coverage(load_contract(VARIANTS / "expires-in-days.yaml"))
    assert {
        ("/expiresInDays", "minimum", "1"),
        ("/expiresInDays", "maximum", "365"),
        ("/expiresInDays", "type", "integer"),
    } <= {(c.pointer, c.keyword, c.value) for c in days.constraints}
    anonymous = contract_coverage(load_contract(VARIANTS / "no-auth.yaml"))
    assert anonymous.credentials == []


# -- counted from what was judged --------------------------------------------------------


def counted(body: bytes, status: int = 400, credential: Credential = Credential.VALID) -> Coverage:
    contract = load_contract()
    counter = Counter(contract)
    sent = Sent(judge_body(contract, body, contract.request_media_type), credential)
    received = Received(status, (("content-type", "application/json"),), b"{}")
    counter.observe(sent, received, judge_exchange(Rules(contract), sent, received))
    return counter.coverage


@pytest.mark.parametrize(
    ("body", "sides"),
    [
        (b'{"name": ""}', {"required": "inside", "minLength": "outside", "pattern": "outside"}),
        (b'{"name": "   "}', {"minLength": "inside", "pattern": "outside"}),
        (b'{"name": "' + b"x" * 101 + b'"}', {"maxLength": "outside", "pattern": "inside"}),
        (b'{"name": 7}', {"type": "outside", "minLength": None, "required": "inside"}),
        (b"{}", {"required": "outside", "type": None}),
    ],
)
def test_a_constraint_counts_the_side_of_its_boundary_the_sent_value_fell_on(
    body: bytes, sides: dict[str, str | None]
) -> None:
    coverage = counted(body)
    for keyword, side in sides.items():
        item = coverage.constraint("/name", keyword)
        assert item is not None
        assert (item.inside, item.outside) == {
            "inside": (1, 0),
            "outside": (0, 1),
            None: (0, 0),
        }[side], keyword


def test_statuses_examples_and_credentials_are_counted() -> None:
    coverage = counted(b'{"name": "ci-deploy-key"}', 401, Credential.NONE)
    assert coverage.status(401).produced == 1
    assert coverage.status(201).produced == 0
    example = coverage.example("default")
    assert example is not None
    assert example.sent == 1
    missing = coverage.credential("bearerAuth", "missing")
    assert missing is not None
    assert missing.sent == 1
    assert counted(b'{"name": "other"}').examples[0].sent == 0


def test_an_undocumented_status_is_listed_as_produced() -> None:
    coverage = counted(b'{"name": "x"}', 418)
    assert coverage.status(418).produced == 1
    assert not coverage.status(418).documented
    assert coverage.status(418).validated == 0


# -- the console, JSON, JUnit and Markdown -----------------------------------------------


def test_a_default_run_against_the_mock_prints_its_coverage_table(tmp_path: Path) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    with serve(create_app(the_mock())) as url:
        code, out, _ = quiet_run(
            base_url=url,
            token=VALID_TOKEN,
            forbidden_token=FORBIDDEN_TOKEN,
            junit_xml=str(junit),
            report_json=str(report),
        )
    assert code == EXIT_CONFORMS, out
    table = out[out.index("Coverage of POST /api-keys") : out.index("PASS:")]
    assert "    ok 403 " in table
    assert "ok 500" in table
    assert "not produced: no request caused it" in table
    assert "ok /name maxLength 100" in table
    assert "ok bearerAuth forbidden" in table
    assert "items covered" in table
    data = coverage_from_data(json.loads(report.read_text())["coverage"])
    assert data.status(403).produced > 0
    cases = ET.parse(junit).getroot().findall("testcase[@classname='coverage']")
    names = {case.get("name"): case for case in cases}
    assert names["statuses: 403"].find("skipped") is None
    assert names["statuses: 403"].find("failure") is None


def test_without_a_forbidden_token_the_table_says_why_no_403(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    with serve(create_app(the_mock())) as url:
        code, out, _ = quiet_run(base_url=url, token=VALID_TOKEN, junit_xml=str(junit))
    assert code == EXIT_CONFORMS, out
    assert "-- bearerAuth forbidden" in out
    assert "no forbidden token given (--forbidden-token)" in out
    assert "-- 403 " in out
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    skipped = cases["statuses: 403"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "not produced"


# -- the gate ----------------------------------------------------------------------------


def accepts_any_token() -> object:
    return create_target(Defects(only_known_tokens=False))


def test_the_gate_fails_with_its_own_exit_status_naming_403(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    with serve(accepts_any_token()) as url:  # type: ignore[arg-type]
        code, out, err = quiet_run(
            base_url=url,
            token=VALID_TOKEN,
            unknown_token_check=False,
            require_coverage=[GATE],
            junit_xml=str(junit),
            report_json=str(tmp_path / "report.json"),
        )
    assert code == EXIT_COVERAGE, out + err
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["coverage_required"] == [GATE]
    assert data["coverage_missing"] == ["statuses 403: not produced"]
    missing = [line for line in out.splitlines() if line.startswith("  - statuses")]
    assert missing == ["  - statuses 403: not produced"]
    assert err == "apikeys-conformance: coverage gate failed: statuses 403: not produced\n"
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    failure = cases["statuses: 403"].find("failure")
    assert failure is not None
    assert failure.get("type") == "CoverageGap"


def test_the_gate_passes_against_the_mock() -> None:
    with serve(create_app(the_mock())) as url:
        code, out, err = quiet_run(
            base_url=url,
            token=VALID_TOKEN,
            forbidden_token=FORBIDDEN_TOKEN,
            require_coverage=[GATE, "constraints=all,examples=all", "security=all"],
        )
    assert code == EXIT_CONFORMS, out + err
    assert "Coverage gate passed (statuses=201,400,401,403 constraints=all " in out


def test_violations_win_over_the_gate() -> None:
    with serve(create_target(Defects(length_off_by_one=True))) as url:
        code, out, _ = quiet_run(base_url=url, token=VALID_TOKEN, require_coverage=[GATE])
    assert code == EXIT_VIOLATIONS
    assert "  - statuses 403: not produced" in out


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("status=201", "unknown coverage term 'status'"),
        ("201,400", "'201' names no term"),
        ("statuses=", "statuses= names nothing"),
    ],
)
def test_bad_terms_are_refused_in_one_line_naming_the_valid_ones(
    given: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--base-url", "http://127.0.0.1:9", "--token", "t", "--require-coverage", given])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.count("\n") == 1
    assert said in err
    assert "valid terms: statuses, fields, constraints, security, examples" in err


def test_terms_repeat_and_join() -> None:
    parsed = terms(["statuses=201,400", "examples=all,security=forbidden,never-issued"])
    assert [str(r) for r in parsed] == [
        "statuses=201,400",
        "examples=all",
        "security=forbidden,never-issued",
    ]


def test_a_named_item_the_contract_lacks_is_missing() -> None:
    coverage = contract_coverage(load_contract(VARIANTS / "no-auth.yaml"))
    assert missing_coverage(coverage, terms(["statuses=429"])) == [
        "statuses 429: not in the contract of POST /api-keys"
    ]


def test_a_never_produced_5xx_passes_all_but_not_when_named() -> None:
    coverage = contract_coverage(load_contract())
    for item in coverage.statuses[:4]:
        item.produced = 1
    assert missing_coverage(coverage, terms(["statuses=all"])) == []
    assert missing_coverage(coverage, terms(["statuses=500"])) == [
        "statuses 500: not produced: no request caused it"
    ]


def test_the_gate_reads_its_environment_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIKEYS_CONFORMANCE_REQUIRE_COVERAGE", "nonsense=1")
    assert main(["--base-url", "http://127.0.0.1:9", "--token", "t"]) == EXIT_USAGE


# -- the Markdown summary ----------------------------------------------------------------


def test_the_markdown_summary_goes_to_the_file_and_the_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step, given = tmp_path / "step.md", tmp_path / "summary.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    with serve(create_target(Defects(length_off_by_one=True))) as url:
        code, _, _ = quiet_run(
            base_url=url, token=VALID_TOKEN, summary_md=str(given), require_coverage=[GATE]
        )
    assert code == EXIT_VIOLATIONS
    text = given.read_text()
    assert step.read_text() == "earlier step\n" + text
    assert "**❌ FAIL: " in text
    assert "\n```sh\ncurl " in text
    assert "### Coverage of POST /api-keys: " in text
    assert "| ❌ | statuses | 403 | not produced |" in text
    assert "### Coverage gate" in text
    assert "- statuses 403: not produced" in text


def test_without_either_no_markdown_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.chdir(tmp_path)
    with serve(create_app(the_mock())) as url:
        quiet_run(base_url=url, token=VALID_TOKEN)
    assert list(tmp_path.iterdir()) == []


# -- the proxy gets coverage for free ----------------------------------------------------


def test_a_variant_run_reports_its_own_items() -> None:
    spec = VARIANTS / "expires-in-days.yaml"
    with serve(create_app(the_mock(spec))) as url:
        code, out, _ = quiet_run(base_url=url, token=VALID_TOKEN, spec=str(spec))
    assert code == EXIT_CONFORMS, out
    assert "ok /expiresInDays minimum 1" in out
    assert "ok /expiresInDays maximum 365" in out


# -- the pytest plugin -------------------------------------------------------------------


def test_the_plugin_gate_is_one_more_item(tmp_path: Path) -> None:
    with serve(accepts_any_token()) as url:  # type: ignore[arg-type]
        done = pytest_run(
            url,
            tmp_path,
            "--conformance-no-unknown-token-check",
            f"--conformance-require-coverage={GATE} examples=all",
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED conformance::coverage" in done.stdout
    assert "  - statuses 403: not produced" in done.stdout
    assert f"{len(CHECKS)} passed" in done.stdout


def test_the_plugin_refuses_a_bad_term(tmp_path: Path) -> None:
    done = pytest_run("http://127.0.0.1:9", tmp_path, "--conformance-require-coverage=nope=1")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "unknown coverage term 'nope'" in done.stderr


# -- the proxy gets coverage from the same judge -----------------------------------------


def test_the_proxy_run_report_counts_live_traffic() -> None:
    with proxy_app(Defects()) as app, TestClient(app) as client:
        client.post("/api-keys", json={"name": "ci-deploy-key"}, headers=BEARER)
        client.post("/api-keys", json={"name": ""}, headers=BEARER)
        client.post("/api-keys", json={"name": "x"})
    coverage = build_report(app.session, "u", strict=False).coverage
    assert coverage is not None
    assert [(s.status, s.produced) for s in coverage.statuses] == [
        (201, 1),
        (400, 1),
        (401, 1),
        (403, 0),
        (500, 0),
    ]
    minimum = coverage.constraint("/name", "minLength")
    assert minimum is not None
    assert (minimum.inside, minimum.outside) == (2, 1)
    assert coverage.examples[0].sent == 1
    # Without a token policy the proxy sees that a token came, not its role: only the
    # missing credential is counted.
    assert {c.mode: c.sent for c in coverage.credentials if c.sent} == {"missing": 1}


def test_a_run_that_stopped_early_says_so_for_what_it_never_probed() -> None:
    with bad.raw_server(bad.answers_then_hangs(2)) as url:
        code, out, _ = quiet_run(base_url=url, token=VALID_TOKEN, timeout=0.5)
    assert code == EXIT_VIOLATIONS
    aborted = "the run stopped early (Run aborted, below)"
    assert f"-- /name maxLength 100          inside 2; outside: {aborted}" in out
    assert f"-- bearerAuth malformed         not sent: {aborted}" in out
    assert "Run aborted: stopped after 3 requests in a row got no HTTP response" in out


def test_help_names_exit_status_4(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "4 conforms but covered less than --require-coverage asks" in shown
    assert "--require-coverage TERMS" in shown
    assert "--summary-md PATH" in shown
