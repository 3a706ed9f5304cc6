"""``python -m mock_server --proxy URL``: options, and the run report written on stop."""

from __future__ import annotations

import json
import signal
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from mock_server.server._cli import build_parser, main
from mock_server.server._live_options import proxy_settings

from .servers import canned_upstream, mock_process, response_head, serve
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
        # A directory cannot be created under a regular file (this one).
        ["--proxy", "http://127.0.0.1:1", "--report-json", f"{__file__}/reports/r.json"],
        ["--journal-size", "0"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("apikeys-mock: error: ")


def test_a_report_path_under_a_file_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--proxy", "http://127.0.0.1:1", "--junit-xml", f"{__file__}/reports/r.xml"])
    assert stopped.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        f"apikeys-mock: error: cannot write a report: cannot create directory "
        f"{__file__}/reports: {__file__} is not a directory (see --help)"
    )


def test_missing_report_directories_are_created_at_start_up(tmp_path: Path) -> None:
    parser = build_parser()
    junit, report = tmp_path / "reports" / "ci" / "proxy.xml", tmp_path / "out" / "proxy.json"
    args = parser.parse_args(
        ["--proxy", "http://127.0.0.1:1", "--junit-xml", str(junit), "--report-json", str(report)]
    )
    settings = proxy_settings(parser, args, None)
    assert settings is not None
    assert settings.junit_xml == junit
    assert junit.parent.is_dir()
    assert report.parent.is_dir()
    assert not junit.exists()  # written when the proxy stops


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
    report_json, junit = tmp_path / "run.json", tmp_path / "reports" / "run.xml"
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


# What an upstream sends, field by field: names in mixed case, a repeated Set-Cookie, its
# own Date and Server. A 201 without clientId or clientSecret: the proxy flags it.
UPSTREAM_BODY = b'{"name":"ci"}'
UPSTREAM_FIELDS = [
    ("Date", "Thu, 03 Dec 2026 10:00:00 GMT"),
    ("Server", "canned/1.0"),
    ("Content-Type", "application/json"),
    ("X-Request-Id", "5b0e6f3c-2d6a-4c8e-9a51-0c1d2e3f4a5b"),
    ("Set-Cookie", "a=1; Path=/"),
    ("Cache-Control", "no-store"),
    ("Set-Cookie", "b=2; Path=/"),
    ("Content-Length", str(len(UPSTREAM_BODY))),
]


def canned_answer(status: str, fields: list[tuple[str, str]], body: bytes) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in fields)
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode("latin-1") + body


def lower(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name.lower(), value) for name, value in fields]


def test_the_upstream_answer_passes_through_with_nothing_added_but_the_violations() -> None:
    answer = canned_answer("201 Created", UPSTREAM_FIELDS, UPSTREAM_BODY)
    post = (
        b"POST /api-keys HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer "
        + VALID_TOKEN.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
        + b'{"name":"ci"}'
    )
    with canned_upstream(answer) as upstream, mock_process("--proxy", upstream) as proxy:
        status, judged = response_head(proxy.url, post)
        off_status, off = response_head(proxy.url, b"GET /elsewhere HTTP/1.1\r\nHost: p\r\n\r\n")
    assert status == off_status == "HTTP/1.1 201 Created"
    # Off the contract's operation nothing is judged: the upstream's fields, exactly.
    assert off == lower(UPSTREAM_FIELDS)
    # On it, the same fields, then X-Contract-Violations and nothing else.
    assert judged[:-1] == lower(UPSTREAM_FIELDS)
    name, value = judged[-1]
    assert name == "x-contract-violations"
    assert {item["check"] for item in json.loads(value)} == {"success_shape"}


def test_a_chunked_upstream_answer_stays_chunked_without_a_length_added() -> None:
    fields = [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")]
    answer = canned_answer("200 OK", fields, b"2\r\nok\r\n0\r\n\r\n")
    with canned_upstream(answer) as upstream, mock_process("--proxy", upstream) as proxy:
        status, head = response_head(proxy.url, b"GET /x HTTP/1.1\r\nHost: p\r\n\r\n")
        body = httpx.get(proxy.url + "/x", timeout=10).text
    assert status == "HTTP/1.1 200 OK"
    # The upstream sent no Date: the proxy adds the one field RFC 9110 section 6.6.1 asks
    # of a forwarding recipient, and nothing else.
    assert [field for field in head if field[0] != "date"] == lower(fields)
    assert [name for name, _ in head].count("date") == 1
    assert body == "ok"


def test_the_proxys_own_answer_has_one_date_and_the_mock_keeps_uvicorns_fields() -> None:
    with serve(create_target()) as gone:
        pass  # the port is closed again: the proxy answers in the upstream's place
    request = b"GET /x HTTP/1.1\r\nHost: p\r\n\r\n"
    with mock_process("--proxy", gone) as proxy:
        status, own = response_head(proxy.url, request)
    with mock_process() as mock:
        _, mocked = response_head(mock.url, request)
    names = [name for name, _ in own]
    assert status == "HTTP/1.1 500 Internal Server Error"
    assert names.count("date") == 1
    assert "server" not in names
    assert ("server", "uvicorn") in mocked
    assert [name for name, _ in mocked].count("date") == 1
