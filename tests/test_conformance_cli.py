"""The command line: exit codes, reports on disk, one-line errors, tokens never shown."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from apikeys_contract import bundled_spec_text
from conformance import (
    CHECKS,
    EXIT_CONFORMS,
    EXIT_INTERNAL_ERROR,
    EXIT_USAGE,
    EXIT_VIOLATIONS,
    main,
    run,
)

from .servers import serve
from .targets import BROKEN, FORBIDDEN_TOKEN, VALID_TOKEN, Defects, create_target
from .targets.accepts_all import create_accepts_all
from .targets.misbehaving import refused_url

QUICK = ["--max-examples", "5"]
REF_CYCLE = Path(__file__).parent / "contracts" / "ref-cycle.yaml"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def quiet_run(**kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(stdout=out, stderr=err, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def test_a_conforming_target_exits_0_in_a_real_process(tmp_path: Path) -> None:
    # Missing report directories are created, as pytest's --junitxml does.
    junit, report = tmp_path / "reports" / "ci" / "junit.xml", tmp_path / "out" / "report.json"
    with serve(create_target(Defects())) as url:
        done = cli(
            "--base-url",
            url,
            "--junit-xml",
            str(junit),
            "--report-json",
            str(report),
            env={
                "APIKEYS_CONFORMANCE_TOKEN": VALID_TOKEN,
                "APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN": FORBIDDEN_TOKEN,
            },
        )
    assert done.returncode == EXIT_CONFORMS, done.stdout + done.stderr
    assert "PASS: the target conforms" in done.stdout
    assert done.stderr == ""
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "0"
    checks = [c.get("name") for c in suite.iter("testcase") if c.get("classname") == "conformance"]
    assert checks == list(CHECKS)
    assert json.loads(report.read_text())["conforms"] is True


def slowed(app: ASGIApp, seconds: float) -> ASGIApp:
    """``app``, answering each HTTP request ``seconds`` later."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return wrapper


def test_violations_exit_1_with_junit_and_json_reports(tmp_path: Path) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    defects, check = BROKEN["422-instead-of-400"]
    delay = 0.005
    with serve(slowed(create_target(defects), delay)) as url:
        code, out, _ = quiet_run(
            base_url=url,
            token=VALID_TOKEN,
            max_examples=5,
            junit_xml=str(junit),
            report_json=str(report),
        )
    assert code == EXIT_VIOLATIONS
    assert "FAIL:" in out
    for text in ("Check ", check, "reproduce: curl"):
        assert text in out
    root = ET.parse(junit).getroot()
    cases = {c.get("name", ""): c for c in root.iterfind("testcase[@classname='conformance']")}
    # One test case per cause ("check: cause"), and one per check without a finding.
    assert {str(name).split(": ")[0] for name in cases} == set(CHECKS)
    assert cases["success_shape"].find("failure") is None
    data = json.loads(report.read_text())
    assert data["conforms"] is False
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert failed == {f"{f['check']}: {f['cause']}" for f in data["findings"]}
    assert check in {f["check"] for f in data["findings"]}
    by_name = {c["name"]: c for c in data["checks"]}
    assert by_name[check]["failed"] > 0
    for finding in data["findings"]:
        assert "curl" in finding["example"]["curl"]  # the reproducer
        assert finding["cause"]
        assert finding["occurrences"] >= len(finding["shapes"]) >= 1
        assert all("curl" in shape["example"]["curl"] for shape in finding["shapes"])
        # Each test case takes the time of the exchanges its check judged, the check included.
    total = float(ET.parse(junit).getroot().get("time", "0"))
    for name, case in cases.items():
        checked = by_name[name.split(": ")[0]]  # a case per cause: "check: cause"
        judged = checked["passed"] + checked["failed"]
        seconds = float(case.get("time", "0"))
        assert judged * delay <= seconds <= total, (name, seconds, judged, total)
        assert seconds == pytest.approx(checked["seconds"], abs=0.001)
    # Not every exchange belongs to every check: a 201's shape is not judged on a 400.
    assert by_name["success_shape"]["seconds"] < by_name["headers"]["seconds"]


