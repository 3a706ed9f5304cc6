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

from mock_server import _cli

from .servers import mock_process


def test_defaults_bind_loopback_on_4010() -> None:
    args = _cli.build_parser().parse_args([])
    assert (args.host, int(args.port)) == ("127.0.0.1", 4010)
    assert args.spec is None
    assert args.tokens is None


def test_every_option_has_an_environment_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "HOST": "0.0.0.0",
        "PORT": "5000",
        "SPEC": "other.yaml",
        "TOKENS": "tokens.yaml",
        "CORS_ORIGINS": "http://a.test,http://b.test",
        "DELAY_MS": "250",
        "MAX_BODY_BYTES": "2048",
        "LOG_LEVEL": "warning",
        "BODY_TIMEOUT": "2.5",
    }
    for name, value in env.items():
        monkeypatch.setenv(_cli.ENV_PREFIX + name, value)
    args = _cli.build_parser().parse_args([])
    assert args.host == "0.0.0.0"
    assert int(args.port) == 5000
    assert args.spec == "other.yaml"
    assert args.tokens == "tokens.yaml"
    assert args.cors_origins == ("http://a.test", "http://b.test")
    assert int(args.delay_ms) == 250
    assert int(args.max_body_bytes) == 2048
    assert args.log_level == "warning"
    assert args.body_timeout == 2.5
    # The command line wins over the environment.
    assert int(_cli.build_parser().parse_args(["--port", "7"]).port) == 7


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _cli.main(["--version"])
    assert exit_info.value.code == 0
    assert "mock_server" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv", [["--port", "-1"], ["--delay-ms", "soon"], ["--cors-origins", ","]]
)
def test_bad_option_is_a_usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _cli.main(argv)
    assert exit_info.value.code == _cli.EXIT_USAGE


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
        port = int(mock.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(raw)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
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
