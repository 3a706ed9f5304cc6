"""The pytest entry point, run as teams would: ``pytest --pyargs conformance ...``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import conformance
from conformance import CHECKS

from .servers import serve
from .targets import BROKEN, FORBIDDEN_TOKEN, VALID_TOKEN, Defects, create_target


def pytest_run(url: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance",
            "-p",
            "no:cacheprovider",
            f"--conformance-base-url={url}",
            "--conformance-max-examples=5",
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
        env={**os.environ, "APIKEYS_CONFORMANCE_TOKEN": VALID_TOKEN},
    )


def test_one_passing_item_per_check(tmp_path: Path) -> None:
    with serve(create_target(Defects())) as url:
        done = pytest_run(url, tmp_path, f"--conformance-forbidden-token={FORBIDDEN_TOKEN}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(CHECKS)} passed" in done.stdout
    assert "PASS: the target conforms" in done.stdout


def test_the_failing_check_is_the_failing_item(tmp_path: Path) -> None:
    defects, check = BROKEN["plain-text-errors"]
    with serve(create_target(defects)) as url:
        done = pytest_run(url, tmp_path)
    assert done.returncode == 1
    assert f"FAILED conformance::{check}" in done.stdout
    assert "reproduce: curl" in done.stdout
    assert VALID_TOKEN not in done.stdout + done.stderr


def test_the_plugin_is_inert_without_a_base_url(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APIKEYS_CONFORMANCE_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
        env=env,
    )
    assert "no tests ran" in done.stdout, done.stdout


def test_the_public_api_is_pinned() -> None:
    assert conformance.__all__ == [
        "CHECKS",
        "EXIT_CONFORMS",
        "EXIT_COVERAGE",
        "EXIT_INTERNAL_ERROR",
        "EXIT_USAGE",
        "EXIT_VIOLATIONS",
        "PROFILES",
        "CheckState",
        "CheckSummary",
        "ConformanceError",
        "Engine",
        "Example",
        "Finding",
        "InternalError",
        "Note",
        "Profile",
        "Report",
        "Settings",
        "Shape",
        "TargetUnreachable",
        "Tokens",
        "UsageError",
        "main",
        "run",
        "run_engine",
    ]
    assert list(CHECKS) == [
        "acceptance",
        "rejection",
        "authentication",
        "headers",
        "error_shape",
        "status_conformance",
        "success_shape",
    ]


class Recorder:
    """A conforming target that also records every request body it receives."""

    def __init__(self) -> None:
        self.app = create_target(Defects())
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        chunks: list[bytes] = []

        async def recording_receive() -> Any:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        await self.app(scope, recording_receive, send)
        self.bodies.append(b"".join(chunks))


def test_the_cli_and_the_plugin_send_the_same_requests_for_a_seed(tmp_path: Path) -> None:
    recorder = Recorder()
    with serve(recorder) as url:
        env = {**os.environ, "APIKEYS_CONFORMANCE_TOKEN": VALID_TOKEN}
        args = ["--base-url", url, "--seed", "7", "--max-examples", "5", "--quiet"]
        subprocess.run(
            [sys.executable, "-m", "conformance", *args],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
        from_cli = list(recorder.bodies)
        recorder.bodies.clear()
        pytest_run(url, tmp_path, "--conformance-seed=7")
        from_plugin = list(recorder.bodies)
    assert len(from_cli) > 100
    assert from_cli == from_plugin
