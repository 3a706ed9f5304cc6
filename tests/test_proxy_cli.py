"""``python -m mock_server --proxy URL``: options, and the run report written on stop."""

from __future__ import annotations

import json
import signal
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from mock_server._cli import build_parser, main

from .servers import mock_process, serve
from .targets import VALID_TOKEN, Defects, create_target


@pytest.mark.parametrize(
    "argv",
    [
        ["--proxy-strict"],
        ["--report-json", "r.json"],
        ["--proxy", "ftp://example.test"],
        ["--proxy", "not a url"],
        ["--proxy", "http://127.0.0.1:1?x=1"],
        ["--proxy", "http://127.0.0.1:1", "--proxy-timeout", "0"],
        ["--proxy", "http://127.0.0.1:1", "--report-json", "/no/such/dir/r.json"],
        ["--journal-size", "0"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("apikeys-mock: error: ")


def test_defaults_and_environment_twins(monkeypatch: pytest.MonkeyPatch) -> None:
    args = build_parser().parse_args([])
    assert args.proxy is None
    assert not args.no_journal
    assert int(args.journal_size) == 1000
    monkeypatch.setenv("APIKEYS_MOCK_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("APIKEYS_MOCK_PROXY_STRICT", "1")
    monkeypatch.setenv("APIKEYS_MOCK_NO_JOURNAL", "true")
    args = build_parser().parse_args([])
    assert args.proxy == "http://127.0.0.1:9"
    assert args.proxy_strict
    assert args.no_journal


def test_the_run_report_is_written_when_the_proxy_stops(tmp_path: Path) -> None:
    report_json, junit = tmp_path / "run.json", tmp_path / "run.xml"
    headers = {"Authorization": f"Bearer {VALID_TOKEN}"}
    with serve(create_target(Defects(request_id="constant"))) as upstream:
        args = ["--proxy", upstream, "--report-json", str(report_json), "--junit-xml", str(junit)]
        with mock_process(*args) as proxy:
            for name in ("a", "b", "c"):
                response = httpx.post(
                    proxy.url + "/api-keys", json={"name": name}, headers=headers, timeout=10
                )
                assert response.headers["x-request-id"] == "constant"
            proxy.process.send_signal(signal.SIGTERM)
            assert proxy.process.wait(20) == 0
            output = proxy.output
    assert f"validation proxy for {upstream}" in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert [line["status"] for line in lines] == [201, 201, 201]
    assert "violations" not in lines[0]
    assert lines[1]["violations"][0]["check"] == "headers"
    assert VALID_TOKEN not in output
    data = json.loads(report_json.read_text())
    [finding] = data["findings"]
    assert finding["check"] == "headers"
    assert finding["summary"] == "X-Request-Id repeated"
    assert finding["occurrences"] == 2
    assert "$APIKEYS_PROXY_CREDENTIAL" in finding["example"]["curl"]
    assert data["requests"] == 3
    assert data["conforms"] is False
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "1"
    failed = [case.get("name") for case in suite if case.find("failure") is not None]
    assert failed == ["headers: X-Request-Id repeated"]  # one test case per cause
    assert VALID_TOKEN not in report_json.read_text() + junit.read_text()


def test_the_journal_and_proxy_twins_are_read_like_every_other(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APIKEYS_MOCK_NO_JOURNAL", "false")
    assert not build_parser().parse_args([]).no_journal
    monkeypatch.setenv("APIKEYS_MOCK_NO_JOURNAL", "maybe")
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args([])
    assert stopped.value.code == 2
    assert "APIKEYS_MOCK_NO_JOURNAL: 'maybe' is not true or false" in capsys.readouterr().err
    monkeypatch.delenv("APIKEYS_MOCK_NO_JOURNAL")
    monkeypatch.setenv("APIKEYS_MOCK_JOURNAL_SIZE", "0")
    with pytest.raises(SystemExit):
        build_parser().parse_args([])
    assert "APIKEYS_MOCK_JOURNAL_SIZE: 0 is not positive" in capsys.readouterr().err
