"""Time the conformance suite's default profile against the mock, and count what it sends.

    python bench/conformance_speed.py [--runs 1] [-- EXTRA CONFORMANCE ARGS]

Starts the mock on a free loopback port with its access log on (one JSON line per
request on stderr), runs ``python -m conformance --base-url URL --token TOKEN``, and
counts the requests the mock saw while the suite ran.
"""

from __future__ import annotations

import argparse
import json
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from textwrap import indent

from _servers import (
    HOST,
    ROOT,
    BenchError,
    Server,
    cpu_seconds,
    free_port,
    memory_mb,
    running,
    stop_on_sigterm,
)

DEFAULT_SPEC = ROOT / "openapi" / "api-keys.yaml"
LOG_FLUSH_S = 0.5
TAIL_LINES = 6


@dataclass(frozen=True)
class Run:
    """One run of the conformance suite, with what the mock saw of it."""

    exit_code: int
    tail: str
    wall_s: float
    client_cpu_s: float
    server_cpu_s: float
    requests: int
    statuses: Counter[int]
    peak_rss_mb: float

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1, help="runs, each on a fresh mock (1)")
    parser.add_argument("--token", default="bench-token", help="bearer token for the suite")
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the OpenAPI document")
    parser.add_argument(
        "--mock-args", default="", help='extra mock options, e.g. "--server granian"'
    )
    parser.add_argument(
        "--timeout", type=int, default=300, help="stop a run after this many seconds (300)"
    )
    parser.add_argument("conformance_args", nargs="*", help="passed on to python -m conformance")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 10 or not 1 <= args.timeout <= 1800:
        parser.error("keep --runs in 1..10 and --timeout in 1..1800")
    return args


def access_log_statuses(log: Path, offset: int) -> Counter[int]:
    """Statuses of the mock's JSON access-log lines written after byte ``offset``."""
    statuses: Counter[int] = Counter()
    with log.open("rb") as handle:
        handle.seek(offset)
        for raw in handle:
            line = raw.decode(errors="replace")
            start = line.find("{")
            if start < 0:
                continue
            try:
                record = json.loads(line[start:])
            except ValueError:
                continue
            if isinstance(record, dict) and "status" in record and "method" in record:
                statuses[int(record["status"])] += 1
    return statuses


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(server: Server, args: argparse.Namespace, output: Path) -> Run:
    command = [
        sys.executable, "-m", "conformance", "--base-url", server.url, "--token", args.token,
        *args.conformance_args,
    ]  # fmt: skip
    time.sleep(LOG_FLUSH_S)
    offset = server.log.stat().st_size
    server_cpu = cpu_seconds(server.pid)
    client_cpu = children_cpu_s()
    started = time.perf_counter()
    with output.open("wb") as sink:
        done = subprocess.run(
            command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, timeout=args.timeout
        )
    wall = time.perf_counter() - started
    client_cpu = children_cpu_s() - client_cpu
    server_cpu = cpu_seconds(server.pid) - server_cpu
    time.sleep(LOG_FLUSH_S)
    statuses = access_log_statuses(server.log, offset)
    return Run(
        exit_code=done.returncode,
        tail="\n".join(output.read_text(errors="replace").splitlines()[-TAIL_LINES:]),
        wall_s=wall,
        client_cpu_s=client_cpu,
        server_cpu_s=server_cpu,
        requests=sum(statuses.values()),
        statuses=statuses,
        peak_rss_mb=memory_mb(server.pid, "VmHWM"),
    )


def describe(run: Run) -> str:
    statuses = " ".join(f"{s}x{n}" for s, n in sorted(run.statuses.items()))
    per_request = run.server_cpu_s * 1e6 / run.requests if run.requests else 0.0
    return (
        f"exit {run.exit_code}  wall {run.wall_s:6.2f} s  {run.requests} requests  "
        f"{run.rps:7.1f} req/s  client CPU {run.client_cpu_s:5.2f} s  "
        f"mock CPU {run.server_cpu_s:5.2f} s ({per_request:.0f} us/req)  "
        f"mock peak RSS {run.peak_rss_mb:.0f} MB\n    statuses {statuses}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    extra = " ".join(shlex.quote(a) for a in args.conformance_args)
    print(f"suite: python -m conformance --base-url URL --token {args.token} {extra}".rstrip())
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            for number in range(1, args.runs + 1):
                port = free_port()
                command = [
                    sys.executable, "-m", "mock_server", "--host", HOST, "--port", str(port),
                    "--spec", str(args.spec.resolve()), "--log-level", "info",
                    *shlex.split(args.mock_args),
                ]  # fmt: skip
                log = Path(folder) / f"mock-{number}.log"
                with running("mock", command, port=port, log=log) as server:
                    run = run_suite(server, args, Path(folder) / f"suite-{number}.txt")
                runs.append(run)
                print(f"  run {number}: {describe(run)}", flush=True)
                print("    the suite's last lines:\n" + indent(run.tail, "      "), flush=True)
    except subprocess.TimeoutExpired:
        print(f"the suite ran longer than {args.timeout} s and was stopped", file=sys.stderr)
        return 1
    except (BenchError, subprocess.SubprocessError, OSError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the mock was stopped", file=sys.stderr)
        return 130
    if not any(run.requests for run in runs):
        print("the mock logged no requests: is its access log on at --log-level info?")
    print(
        f"\nconformance default profile against the mock (median of {len(runs)}): "
        f"{statistics.median(r.wall_s for r in runs):.2f} s wall, "
        f"{statistics.median(r.requests for r in runs):.0f} requests, "
        f"{statistics.median(r.rps for r in runs):.1f} requests/s sent"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