def test_an_unreachable_target_exits_2_with_one_line() -> None:
    done = cli("--base-url", refused_url(), "--token", VALID_TOKEN, *QUICK)
    assert done.returncode == EXIT_USAGE
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "cannot reach" in lines[0]
    assert "connection failed" in lines[0]
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "ftp://example", "--token", "t"], "http(s) URL"),
        ([], "--base-url is required"),
        (["--base-url", "http://127.0.0.1:9"], "--token is required"),
        (["--base-url", "http://127.0.0.1:9", "--token", "t", "--seed", "x"], "invalid int"),
        (
            ["--base-url", "http://127.0.0.1:9", "--token", "t", "--spec", "/nonexistent.yaml"],
            "spec file not found",
        ),
        (
            ["--base-url", "http://127.0.0.1:9", "--token", "t", "--profile", "fast"],
            "unknown profile",
        ),
        (["--base-url", "http://127.0.0.1:9", "--token", "t", "--timeout", "0"], "positive"),
        (
            ["--base-url", "http://127.0.0.1:9", "--token", "t", "--spec", str(REF_CYCLE)],
            "$refs form a cycle",
        ),
        (["--base-url", "http://127.0.0.1:9", "--token", "t", "--checks", "x"], "unknown check"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("APIKEYS_CONFORMANCE_"):
            monkeypatch.delenv(name)
    with pytest.raises(SystemExit) as exited:
        sys.exit(main(args))
    assert exited.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert message in err


def test_options_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(create_target(Defects(request_id="constant"))) as url:
        monkeypatch.setenv("APIKEYS_CONFORMANCE_BASE_URL", url)
        monkeypatch.setenv("APIKEYS_CONFORMANCE_TOKEN", VALID_TOKEN)
        monkeypatch.setenv("APIKEYS_CONFORMANCE_MAX_EXAMPLES", "3")
        monkeypatch.setenv("APIKEYS_CONFORMANCE_SEED", "7")
        assert main(["--quiet"]) == EXIT_VIOLATIONS


def test_version() -> None:
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("apikeys-conformance ")


def test_tokens_never_appear_in_any_output(tmp_path: Path) -> None:
    token, forbidden = "s3cret-valid-token-XYZ", "s3cret-forbidden-token-XYZ"
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    # This target copies the Authorization header into every response.
    defects, _ = BROKEN["token-reflected"]
    with serve(create_target(defects)) as url:
        code, out, err = quiet_run(
            base_url=url,
            token=token,
            forbidden_token=forbidden,
            max_examples=5,
            junit_xml=str(junit),
            report_json=str(report),
        )
    assert code == EXIT_VIOLATIONS
    assert "token reflected" in out
    for text in (out, err, junit.read_text(), report.read_text()):
        assert token not in text
        assert forbidden not in text
    assert "$APIKEYS_CONFORMANCE_TOKEN" in out


def test_help_never_shows_a_token_from_the_environment() -> None:
    done = cli("--help", env={"APIKEYS_CONFORMANCE_TOKEN": "help-must-not-show-this"})
    assert done.returncode == 0
    assert "APIKEYS_CONFORMANCE_TOKEN" in done.stdout
    assert "help-must-not-show-this" not in done.stdout


def test_a_bad_value_in_the_environment_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APIKEYS_CONFORMANCE_SEED", "many")
    with pytest.raises(SystemExit) as exited:
        main(["--base-url", "http://127.0.0.1:9", "--token", "t"])
    assert exited.value.code == EXIT_USAGE
    assert "APIKEYS_CONFORMANCE_SEED" in capsys.readouterr().err


def test_constraints_come_from_the_spec(tmp_path: Path) -> None:
    # The same target, judged by a contract whose names stop at 50 code points.
    spec = tmp_path / "shorter.yaml"
    text = bundled_spec_text()
    spec.write_text(text.replace("maxLength: 100", "maxLength: 50"), encoding="utf-8")
    report = tmp_path / "report.json"
    with serve(create_target(Defects())) as url:
        code, _, _ = quiet_run(
            base_url=url,
            token=VALID_TOKEN,
            spec=str(spec),
            max_examples=5,
            report_json=str(report),
        )
    assert code == EXIT_VIOLATIONS
    summaries = {f["summary"] for f in json.loads(report.read_text())["findings"]}
    assert "/name over maxLength answered 201" in summaries


def test_a_report_path_that_cannot_be_created_is_one_line_before_the_run(
    tmp_path: Path,
) -> None:
    # No request is sent: the URL refuses connections, and the error names the path.
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the directory should be")
    junit = blocker / "ci" / "junit.xml"
    code, out, err = quiet_run(base_url=refused_url(), token=VALID_TOKEN, junit_xml=str(junit))
    assert code == EXIT_USAGE
    assert err == (
        f"apikeys-conformance: error: cannot write a report: cannot create directory "
        f"{junit.parent}: {blocker} is not a directory\n"
    )
    assert out == ""
    code, _, err = quiet_run(base_url=refused_url(), token=VALID_TOKEN, report_json=str(tmp_path))
    assert code == EXIT_USAGE
    assert err.endswith("is a directory\n")
    assert "cannot reach" not in err


def test_an_internal_error_exits_3_and_still_writes_the_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise ZeroDivisionError("a bug in a check")

    monkeypatch.setitem(CHECKS, "headers", (broken, "broken on purpose"))
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    with serve(create_target(Defects(plain_text_errors=True))) as url:
        code, out, err = quiet_run(
            base_url=url,
            token=VALID_TOKEN,
            max_examples=3,
            junit_xml=str(junit),
            report_json=str(report),
        )
    assert code == EXIT_INTERNAL_ERROR, out + err
    assert "INTERNAL ERRORS" in out
    assert "ZeroDivisionError" in out
    assert "error_shape" in {f["check"] for f in json.loads(report.read_text())["findings"]}
    data = json.loads(report.read_text())
    assert data["internal_errors"]
    assert data["conforms"] is False
    suite = ET.parse(junit).getroot()
    assert int(suite.get("errors", "0")) >= 1
    # The other checks ran on every exchange: one broken check silences none of them.
    assert data["checks"][list(CHECKS).index("error_shape")]["failed"] > 0


def test_only_the_selected_checks_run_and_the_rest_are_not_run(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    with serve(create_target(Defects(plain_text_errors=True))) as url:
        code, out, _ = quiet_run(
            base_url=url, token=VALID_TOKEN, max_examples=3, checks="headers", junit_xml=str(junit)
        )
    assert code == EXIT_CONFORMS, out
    assert "not run" in out
    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    assert cases["headers"].find("skipped") is None
    assert cases["error_shape"].find("skipped") is not None
    code, _, err = quiet_run(base_url=url, token=VALID_TOKEN, checks="nope")
    assert code == EXIT_USAGE
    assert "unknown check nope" in err


def counting(app: ASGIApp, calls: list[str]) -> ASGIApp:
    """``app``, noting the path of every HTTP request it gets."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            calls.append(scope["path"])
        await app(scope, receive, send)

    return wrapper


def test_a_base_url_holding_the_path_stops_the_run_after_the_first_probes() -> None:
    calls: list[str] = []
    shared = io.StringIO()  # stdout and stderr on one terminal
    with serve(counting(create_target(Defects()), calls)) as url:
        code = run(base_url=url + "/api-keys", token=VALID_TOKEN, stdout=shared, stderr=shared)
    assert code == EXIT_USAGE
    assert calls == ["/api-keys/api-keys"] * 5
    lines = shared.getvalue().splitlines()
    assert lines[-2:] == [
        "boundaries     FFFFF",
        f"apikeys-conformance: error: nothing serves POST {url}/api-keys/api-keys: the first "
        "5 probes all got 404. --base-url is the server's root, and the contract's path "
        f"(/api-keys) is appended to it: try --base-url {url}",
    ]


def test_a_path_nothing_serves_stops_the_run_without_the_advice() -> None:
    with serve(create_target(Defects())) as url:
        code, _, err = quiet_run(base_url=url + "/v1", token=VALID_TOKEN)
    assert code == EXIT_USAGE
    assert err.endswith("the contract's path (/api-keys) is appended to it\n")


def test_an_unreachable_target_leaves_no_progress_line_behind() -> None:
    shared = io.StringIO()
    code = run(base_url=refused_url(), token=VALID_TOKEN, stdout=shared, stderr=shared)
    assert code == EXIT_USAGE
    lines = shared.getvalue().splitlines()
    assert lines[-2] == ""  # after the header's blank line, no phase label
    assert lines[-1].startswith("apikeys-conformance: error: cannot reach ")


def test_a_target_that_accepts_any_token_is_told_how_to_opt_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("APIKEYS_CONFORMANCE_TOKEN", raising=False)
    defects, _ = BROKEN["any-token-accepted"]
    with serve(create_target(defects)) as url:
        code, out, _ = quiet_run(base_url=url, token=VALID_TOKEN, max_examples=2)
        assert code == EXIT_VIOLATIONS
        assert (
            "Hint: only the never-issued token failed, and the target accepted it (201): it "
            "accepts any token. If it does so on purpose (a demo target, such as the mock with "
            "its default token policy), leave this check out with --no-unknown-token-check "
            "(APIKEYS_CONFORMANCE_NO_UNKNOWN_TOKEN_CHECK=1)\n"
        ) in out
        # Its reproducer shows the generated token itself: nothing to export.
        assert "export" not in out
        code, out, _ = quiet_run(
            base_url=url, token=VALID_TOKEN, max_examples=2, unknown_token_check=False
        )
        assert code == EXIT_CONFORMS, out
        assert "Hint:" not in out


def test_no_opt_out_hint_when_more_than_the_never_issued_token_fails() -> None:
    defects = Defects(only_known_tokens=False, request_id="constant")
    with serve(create_target(defects)) as url:
        code, out, _ = quiet_run(base_url=url, token=VALID_TOKEN, max_examples=2)
    assert code == EXIT_VIOLATIONS
    assert "never-issued token answered 201" in out
    assert "--no-unknown-token-check" not in out


def test_the_reproducers_say_which_variables_to_export(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("APIKEYS_CONFORMANCE_TOKEN", "APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    hints = []
    for broken in ("422-instead-of-400", "401-instead-of-403"):
        defects, _ = BROKEN[broken]
        with serve(create_target(defects)) as url:
            _, out, _ = quiet_run(
                base_url=url, token=VALID_TOKEN, forbidden_token=FORBIDDEN_TOKEN, max_examples=2
            )
        assert VALID_TOKEN not in out
        assert FORBIDDEN_TOKEN not in out
        hints += [line for line in out.splitlines() if "export" in line]
    # Each variable a shown reproducer reads, once; no other.
    assert hints == [
        "The reproduce lines read tokens from the environment: export "
        f"{variable} (the tokens given as options) before running them."
        for variable in ("APIKEYS_CONFORMANCE_TOKEN", "APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN")
    ]


def test_a_target_that_accepts_everything_reads_as_four_causes() -> None:
    # A real process, the default profile, as the docs show it: one finding per cause, each
    # kind of request that showed it listed, and no phase cut short by a flaky hunt.
    with serve(create_accepts_all()) as url:
        done = cli(
            "--base-url",
            url,
            env={
                "APIKEYS_CONFORMANCE_TOKEN": VALID_TOKEN,
                "APIKEYS_CONFORMANCE_FORBIDDEN_TOKEN": FORBIDDEN_TOKEN,
            },
        )
    assert done.returncode == EXIT_VIOLATIONS, done.stdout + done.stderr
    out = done.stdout
    assert "FAIL: 4 distinct violations in 5 checks" in out, out
    headlines = [line for line in out.splitlines() if line.startswith("[")]
    assert [h.split(": ", 2)[1].split(":")[0] for h in headlines] == [
        "request bodies are not validated",
        "requests are not authenticated",
        "X-Request-Id repeated",
        "static success body",
    ], headlines
    assert re.search(r"\n    \d+ kinds \(count: clearest example\):\n      - /name", out), out
    assert re.search(r"\n      - and \d+ more \(in the JSON report\)\n", out), out
    assert "stopped early" not in out
    assert "Traceback" not in out + done.stderr


class MethodRecorder:
    """A target that serves nothing (404) and remembers each request's method and path."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.seen.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_the_method_and_path_come_from_the_contract(tmp_path: Path) -> None:
    spec = tmp_path / "put.yaml"
    text = bundled_spec_text().replace("  /api-keys:\n    post:", "  /v2/keys:\n    put:", 1)
    spec.write_text(text, encoding="utf-8")
    target = MethodRecorder()
    with serve(target) as url:
        code, _out, err = quiet_run(base_url=url, token=VALID_TOKEN, spec=str(spec))
    assert code == EXIT_USAGE  # nothing serves it: the run stops after the first probes
    assert f"nothing serves PUT {url}/v2/keys" in err
    assert target.seen
    assert set(target.seen) == {("PUT", "/v2/keys")}


def test_a_contract_with_a_second_operation_is_refused_before_any_request(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "two.yaml"
    text = bundled_spec_text()
    operation = text[text.index("  /api-keys:\n") : text.index("\ncomponents:")]
    second = operation.replace("  /api-keys:\n", "  /api-keys/batch:\n", 1).replace(
        "operationId: createApiKey", "operationId: createApiKeys"
    )
    spec.write_text(text.replace(operation, operation + "\n" + second, 1), encoding="utf-8")
    target = MethodRecorder()
    with serve(target) as url:
        code, _out, err = quiet_run(base_url=url, token=VALID_TOKEN, spec=str(spec))
    assert code == EXIT_USAGE
    assert err.count("\n") == 1, err
    assert err.endswith(
        "expected exactly one operation, found 2 (POST /api-keys, POST /api-keys/batch): "
        "judge one contract per operation\n"
    )
    assert target.seen == []
