"""What the validation proxy and the request journal cost, as ratios from one run.

    python bench/live_overhead.py [--duration 5] [--rounds 3] [--connections 32]

1. The proxy's overhead per request: the mock (journal off) is the upstream; wrk loads it
   directly and through ``python -m mock_server --proxy URL``, with one connection (the
   latency a request pays: the difference of the mean latencies) and with many (the
   throughput ratio).
2. The journal's cost: the mock with its journal on (the default) and off
   (``--no-journal``), valid and invalid bodies; the target is at most 10% of throughput.

Every server listens on a free port on 127.0.0.1 and is stopped at the end (also on Ctrl-C).
Rounds interleave the servers because absolute figures drift on a shared machine; only the
ratios of one run are comparable. The journal's two servers of a row are loaded back to
back as A B B A (which one is A alternates), one cost is taken per round, and the median
of the rounds is judged (a single round on this 2-core machine can land several points
either side of it). Request logs are off (``--log-level warning``) except in
the second pair of journal rows, which run the mock as the README starts it (request log on,
into a file). Needs wrk.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import _docs
from _docs import Table
from _servers import (
    HOST,
    INVALID_BODY,
    VALID_BODY,
    BenchError,
    Server,
    cpu_seconds,
    free_port,
    post,
    running,
    stop_on_sigterm,
)
from _wrk import write_script, wrk

TOKEN = "bench-token"
JOURNAL_TARGET = 0.10


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per load (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured seconds before each")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    _docs.add_option(parser, __file__)
    return parser.parse_args(argv)


def mock_command(port: int, *extra: str) -> list[str]:
    level = [] if "--log-level" in extra else ["--log-level", "warning"]
    return [
        sys.executable, "-m", "mock_server", "--host", HOST, "--port", str(port),
        *level, *extra,
    ]  # fmt: skip


class Bench:
    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.scripts = {}
        for kind, body in (("valid", VALID_BODY), ("invalid", INVALID_BODY)):
            script = folder / f"{kind}.lua"
            self.scripts[kind] = write_script(script, body, TOKEN)
        self.results: dict[tuple[str, str, int], list[dict[str, object]]] = {}

    def load(self, server: Server, kind: str, connections: int, expected: int) -> None:
        args = self.args
        script = self.scripts[kind]
        if args.warmup:
            wrk(server.url, script, args.warmup, threads=args.threads, connections=connections)
        cpu_before = cpu_seconds(server.pid)
        result = wrk(
            server.url, script, args.duration, threads=args.threads, connections=connections
        )
        cpu = cpu_seconds(server.pid) - cpu_before
        statuses = result["statuses"]
        assert isinstance(statuses, dict)
        wrong = {s: n for s, n in statuses.items() if int(s) != expected}
        if wrong or result["socket_errors"]:
            raise BenchError(
                f"{server.name} {kind}: expected only {expected}, got {statuses}, "
                f"{result['socket_errors']} socket errors"
            )
        requests = int(str(result["requests"]))
        rps = requests / (int(str(result["duration_us"])) / 1e6)
        result["rps"] = rps
        result["cpu_us"] = cpu / requests * 1e6
        self.results.setdefault((server.name, kind, connections), []).append(result)
        print(
            f"  {server.name:<18} {kind:<8} c={connections:<3} {rps:>9.0f} req/s  "
            f"mean {float(str(result['mean_us'])):>8.0f} us  p99 {result['p99_us']} us  "
            f"server CPU {result['cpu_us']:.0f} us/req",
            flush=True,
        )

    def median(self, name: str, kind: str, connections: int, field: str) -> float:
        runs = self.results[(name, kind, connections)]
        return statistics.median(float(str(run[field])) for run in runs)


@contextlib.contextmanager
def mock(name: str, folder: Path, *extra: str) -> Iterator[Server]:
    port = free_port()
    with running(name, mock_command(port, *extra), port=port, log=folder / f"{name}.log") as s:
        yield s


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 1
    stop_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="live-bench-") as tmp:
        folder = Path(tmp)
        bench = Bench(args, folder)
        c, one = args.connections, 1
        try:
            with (
                mock("upstream", folder, "--no-journal") as upstream,
                mock("proxy", folder, "--proxy", upstream.url) as proxy,
            ):
                answer = post(proxy.port, VALID_BODY, token=TOKEN)
                if answer.status != 201 or answer.request_id is None:
                    raise BenchError(f"the proxy answered {answer}")
                print("1. the proxy in front of the mock (journal off upstream)")
                for round_no in range(args.rounds):
                    order = [upstream, proxy] if round_no % 2 == 0 else [proxy, upstream]
                    for server in order:
                        bench.load(server, "valid", one, 201)
                        bench.load(server, "valid", c, 201)
            print("2. the mock with its journal on and off, request log off and on")
            info = ("--log-level", "info")
            with (
                mock("journal-on", folder) as on,
                mock("journal-off", folder, "--no-journal") as off,
                mock("journal-on+log", folder, *info) as on_log,
                mock("journal-off+log", folder, "--no-journal", *info) as off_log,
            ):
                for round_no in range(args.rounds):
                    # Each pair loaded back to back as A B B A, A and B swapped every
                    # round: drift, and whatever the load before leaves behind, fall on
                    # both sides of a ratio alike.
                    for kind, status in (("valid", 201), ("invalid", 400)):
                        for pair in ((on, off), (on_log, off_log)):
                            first, second = pair if round_no % 2 == 0 else pair[::-1]
                            for server in (first, second, second, first):
                                bench.load(server, kind, c, status)
        except (BenchError, KeyboardInterrupt, subprocess.TimeoutExpired) as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
    tables = [proxy_table(bench, args), journal_table(bench, args)]
    for table in tables:
        print(f"\n{table.text()}")
    _docs.write(args.write_docs, __file__, argv, tables)
    return 0


def proxy_table(bench: Bench, args: argparse.Namespace) -> Table:
    c = args.connections
    m = bench.median
    direct, proxied = m("upstream", "valid", 1, "mean_us"), m("proxy", "valid", 1, "mean_us")
    rps_direct, rps_proxied = m("upstream", "valid", c, "rps"), m("proxy", "valid", c, "rps")
    cpu_direct, cpu_proxied = m("upstream", "valid", c, "cpu_us"), m("proxy", "valid", c, "cpu_us")
    rows = (
        ("mean latency, 1 connection, us", f"{direct:.0f}", f"{proxied:.0f}",
         f"{proxied - direct:+.0f}", f"{proxied / direct:.2f}x"),
        (f"throughput, {c} connections, req/s", f"{rps_direct:,.0f}", f"{rps_proxied:,.0f}",
         f"{rps_proxied - rps_direct:+,.0f}", f"{rps_proxied / rps_direct:.2f}x"),
        (f"server CPU per request, {c} connections, us", f"{cpu_direct:.0f}",
         f"{cpu_proxied:.0f}", f"{cpu_proxied - cpu_direct:+.0f}",
         f"{cpu_proxied / cpu_direct:.2f}x"),
    )  # fmt: skip
    columns = ("valid bodies", "direct", "through the proxy", "difference", "proxy / direct")
    title = f"the proxy in front of the mock, medians of {args.rounds} rounds of {args.duration} s"
    return Table("proxy", title, columns, rows)


def journal_table(bench: Bench, args: argparse.Namespace) -> Table:
    c = args.connections
    m = bench.median
    rows = []
    for log in ("", "+log"):
        for kind in ("valid", "invalid"):
            on, off = m(f"journal-on{log}", kind, c, "rps"), m(f"journal-off{log}", kind, c, "rps")
            cpu_on = m(f"journal-on{log}", kind, c, "cpu_us")
            cpu_off = m(f"journal-off{log}", kind, c, "cpu_us")
            # CPU per request is what the journal adds; it is steadier than req/s on a
            # shared machine, and 1 / (CPU per request) is a saturated server's throughput.
            # One cost per round, from its A B B A loads; their median is judged.
            costs = sorted(
                1 - off_cpu / on_cpu
                for on_cpu, off_cpu in zip(
                    round_sums(bench.results[(f"journal-on{log}", kind, c)]),
                    round_sums(bench.results[(f"journal-off{log}", kind, c)]),
                    strict=True,
                )
            )
            cost = statistics.median(costs)
            rows.append((
                "on" if log else "off", kind, f"{on:,.0f}", f"{off:,.0f}", f"{on / off:.3f}",
                f"{cpu_on:.1f}", f"{cpu_off:.1f}", f"{cost:.1%}",
                f"{costs[0]:.1%} to {costs[-1]:.1%}", f"<= {JOURNAL_TARGET:.0%}",
                "ok" if cost <= JOURNAL_TARGET else "OVER TARGET",
            ))  # fmt: skip
    columns = (
        "request log", "bodies", "req/s journal on", "req/s off", "on / off",
        "CPU us/req on", "CPU us/req off", "throughput cost", "rounds", "target", "verdict",
    )  # fmt: skip
    title = (
        f"the journal's cost, {c} connections, medians of {args.rounds} rounds of "
        f"{args.duration} s (the cost from CPU per request, one per round)"
    )
    return Table("journal", title, columns, tuple(rows))


def round_sums(runs: list[dict[str, object]]) -> list[float]:
    """CPU per request of a server's two loads in each round, summed."""
    cpu = [float(str(run["cpu_us"])) for run in runs]
    return [cpu[i] + cpu[i + 1] for i in range(0, len(cpu), 2)]


if __name__ == "__main__":
    sys.exit(main())
