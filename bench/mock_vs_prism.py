"""Load Prism, the project's mock and the bare-Starlette floor with wrk, one at a time.

    python bench/mock_vs_prism.py [--duration 10] [--rounds 2]

Every server listens on a free port on 127.0.0.1 and is stopped before the next one
starts. Rounds interleave the servers (the order rotates each round) because absolute
figures drift on a shared machine; only ratios from one run are comparable. Prism is
installed with npm into bench/.prism/ on first use. Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import _docs
from _docs import Table
from _report import (
    KINDS,
    Load,
    loads_table,
    medians_table,
    progress_line,
    summarise,
    targets_tables,
)
from _servers import (
    HOST,
    INVALID_BODY,
    ROOT,
    VALID_BODY,
    BenchError,
    Server,
    cpu_seconds,
    free_port,
    memory_mb,
    post,
    running,
    stop_on_sigterm,
)
from _wrk import write_script, wrk

PRISM_DIR = ROOT / "bench" / ".prism"
PRISM_BIN = PRISM_DIR / "node_modules" / ".bin" / "prism"
DEFAULT_SPEC = ROOT / "openapi" / "api-keys.yaml"
BODIES = {"valid": VALID_BODY, "invalid": INVALID_BODY}
# The mock row is the mock as the README starts it (request log on); this second row
# silences the log, so one run shows what the log costs.
QUIET_VARIANT = "quiet=--log-level warning"


@dataclass(frozen=True)
class Contender:
    """A server to load: how to start it and which status each kind of request must get."""

    name: str
    command: Callable[[int], list[str]]
    expected: dict[str, int]
    start_timeout: float = 60.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per load (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of unmeasured load before each (default 2)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument(
        "--servers",
        default="prism,mock,floor",
        help="comma-separated subset of prism,mock,floor (default all three)",
    )
    parser.add_argument(
        "--mock-variant",
        action="append",
        default=[],
        metavar="LABEL=ARGS",
        help="also load the mock started with extra ARGS, shown as mock-LABEL "
        '(e.g. workers2="--workers 2"); repeatable. mock-quiet '
        f"({QUIET_VARIANT.partition('=')[2]}) is always loaded with the mock",
    )
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the OpenAPI document")
    parser.add_argument(
        "--prism-version", default="5", help="npm version range of @stoplight/prism-cli"
    )
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    _docs.add_option(parser, __file__)
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 120 or not 1 <= args.rounds <= 10 or not 0 <= args.warmup <= 30:
        parser.error("keep --duration in 1..120, --rounds in 1..10 and --warmup in 0..30")
    unknown = set(args.servers.split(",")) - {"prism", "mock", "floor"}
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    return args


def ensure_prism(version: str) -> str:
    """Install Prism into bench/.prism/ unless it is there; return its version."""
    if not PRISM_BIN.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise BenchError("Prism needs npm (Debian: apt-get install npm)")
        print(f"installing @stoplight/prism-cli@{version} into {PRISM_DIR} ...", flush=True)
        PRISM_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund",
             f"@stoplight/prism-cli@{version}"],
            check=True,
            timeout=600,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    found = subprocess.run(
        [str(PRISM_BIN), "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    return found.stdout.strip()


def contenders(args: argparse.Namespace) -> list[Contender]:
    spec = str(args.spec.resolve())
    python = sys.executable
    strict = {"valid": 201, "invalid": 400}

    def prism(port: int) -> list[str]:
        return [str(PRISM_BIN), "mock", "-h", HOST, "-p", str(port), spec]

    # As the README starts it (`python -m mock_server`), on a free port: default options,
    # the request log on. --spec only when the benchmark is given another contract.
    own_spec = [] if args.spec.resolve() == DEFAULT_SPEC.resolve() else ["--spec", spec]

    def mock(extra: Sequence[str]) -> Callable[[int], list[str]]:
        def command(port: int) -> list[str]:
            return [python, "-m", "mock_server", "--port", str(port), *own_spec, *extra]

        return command

    def floor(port: int) -> list[str]:
        return [python, "-m", "uvicorn", "bench.floor_app:app", "--host", HOST,
                "--port", str(port), "--http", "httptools", "--loop", "uvloop",
                "--no-access-log", "--log-level", "warning"]  # fmt: skip

    wanted = args.servers.split(",")
    found: list[Contender] = []
    if "prism" in wanted:
        found.append(Contender("prism", prism, strict))
    if "mock" in wanted:
        found.append(Contender("mock", mock(()), strict))
    variants = [QUIET_VARIANT, *args.mock_variant] if "mock" in wanted else args.mock_variant
    for variant in variants:
        label, _, extra = variant.partition("=")
        found.append(Contender(f"mock-{label}", mock(shlex.split(extra)), strict))
    if "floor" in wanted:
        # The floor does not validate: it answers the invalid body with its fixed 201.
        found.append(Contender("floor", floor, {"valid": 201, "invalid": 201}))
    return found


def measure(
    server: Server,
    contender: Contender,
    kind: str,
    round_no: int,
    script: Path,
    args: argparse.Namespace,
) -> Load:
    if args.warmup:
        wrk(server.url, script, args.warmup, threads=args.threads, connections=args.connections)
    rss_before = memory_mb(server.pid, "VmRSS")
    cpu_before = cpu_seconds(server.pid)
    result = wrk(
        server.url, script, args.duration, threads=args.threads, connections=args.connections
    )
    cpu = cpu_seconds(server.pid) - cpu_before
    requests = int(str(result["requests"]))
    statuses = result["statuses"]
    assert isinstance(statuses, dict)
    return Load(
        server=contender.name,
        kind=kind,
        round=round_no,
        requests=requests,
        seconds=int(str(result["duration_us"])) / 1e6,
        p50_ms=int(str(result["p50_us"])) / 1000,
        p99_ms=int(str(result["p99_us"])) / 1000,
        socket_errors=int(str(result["socket_errors"])),
        statuses={int(status): int(n) for status, n in statuses.items()},
        expected=contender.expected[kind],
        cpu_us_per_request=cpu * 1e6 / requests if requests else float("inf"),
        rss_before_mb=rss_before,
        rss_after_mb=memory_mb(server.pid, "VmRSS"),
    )


def write_scripts(folder: Path, token: str) -> dict[str, Path]:
    scripts = {}
    for kind in KINDS:
        scripts[kind] = write_script(folder / f"post_{kind}.lua", BODIES[kind], token)
    return scripts


def run_rounds(
    args: argparse.Namespace, servers: list[Contender], folder: Path
) -> tuple[list[Load], dict[str, str]]:
    scripts = write_scripts(folder, "any-token")
    loads: list[Load] = []
    answers: dict[str, str] = {}
    for round_no in range(1, args.rounds + 1):
        shift = (round_no - 1) % len(servers)
        for contender in servers[shift:] + servers[:shift]:
            port = free_port()
            log = folder / f"{contender.name}-{round_no}.log"
            command = contender.command(port)
            with running(
                contender.name, command, port=port, log=log, start_timeout=contender.start_timeout
            ) as server:
                answers[contender.name] = describe_answers(port)
                measured = [
                    measure(server, contender, kind, round_no, scripts[kind], args)
                    for kind in KINDS
                ]
                peak = memory_mb(server.pid, "VmHWM")
            for load in (replace(m, peak_rss_mb=peak) for m in measured):
                loads.append(load)
                print(progress_line(load), flush=True)
    return loads, answers


def describe_answers(port: int) -> str:
    """What the server answers, and whether ids and secrets are fresh on every call."""
    statuses = ", ".join(f"{kind} -> {post(port, BODIES[kind]).status}" for kind in KINDS)
    first, second = post(port, VALID_BODY), post(port, VALID_BODY)
    fresh_id = first.request_id is not None and first.request_id != second.request_id
    fresh_secret = secret(first.body) is not None and secret(first.body) != secret(second.body)
    return (
        f"{statuses}; fresh X-Request-Id per request: {'yes' if fresh_id else 'no'}, "
        f"fresh clientSecret: {'yes' if fresh_secret else 'no'}"
    )


def secret(body: bytes) -> object:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document.get("clientSecret") if isinstance(document, dict) else None


def setup_table(args: argparse.Namespace, servers: list[Contender], prism: str | None) -> Table:
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    per_server = len(KINDS) * (args.warmup + args.duration) + 3
    estimate = args.rounds * len(servers) * per_server
    rows = [
        ("mock", _docs.source_version()),
        ("wrk", (wrk_version.stdout or wrk_version.stderr).splitlines()[0]),
    ]
    if prism:
        rows.append(("prism", f"@stoplight/prism-cli {prism}, node {node_version()}"))
    rows.append((
        "load",
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"{args.warmup} s warm-up each, {args.rounds} rounds, servers "
        f"{', '.join(c.name for c in servers)}; about {estimate} s",
    ))  # fmt: skip
    return Table("setup", "what was loaded, and how", ("item", "value"), tuple(rows))


def node_version() -> str:
    found = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return found.stdout.strip()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    try:
        prism = ensure_prism(args.prism_version) if "prism" in args.servers.split(",") else None
        servers = contenders(args)
        setup = setup_table(args, servers, prism)
        print(f"machine: {_docs.machine()}")
        for what, value in setup.rows:
            print(f"{what}: {value}")
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            loads, answers = run_rounds(args, servers, Path(folder))
    except (BenchError, subprocess.SubprocessError, OSError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; every server started was stopped", file=sys.stderr)
        return 130
    summaries = summarise(loads)
    expected = {contender.name: contender.expected for contender in servers}
    answered = Table("answers", "what each server answers", ("server", "answers"),
                     tuple(answers.items()))  # fmt: skip
    tables = [answered, medians_table(summaries, expected), *targets_tables(summaries, expected)]
    for table in tables:
        print(f"\n{table.text()}")
    if args.json:
        args.json.write_text(json.dumps([asdict(load) for load in loads], indent=2))
    _docs.write(args.write_docs, __file__, argv, [setup, loads_table(loads), *tables])
    return 0


if __name__ == "__main__":
    sys.exit(main())
