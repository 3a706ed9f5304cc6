"""Record and replay: the mock's and the proxy's journals as HAR 1.2, and
``python -m conformance replay FILE.har`` / ``check FILE.har`` over them and over a HAR a
browser saved (``tests/har/chrome.har``, shaped like Chrome's export)."""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from starlette.testclient import TestClient

from conformance._cli import main
from mock_server import Settings, create_app
from mock_server.journal import Record
from mock_server.journal._har import har_log
from tests.servers import mock_process, serve
from tests.targets.accepts_all import create_accepts_all
from tests.targets.misbehaving import answers_then_hangs, raw_server, refused_url
from tests.targets.reference import VALID_TOKEN, Defects, create_target

SCHEMAS = Path(__file__).parent / "har_schema"
CHROME = Path(__file__).parent / "har" / "chrome.har"
TOKEN = "har-test-token-0123456789"
NOT_UTF8 = b'{"name":"\xff"}'


def har_validator() -> jsonschema_rs.Draft6Validator:
    """The vendored HAR 1.2 schema (tests/har_schema/README.md); its files refer to each
    other by name."""

    def retrieve(uri: str) -> Any:
        return json.loads((SCHEMAS / uri.rsplit("/", 1)[-1].partition("#")[0]).read_text())

    root = json.loads((SCHEMAS / "har.json").read_text())
    return jsonschema_rs.Draft6Validator(root, retriever=retrieve)


def assert_har(document: Any) -> None:
    """Valid HAR 1.2, and what the schema leaves to the spec's prose: timings' send, wait
    and receive non-negative, and ``time`` their sum with the known phases."""
    har_validator().validate(document)
    assert document["log"]["version"] == "1.2"
    for entry in document["log"]["entries"]:
        timings = entry["timings"]
        assert all(timings[phase] >= 0 for phase in ("send", "wait", "receive"))
        phases = ("blocked", "dns", "connect", "send", "wait", "receive")
        known = sum(timings[p] for p in phases if timings.get(p, -1) >= 0)
        assert entry["time"] == pytest.approx(known)


def test_the_schema_refuses_what_is_not_har() -> None:
    with pytest.raises(jsonschema_rs.ValidationError):
        har_validator().validate({"log": {"version": "1.2", "creator": {}, "entries": [{}]}})


