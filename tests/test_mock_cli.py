"""The command line: options and their environment twins, start-up failures, a real process."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mock_server.server import _cli

from .servers import mock_process, raw_exchange


def test_defaults_bind_loopback_on_4010() -> None:
    args = _cli.build_parser().parse_args([])
    assert (args.host, int(args.port)) == ("127.0.0.1", 4010)
    assert args.spec is None
    assert args.tokens is None


# Every option of the parser: a value for its environment twin, and what that parses to.
TWINS: dict[str, tuple[str, object]] = {
    "host": ("0.0.0.0", "0.0.0.0"),
    "port": ("5000", 5000),
    "spec": ("other.yaml", "other.yaml"),
    "tokens": ("tokens.yaml", "tokens.yaml"),
    "cors_origins": ("http://a.test,http://b.test", ("http://a.test", "http://b.test")),
    "delay_ms": ("250", 250),
    "max_body_bytes": ("2048", 2048),
    "body_timeout": ("2.5", 2.5),
    "watch": ("yes", True),
    "docs": ("off", False),
    "workers": ("3", 3),
    "log_level": ("warning", "warning"),
    "no_journal": ("1", True),
    "journal_size": ("50", 50),
    "proxy": ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    "proxy_strict": ("true", True),
    "proxy_timeout": ("2", 2.0),
    "report_json": ("report.json", "report.json"),
    "junit_xml": ("junit.xml", "junit.xml"),
}


def test_every_option_has_an_environment_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = _cli.build_parser()
    options = {action.dest for action in parser._actions if action.option_strings}
    assert options - {"help", "version"} == set(TWINS), "an option without a line in TWINS"
    defaults = vars(parser.parse_args([]))
    for dest, (value, _) in TWINS.items():
        monkeypatch.setenv(_cli.ENV_PREFIX + dest.upper(), value)
    args = vars(_cli.build_parser().parse_args([]))
    assert {dest: args[dest] for dest in TWINS} == {
        dest: parsed for dest, (_, parsed) in TWINS.items()
    }
    assert all(args[dest] != defaults[dest] for dest in TWINS)  # each twin changed something
    # The command line wins over the environment.
    assert int(_cli.build_parser().parse_args(["--port", "7"]).port) == 7


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("apikeys-mock 0.")


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ([sys.executable, "-m", "mock_server"], "python -m mock_server"),
        ([str(Path(sys.executable).with_name("apikeys-mock"))], "apikeys-mock"),
    ],
    ids=["module", "script"],
)
def test_version_names_the_command_that_ran(command: list[str], name: str) -> None:
    if not Path(command[0]).exists():
        pytest.skip(f"{command[0]} is not installed")
    result = subprocess.run([*command, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith(f"{name} 0.")


def test_port_out_of_range_is_one_line_in_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "--port", "99999"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == _cli.EXIT_USAGE
    assert result.stderr.count("\n") == 1, result.stderr
    assert "--port: 99999 is not a port number (0 to 65535)" in result.stderr


def test_run_refuses_a_port_out_of_range_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.run(port=99_999) == _cli.EXIT_STARTUP_FAILED
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not a port number" in err


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PORT", "99999", "is not a port number"),
        ("PORT", "²", "is not a whole number"),
        ("DELAY_MS", "soon", "is not a whole number"),
        ("BODY_TIMEOUT", "-1", "is not positive"),
        ("LOG_LEVEL", "loud", "is not one of debug, info, warning, error"),
        ("DOCS", "maybe", "is not true or false"),
        ("WATCH", "2", "is not true or false"),
    ],
)
def test_a_bad_environment_twin_is_named(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(_cli.ENV_PREFIX + name, value)
    with pytest.raises(SystemExit) as exit_info:
        _cli.main([])
    assert exit_info.value.code == _cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"error: {_cli.ENV_PREFIX}{name}: " in err
    assert says in err
    assert "--" not in err.split("(see --help)")[0]


@pytest.mark.parametrize(
    ("argv", "variable", "says"),
    [
        (["--max-body-bytes", "0"], None, "argument --max-body-bytes: 0 is not positive"),
        ([], "MAX_BODY_BYTES", f"{_cli.ENV_PREFIX}MAX_BODY_BYTES: 0 is not positive"),
    ],
    ids=["option", "environment"],
)
def test_a_body_limit_of_zero_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    variable: str | None,
    says: str,
) -> None:
    if variable is not None:
        monkeypatch.setenv(_cli.ENV_PREFIX + variable, "0")
    with pytest.raises(SystemExit) as exit_info:
        _cli.build_parser().parse_args(argv)
    assert exit_info.value.code == _cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert says in err


def test_the_command_line_wins_over_a_bad_environment_twin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(_cli.ENV_PREFIX + "PORT", "nope")
    monkeypatch.setenv(_cli.ENV_PREFIX + "DOCS", "nope")
    args = _cli.build_parser().parse_args(["--port=7", "--no-docs"])
    assert (args.port, args.docs) == (7, False)


def test_boolean_twins(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _cli.build_parser().parse_args([]).docs is True
    assert _cli.build_parser().parse_args([]).watch is False
    monkeypatch.setenv(_cli.ENV_PREFIX + "DOCS", "false")
    monkeypatch.setenv(_cli.ENV_PREFIX + "WATCH", "1")
    args = _cli.build_parser().parse_args([])
    assert (args.docs, args.watch) == (False, True)


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "-1"],
        ["--port", "99999"],
        ["--port", "٣"],
        ["--delay-ms", "soon"],
        ["--cors-origins", ","],
    ],
)
def test_bad_option_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _cli.main(argv)
    assert exit_info.value.code == _cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"error: argument {argv[0]}: " in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "spec file not found"),
        ("openapi: [unclosed", "not valid YAML"),
        ("just: a mapping\n", "not an OpenAPI document"),
        ("openapi: 3.1.0\ninfo: {}\npaths: {}\n", "not a valid OpenAPI document"),
    ],
    ids=["missing", "bad-yaml", "not-openapi", "invalid-openapi"],
)
def test_bad_spec_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    spec = tmp_path / "spec.yaml"
    if content is not None:
        spec.write_text(content)
    assert _cli.main(["--spec", str(spec), "--port", "0"]) == _cli.EXIT_STARTUP_FAILED
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_token_file_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "tokens.yaml"
    policy.write_text("forbidden: just-a-string\n")
    assert _cli.main(["--tokens", str(policy)]) == _cli.EXIT_STARTUP_FAILED
    assert "'forbidden' must be a list" in capsys.readouterr().err


def test_port_in_use_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert _cli.main(["--port", str(port)]) == _cli.EXIT_STARTUP_FAILED
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "Traceback" not in err


def test_bad_spec_in_a_real_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", "--spec", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("mock_server: error: spec file not found")
    assert "Traceback" not in result.stderr


def test_process_serves_logs_one_line_per_request_and_stops_on_sigterm(tmp_path: Path) -> None:
    policy = tmp_path / "tokens.json"
    policy.write_text(json.dumps({"unknown": "reject", "allow": ["sekret-token-1"]}))
    with mock_process("--tokens", str(policy)) as mock:
        with httpx.Client(base_url=mock.url, timeout=10) as client:
            ok = client.post(
                "/api-keys",
                json={"name": "k"},
                headers={"Authorization": "Bearer sekret-token-1"},
            )
            unknown = client.post(
                "/api-keys", json={"name": "k"}, headers={"Authorization": "Bearer other-token"}
            )
            missing = client.get("/missing")
        assert ok.status_code == 201
        assert unknown.status_code == 401
        assert missing.status_code == 404
        mock.process.send_signal(signal.SIGTERM)
        assert mock.process.wait(15) == 0
    log = [json.loads(line) for line in mock.lines if line.startswith("{")]
    assert [(entry["method"], entry["status"]) for entry in log] == [
        ("POST", 201),
        ("POST", 401),
        ("GET", 404),
    ]
    assert [entry["request_id"] for entry in log] == [
        r.headers["x-request-id"] for r in (ok, unknown, missing)
    ]
    # Neither the tokens nor the generated secret ever reach the log.
    for secret in ("sekret-token-1", "other-token", ok.json()["clientSecret"]):
        assert secret not in mock.output


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"POST /api-keys HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}{}{}",
        b"POST /api-keys HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n",
    ],
    ids=["not-http", "content-length-too-short", "content-length-not-a-number"],
)
def test_unparseable_http_gets_the_error_shape(raw: bytes) -> None:
    with mock_process("--log-level", "warning") as mock:
        reply = raw_exchange(mock.url, raw)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), reply
    assert b"content-type: application/json" in head
    assert b"x-request-id: " in head
    assert json.loads(body)["code"] == "malformed_http"
    assert "Traceback" not in mock.output


def test_a_ref_cycle_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    cycle = Path(__file__).parent / "contracts" / "ref-cycle.yaml"
    assert _cli.main(["--spec", str(cycle), "--port", "0"]) == _cli.EXIT_STARTUP_FAILED
    err = capsys.readouterr().err
    assert "$refs form a cycle" in err
    assert err.count("\n") == 1
