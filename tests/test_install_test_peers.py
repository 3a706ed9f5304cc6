"""scripts/install-test-peers: a registry's transient error is tried again, with a pause,
before an install counts as failed. Run on a copy of the script, with fake ``npm``,
``apt-get`` and ``sudo`` that fail a given number of times per command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "install-test-peers"
LOCKFILES = ("package-lock.json", "tests/peers/node/package-lock.json")
TYPED_LOCKFILE = "tests/typed_client/package-lock.json"
# Fails the first $FAIL_FIRST calls of each distinct command line, noting every call.
FAKE = """#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE_CALLS"
echo "${NODE_EXTRA_CA_CERTS:-none}" >> "$FAKE_CALLS.cas"
key="$FAKE_CALLS.$(echo "$(basename "$0") $*" | cksum | cut -d' ' -f1)"
echo x >> "$key"
[ "$(wc -l < "$key")" -gt "$FAIL_FIRST" ]
"""
SUDO = """#!/bin/sh
[ "$1" = -n ] && shift
exec "$@"
"""


def run_script(tmp_path: Path, *, fail_first: int, pause: float) -> tuple[str, list[str], float]:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, repo / "scripts" / SCRIPT.name)
    for lockfile in (*LOCKFILES, TYPED_LOCKFILE):
        (repo / lockfile).parent.mkdir(parents=True, exist_ok=True)
        (repo / lockfile).write_text("{}")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("npm", FAKE), ("apt-get", FAKE), ("sudo", SUDO)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    calls = tmp_path / "calls"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "CHROMIUM": str(tmp_path / "no-chromium"),
        "FAKE_CALLS": str(calls),
        "FAIL_FIRST": str(fail_first),
        "INSTALL_PAUSE": str(pause),
    }
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(repo / "scripts" / SCRIPT.name)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr, calls.read_text().splitlines(), time.monotonic() - started


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_each_install_is_tried_again_after_a_pause(tmp_path: Path) -> None:
    err, calls, seconds = run_script(tmp_path, fail_first=2, pause=0.2)
    commands = list(dict.fromkeys(calls))
    assert [c.split()[:2] for c in commands] == [
        ["apt-get", "update"],
        ["apt-get", "install"],
        ["npm", "ci"],
        ["npm", "ci"],
        ["npm", "ci"],
    ]
    # Each failed twice and got through on its third try.
    assert all(calls.count(command) == 3 for command in commands)
    assert "failed (try 2 of 3); trying again in 0.2 s" in err
    assert "could not install" not in err
    assert "npm ci failed" not in err
    assert seconds >= 10 * 0.2  # two pauses before each of the five successes


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_an_install_that_keeps_failing_is_reported_after_three_tries(tmp_path: Path) -> None:
    err, calls, _ = run_script(tmp_path, fail_first=3, pause=0)
    # apt-get update never got through, so chromium was not installed; each npm ci was
    # tried three times and reported; the script goes on and exits 0 (tests then skip).
    assert calls.count("apt-get update -qq") == 3
    assert not any(call.startswith("apt-get install") for call in calls)
    assert "install-test-peers: could not install chromium with apt-get" in err
    assert sum(call.startswith("npm ci") for call in calls) == 9
    assert err.count("npm ci failed") == 3


SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")


@pytest.mark.skipif(not SYSTEM_CAS.is_file(), reason="no system CA bundle here")
def test_npm_trusts_the_systems_certificate_authorities_too(tmp_path: Path) -> None:
    # Node.js trusts only its own CAs; where the machine trusts another one (a proxy that
    # re-signs TLS), npm fails with SELF_SIGNED_CERT_IN_CHAIN while curl works.
    run_script(tmp_path, fail_first=0, pause=0)
    seen = set((tmp_path / "calls.cas").read_text().splitlines())
    assert seen == {str(SYSTEM_CAS)}