@pytest.fixture(params=["asgi", "http"])
def mock(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    app = create_app(Settings())
    if request.param == "asgi":
        with TestClient(app, base_url="http://mock.test") as client:
            yield client
    else:
        with serve(app) as url, httpx.Client(base_url=url) as client:
            yield client


def exchanges(client: httpx.Client) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    client.post("/api-keys", json={"name": "ci key"}, headers=bearer)
    client.post("/api-keys", json={"name": ""}, headers=bearer)
    client.post(
        "/api-keys?trace=1",
        content=NOT_UTF8,
        headers={**bearer, "Content-Type": "application/json"},
    )
    client.post("/api-keys", json={"name": "x"})
    client.get("/elsewhere")


def test_the_journal_exports_valid_har_with_credentials_redacted(mock: httpx.Client) -> None:
    exchanges(mock)
    response = mock.get("/__mock/requests", params={"format": "har"})
    assert response.status_code == 200
    har = response.json()
    assert_har(har)
    assert har["log"]["creator"]["name"] == "apikeys-contract mock_server"
    assert TOKEN not in response.text
    entries = har["log"]["entries"]
    assert [e["request"]["method"] for e in entries] == ["POST"] * 4 + ["GET"]  # oldest first
    assert [e["response"]["status"] for e in entries] == [201, 400, 400, 401, 404]
    created = json.loads(entries[0]["response"]["content"]["text"])
    assert created["clientSecret"] == "[redacted]"
    authorization = dict((h["name"], h["value"]) for h in entries[0]["request"]["headers"])[
        "authorization"
    ]
    assert authorization == "[redacted]"
    assert entries[0]["request"]["postData"] == {
        "mimeType": "application/json",
        "params": [],
        "text": '{"name":"ci key"}',
    }
    binary = entries[2]["request"]
    assert binary["postData"]["encoding"] == "base64"
    assert base64.b64decode(binary["postData"]["text"]) == NOT_UTF8
    assert binary["queryString"] == [{"name": "trace", "value": "1"}]
    assert binary["url"].endswith("/api-keys?trace=1")
    assert entries[0]["_verdict"] == "ok"
    assert entries[1]["_verdict"] == "rejected"


def test_the_har_export_takes_the_json_views_filters(mock: httpx.Client) -> None:
    exchanges(mock)
    har = mock.get("/__mock/requests", params={"format": "har", "status": "4xx"}).json()
    assert [e["response"]["status"] for e in har["log"]["entries"]] == [400, 400, 401, 404]
    limited = mock.get("/__mock/requests", params={"format": "har", "limit": "1"}).json()
    assert [e["request"]["method"] for e in limited["log"]["entries"]] == ["GET"]  # newest
    refused = mock.get("/__mock/requests", params={"format": "xml"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_filter"
    assert "format" in refused.json()["message"]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A HAR recorded by the proxy in front of a conforming implementation."""
    path = tmp_path_factory.mktemp("har") / "proxy.har"
    bearer = {"Authorization": f"Bearer {VALID_TOKEN}"}
    with (
        serve(create_target()) as upstream,
        mock_process("--proxy", upstream) as proxy,
        httpx.Client(base_url=proxy.url, timeout=10) as client,
    ):
        assert client.post("/api-keys", json={"name": "ci key"}, headers=bearer).status_code == 201
        assert client.post("/api-keys", json={"name": ""}, headers=bearer).status_code == 400
        assert client.post("/api-keys", json={"name": "ok"}).status_code == 401
        client.get("/health")
        exported = client.get("/__mock/requests", params={"format": "har"})
    path.write_bytes(exported.content)
    return path


def test_the_proxy_exports_valid_har(recorded: Path) -> None:
    har = json.loads(recorded.read_text())
    assert_har(har)
    assert VALID_TOKEN not in recorded.read_text()
    assert len(har["log"]["entries"]) == 4


def test_replay_against_the_conforming_implementation_passes(
    recorded: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "replay.json"
    junit = tmp_path / "replay.xml"
    with serve(create_target()) as url:
        code, out, err = run_cli(
            ["replay", str(recorded), "--base-url", url, "--token", VALID_TOKEN,
             "--report-json", str(report), "--junit-xml", str(junit)],
            capsys,
        )  # fmt: skip
    assert (code, err) == (0, "")
    assert "replaying 3 recorded POST /api-keys requests from proxy.har" in out
    assert "1 entry for another operation skipped (not POST /api-keys)" in out
    assert "PASS" in out
    data = json.loads(report.read_text())
    assert data["requests"] == 3
    assert data["findings"] == []
    assert "<testsuite" in junit.read_text()


def test_replay_presents_the_runs_token_only_where_the_recording_had_one(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replayed against the mock, whose journal shows what arrived: the recorded 401
    (no credentials) is sent without any again."""
    with serve(create_app(Settings())) as url:
        code, out, _ = run_cli(
            ["replay", str(recorded), "--base-url", url, "--token", TOKEN], capsys
        )
        journal = httpx.get(url + "/__mock/requests").json()["requests"]
    assert code == 0, out
    sent = [
        (r["status"], dict(r["request"]["headers"]).get("authorization")) for r in journal[::-1]
    ]
    assert sent == [(201, "[redacted]"), (400, "[redacted]"), (401, None)]


@pytest.mark.parametrize(
    ("defects", "expected"),
    [
        (Defects(invalid_status=422), "undocumented status 422"),
        (Defects(request_id="constant"), "X-Request-Id repeated"),
    ],
)
def test_replay_against_a_broken_implementation_flags_its_defects(
    recorded: Path, capsys: pytest.CaptureFixture[str], defects: Defects, expected: str
) -> None:
    with serve(create_target(defects)) as url:
        code, out, _err = run_cli(
            ["replay", str(recorded), "--base-url", url, "--token", VALID_TOKEN], capsys
        )
    assert code == 1, out
    assert expected in out
    assert "reproduce: curl" in out
    assert "$APIKEYS_CONFORMANCE_TOKEN" in out
    assert VALID_TOKEN not in out


def test_replay_flags_a_target_that_accepts_everything(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(create_accepts_all()) as url:
        code, out, _ = run_cli(
            ["replay", str(recorded), "--base-url", url, "--token", VALID_TOKEN], capsys
        )
    assert code == 1
    assert "201 for" in out  # the empty name and the missing credential both let in


def test_check_passes_the_recording_and_flags_an_edited_response(
    recorded: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run_cli(["check", str(recorded)], capsys)
    assert code == 0, out
    assert "checking 3 recorded POST /api-keys requests from proxy.har offline" in out
    har = json.loads(recorded.read_text())
    edited = copy.deepcopy(har)
    created = edited["log"]["entries"][0]["response"]
    body = json.loads(created["content"]["text"])
    del body["clientId"]
    created["content"]["text"] = json.dumps(body)
    path = tmp_path / "edited.har"
    path.write_text(json.dumps(edited))
    code, out, _ = run_cli(["check", str(path)], capsys)
    assert code == 1, out
    assert "success_shape" in out
    assert "clientId" in out


def test_a_chrome_har_replays_and_checks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["check", str(CHROME)], capsys)
    assert code == 0, out
    assert "checking 2 recorded POST /api-keys requests from chrome.har" in out
    assert "browser-session-token" not in out
    with serve(create_target()) as url:
        code, out, _ = run_cli(
            ["replay", str(CHROME), "--base-url", url, "--token", VALID_TOKEN], capsys
        )
    assert code == 0, out
    assert "1 entry for another operation skipped" in out  # the CORS preflight
    with serve(create_target(Defects(invalid_status=422))) as url:
        code, out, _ = run_cli(
            ["replay", str(CHROME), "--base-url", url, "--token", VALID_TOKEN], capsys
        )
    assert code == 1
    assert "undocumented status 422" in out


def bad(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content)
    return str(path)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", "is not a HAR file: no log with a list of entries"),
        ('{"log": {"version": "1.0", "entries": []}}', "HAR version '1.0' is not supported"),
        ('{"log": {"version": "1.2", "entries": [{"response": {}}]}}', "entry 1 has no request"),
        ('{"log": {"version": "1.2", "entries": []}}', "none of its 0 entries"),
        (
            '{"log": {"version": "1.2", "entries": [{"request": {"method": "POST", '
            '"url": "http://h/api-keys", "postData": {"mimeType": "", "text": "%%", '
            '"encoding": "base64"}}}]}}',
            "entry 1: a body marked base64 is not base64",
        ),
    ],
)
@pytest.mark.parametrize("command", ["check", "replay"])
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, content: str, said: str
) -> None:
    path = bad(tmp_path, "in.har", content)
    extra = ["--base-url", "http://127.0.0.1:9", "--token", "t"] if command == "replay" else []
    code, _out, err = run_cli([command, path, *extra], capsys)
    assert code == 2
    assert said in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_replay_needs_a_base_url_and_a_token(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["replay", str(recorded)])
    assert exited.value.code == 2
    assert "--base-url is required" in capsys.readouterr().err


def test_replay_of_an_unreachable_target_exits_2(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["replay", str(recorded), "--base-url", refused_url(), "--token", VALID_TOKEN], capsys
    )
    assert code == 2
    assert "cannot reach" in err


def test_replay_reports_the_requests_that_got_no_answer(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with raw_server(answers_then_hangs(1)) as url:
        code, out, err = run_cli(
            ["replay", str(recorded), "--base-url", url, "--token", VALID_TOKEN,
             "--timeout", "0.5"],
            capsys,
        )  # fmt: skip
    assert code == 1, out + err
    assert "status_conformance: no HTTP response" in out
    assert "no complete response within 0.5 s for HAR entry 2" in out


def test_python_m_conformance_replay(recorded: Path) -> None:
    with serve(create_target()) as url:
        done = subprocess.run(
            [sys.executable, "-m", "conformance", "replay", str(recorded), "--base-url", url],
            env={**os.environ, "APIKEYS_CONFORMANCE_TOKEN": VALID_TOKEN},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS" in done.stdout


def test_replay_and_check_report_coverage_and_gate_on_it(
    recorded: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "replay.json"
    with serve(create_target()) as url:
        code, out, _ = run_cli(
            ["replay", str(recorded), "--base-url", url, "--token", VALID_TOKEN,
             "--report-json", str(report)],
            capsys,
        )  # fmt: skip
    assert code == 0, out
    assert "Coverage of POST /api-keys" in out
    statuses = {
        s["status"]: s["produced"] for s in json.loads(report.read_text())["coverage"]["statuses"]
    }
    assert (statuses[201], statuses[400], statuses[401], statuses[403]) == (1, 1, 1, 0)
    code, _, err = run_cli(
        ["check", str(recorded), "--require-coverage", "statuses=201,400,401,403"], capsys
    )
    assert code == 4
    assert "coverage gate failed: statuses 403: not produced" in err
    code, _, _ = run_cli(
        ["check", str(recorded), "--require-coverage", "statuses=201,400,401"], capsys
    )
    assert code == 0


def test_an_unanswered_exchange_and_a_cut_body_are_still_har() -> None:
    record = Record(
        time=1_700_000_000.25,
        method="POST",
        path="/api-keys",
        query=b"",
        request_headers=((b"host", b"mock.test"), (b"content-type", b"application/json")),
        request_body=b'{"name":"' + b"x" * 10,
        status=0,
        response_headers=(),
        response_body=None,
        duration=0.5,
        request_truncated=True,
        id=7,
    )
    har = har_log([record])
    assert_har(har)
    entry = har["log"]["entries"][0]
    assert entry["response"]["status"] == 0
    assert entry["response"]["content"] == {"size": 0, "mimeType": ""}
    assert entry["request"]["postData"]["_truncated"] is True
    assert entry["startedDateTime"] == "2023-11-14T22:13:20.250Z"
    assert entry["timings"]["wait"] == 500.0
    assert entry["_verdict"] == "disconnected"


@pytest.mark.parametrize("command", ["replay", "check"])
def test_each_subcommand_has_its_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert f"apikeys-conformance {command}" in shown
    assert "FILE.har" in shown
    assert ("--base-url" in shown) is (command == "replay")


def test_the_main_help_names_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "'replay FILE.har'" in capsys.readouterr().out


def test_check_does_not_take_redacted_secrets_for_repeats(
    mock: httpx.Client, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name in ("one", "two", "three"):
        mock.post("/api-keys", json={"name": name}, headers={"Authorization": f"Bearer {TOKEN}"})
    path = tmp_path / "journal.har"
    path.write_bytes(mock.get("/__mock/requests", params={"format": "har"}).content)
    code, out, _ = run_cli(["check", str(path)], capsys)
    assert code == 0, out
    assert "clientSecret redacted in the recording: its freshness" in out
    assert "clientSecret repeated" not in out


def test_check_still_flags_a_secret_repeated_in_the_clear(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    har = json.loads(CHROME.read_text())
    entries = har["log"]["entries"]
    entries.append(copy.deepcopy(entries[1]))  # the same 201, secret and all, twice
    headers = entries[-1]["response"]["headers"]
    headers[1]["value"] = "another-request-id"
    path = tmp_path / "twice.har"
    path.write_text(json.dumps(har))
    code, out, _ = run_cli(["check", str(path)], capsys)
    assert code == 1, out
    assert "clientSecret repeated" in out
