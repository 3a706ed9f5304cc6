"""The conformance harness's speed against the mock, next to Schemathesis's, in one run.

    python bench/conformance_speed.py [--runs 1] [-- EXTRA CONFORMANCE ARGS]

Starts the mock on a free loopback port with its request log on (one JSON line per
request on stderr) and a strict token policy (only TOKEN may create keys, so that
Schemathesis's ``ignored_auth`` check applies, as in tests/test_schemathesis_mock.py).
Against that one mock it runs ``python -m conformance --base-url URL --token TOKEN``, then
``schemathesis run SPEC --checks all --header "Authorization: Bearer TOKEN" --url URL``,
counts the requests the mock logged while each ran, and prints requests per second and
the CPU each tool spent per request, and the harness's figures as ratios of Schemathesis's.
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

import _docs
from _docs import Table
from _report import statuses_text
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
    """One run of a tool against the mock, with what the mock saw of it."""

    tool: str
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

    @property
    def client_ms_per_request(self) -> float:
        return self.client_cpu_s * 1e3 / self.requests if self.requests else float("inf")

    @property
    def mock_us_per_request(self) -> float:
        return self.server_cpu_s * 1e6 / self.requests if self.requests else float("inf")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1, help="runs, each on a fresh mock (1)")
    parser.add_argument("--token", default="bench-token", help="bearer token for both tools")
    parser.add_argument(
        "--schemathesis-examples",
        type=int,
        default=100,
        help="Schemathesis --max-examples (100); 0 skips Schemathesis",
    )
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the OpenAPI document")
    parser.add_argument(
        "--mock-args", default="", help='extra mock options, e.g. "--server granian"'
    )
    parser.add_argument(
        "--timeout", type=int, default=300, help="stop a run after this many seconds (300)"
    )
    _docs.add_option(parser, __file__)
    parser.add_argument("conformance_args", nargs="*", help="passed on to python -m conformance")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 10 or not 1 <= args.timeout <= 1800:
        parser.error("keep --runs in 1..10 and --timeout in 1..1800")
    if not 0 <= args.schemathesis_examples <= 10_000:
        parser.error("keep --schemathesis-examples in 0..10000")
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


def harness_command(url: str, args: argparse.Namespace) -> list[str]:
    return [
        sys.executable, "-m", "conformance", "--base-url", url, "--token", args.token,
        "--quiet", *args.conformance_args,
    ]  # fmt: skip


def schemathesis_command(url: str, args: argparse.Namespace) -> list[str]:
    return [
        sys.executable, "-m", "schemathesis.cli", "run", str(args.spec.resolve()),
        "--checks", "all", "--header", f"Authorization: Bearer {args.token}",
        "--max-examples", str(args.schemathesis_examples), "--generation-deterministic",
        "--workers", "1", "--request-timeout", "10", "--no-color", "--url", url,
    ]  # fmt: skip


def run_tool(
    tool: str, command: list[str], server: Server, args: argparse.Namespace, folder: Path
) -> Run:
    # Schemathesis keeps its replay files in ./.schemathesis: run it outside the checkout.
    cwd = folder if tool == "schemathesis" else ROOT
    time.sleep(LOG_FLUSH_S)
    offset = server.log.stat().st_size
    server_cpu = cpu_seconds(server.pid)
    client_cpu = children_cpu_s()
    output = folder / f"{tool}.txt"
    started = time.perf_counter()
    with output.open("wb") as sink:
        done = subprocess.run(
            command, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, timeout=args.timeout
        )
    wall = time.perf_counter() - started
    client_cpu = children_cpu_s() - client_cpu
    server_cpu = cpu_seconds(server.pid) - server_cpu
    time.sleep(LOG_FLUSH_S)
    statuses = access_log_statuses(server.log, offset)
    return Run(
        tool=tool,
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
    statuses = statuses_text(run.statuses)
    return (
        f"{run.tool:<13} exit {run.exit_code}  wall {run.wall_s:6.2f} s  {run.requests} requests  "
        f"{run.rps:7.1f} req/s  client CPU {run.client_cpu_s:5.2f} s "
        f"({run.client_ms_per_request:.1f} ms/req)  mock CPU {run.server_cpu_s:5.2f} s "
        f"({run.mock_us_per_request:.0f} us/req)  mock peak RSS {run.peak_rss_mb:.0f} MB\n"
        f"    statuses {statuses}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    setup = setup_table(args)
    for tool, shown in setup.rows:
        print(f"{tool}: {shown}")
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as name:
            folder = Path(name)
            policy = folder / "tokens.yaml"
            policy.write_text(f"unknown: reject\nallow: [{args.token}]\n", encoding="utf-8")
            for number in range(1, args.runs + 1):
                port = free_port()
                command = [
                    sys.executable, "-m", "mock_server", "--host", HOST, "--port", str(port),
                    "--spec", str(args.spec.resolve()), "--tokens", str(policy),
                    "--log-level", "info", *shlex.split(args.mock_args),
                ]  # fmt: skip
                log = folder / f"mock-{number}.log"
                with running("mock", command, port=port, log=log) as server:
                    tools = [("harness", harness_command(server.url, args))]
                    if args.schemathesis_examples:
                        tools.append(("schemathesis", schemathesis_command(server.url, args)))
                    for tool, tool_command in tools:
                        run = run_tool(tool, tool_command, server, args, folder)
                        runs.append(run)
                        print(f"  run {number}: {describe(run)}", flush=True)
                        print(
                            f"    {tool}'s last lines:\n" + indent(run.tail, "      "), flush=True
                        )
    except subprocess.TimeoutExpired:
        print(f"a tool ran longer than {args.timeout} s and was stopped", file=sys.stderr)
        return 1
    except (BenchError, subprocess.SubprocessError, OSError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the mock was stopped", file=sys.stderr)
        return 130
    if not any(run.requests for run in runs):
        print("the mock logged no requests: is its request log on at --log-level info?")
    tables = [summary_table(runs), *ratios_table(runs)]
    for table in tables:
        print(f"\n{table.text()}")
    _docs.write(args.write_docs, __file__, argv, [setup, runs_table(runs), *tables])
    return 0


def setup_table(args: argparse.Namespace) -> Table:
    """The commands run, as typed from the checkout (URL: the mock's, on a free port)."""

    spec = args.spec.resolve()
    short = {
        sys.executable: "python",
        str(spec): str(spec.relative_to(ROOT)) if spec.is_relative_to(ROOT) else str(spec),
    }

    def shown(command: list[str]) -> str:
        return shlex.join(short.get(part, part) for part in command)

    rows = [("harness", shown(harness_command("URL", args)))]
    if args.schemathesis_examples:
        rows.append(("schemathesis", shown(schemathesis_command("URL", args))))
    mock = ["python", "-m", "mock_server", "--tokens", "POLICY", "--log-level", "info",
            *shlex.split(args.mock_args)]  # fmt: skip
    policy = f"unknown: reject, allow: [{args.token}]"
    rows.append(("mock", f"{shlex.join(mock)} (POLICY: {policy})"))
    return Table("setup", "the commands", ("tool", "command"), tuple(rows))


RUN_COLUMNS = (
    "run", "tool", "exit", "wall s", "requests", "req/s", "client CPU s", "client CPU ms/req",
    "mock CPU s", "mock CPU us/req", "mock peak RSS MB", "statuses",
)  # fmt: skip


def runs_table(runs: list[Run]) -> Table:
    tools = len(dict.fromkeys(run.tool for run in runs))
    rows = tuple(
        (
            str(index // tools + 1), run.tool, str(run.exit_code), f"{run.wall_s:.2f}",
            str(run.requests), f"{run.rps:.1f}", f"{run.client_cpu_s:.2f}",
            f"{run.client_ms_per_request:.1f}", f"{run.server_cpu_s:.2f}",
            f"{run.mock_us_per_request:.0f}", f"{run.peak_rss_mb:.0f}",
            statuses_text(run.statuses),
        )
        for index, run in enumerate(runs)
    )  # fmt: skip
    return Table("runs", "every run", RUN_COLUMNS, rows)


def medians(runs: list[Run]) -> dict[str, tuple[float, float]]:
    """Each tool's median requests per second and client CPU ms per request."""
    found = {}
    for tool in dict.fromkeys(run.tool for run in runs):
        mine = [run for run in runs if run.tool == tool]
        rps = statistics.median(run.rps for run in mine)
        found[tool] = (rps, statistics.median(run.client_ms_per_request for run in mine))
    return found


def summary_table(runs: list[Run]) -> Table:
    rows = []
    for tool, (rps, client) in medians(runs).items():
        mine = [run for run in runs if run.tool == tool]
        rows.append((
            tool, str(len(mine)), f"{statistics.median(r.requests for r in mine):.0f}",
            f"{statistics.median(r.wall_s for r in mine):.2f}", f"{rps:.1f}", f"{client:.1f}",
            f"{statistics.median(r.mock_us_per_request for r in mine):.0f}",
        ))  # fmt: skip
    columns = ("tool", "runs", "requests", "wall s", "req/s", "client CPU ms/req",
               "mock CPU us/req")  # fmt: skip
    return Table("medians", "medians over the runs", columns, tuple(rows))


def ratios_table(runs: list[Run]) -> list[Table]:
    """The harness against Schemathesis --checks all, when both ran."""
    found = medians(runs)
    if "harness" not in found or "schemathesis" not in found:
        return []
    (h_rps, h_cpu), (s_rps, s_cpu) = found["harness"], found["schemathesis"]
    rows = (
        ("requests per second", f"{h_rps / s_rps:.2f}x"),
        ("client CPU per request", f"{h_cpu / s_cpu:.2f}x"),
    )
    title = "the harness against Schemathesis --checks all, from this run's medians"
    return [Table("ratios", title, ("figure", "harness / schemathesis"), rows)]


if __name__ == "__main__":
    sys.exit(main())
