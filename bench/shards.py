"""A thorough run on one job, and the same run as N shards side by side, then merged.

    python bench/shards.py [--shards 4] [--profile thorough] [--seed 0] [--write-docs]

Starts the mock on a free loopback port and runs ``python -m conformance`` against it:
once as one job, then as ``--shard 1/N`` ... ``N/N`` started together, and
``python -m conformance merge`` over the shards' JSON reports. Prints the wall time of
each, the requests sent, each verdict, and the ratio one job / N shards. The shards share
this machine's cores (and the one mock): on N runners each would have its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import _docs
from _docs import Table
from _servers import HOST, ROOT, BenchError, free_port, running, stop_on_sigterm

TOKEN = "bench-token"


@dataclass(frozen=True)
class Timed:
    what: str
    wall_s: float
    requests: int
    exit_codes: tuple[int, ...]
    conforms: bool


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shards", type=int, default=4, help="shards side by side (4)")
    parser.add_argument("--profile", default="thorough", help="the runs' profile (thorough)")
    parser.add_argument("--seed", type=int, default=0, help="the runs' seed (0)")
    parser.add_argument("--timeout", type=int, default=900, help="stop a run after N s (900)")
    _docs.add_option(parser, __file__)
    args = parser.parse_args(argv)
    if not 2 <= args.shards <= 16 or not 1 <= args.timeout <= 3600:
        parser.error("keep --shards in 2..16 and --timeout in 1..3600")
    return args


def harness(url: str, args: argparse.Namespace, *more: str) -> list[str]:
    return [
        sys.executable, "-m", "conformance", "--base-url", url, "--token", TOKEN,
        "--no-unknown-token-check", "--profile", args.profile, "--seed", str(args.seed),
        "--quiet", *more,
    ]  # fmt: skip


def started(command: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def requests_in(path: Path) -> tuple[int, bool]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return int(data["requests"]), bool(data["conforms"])


def one_job(url: str, args: argparse.Namespace, folder: Path) -> Timed:
    report = folder / "whole.json"
    begin = time.perf_counter()
    code = started(harness(url, args, "--report-json", str(report))).wait(args.timeout)
    wall = time.perf_counter() - begin
    return Timed("one job", wall, *_tail(report, (code,)))


def _tail(report: Path, codes: tuple[int, ...]) -> tuple[int, tuple[int, ...], bool]:
    requests, conforms = requests_in(report)
    return requests, codes, conforms


def sharded(url: str, args: argparse.Namespace, folder: Path) -> Timed:
    reports = [folder / f"shard-{i}.json" for i in range(1, args.shards + 1)]
    begin = time.perf_counter()
    processes = [
        started(harness(url, args, "--shard", f"{i}/{args.shards}", "--report-json", str(r)))
        for i, r in enumerate(reports, 1)
    ]
    codes = tuple(p.wait(args.timeout) for p in processes)
    wall = time.perf_counter() - begin
    merged = folder / "merged.json"
    merge = [sys.executable, "-m", "conformance", "merge", *map(str, reports)]
    code = started([*merge, "--report-json", str(merged)]).wait(args.timeout)
    return Timed(f"{args.shards} shards side by side", wall, *_tail(merged, (*codes, code)))


def runs_table(runs: Sequence[Timed]) -> Table:
    rows = tuple(
        (
            run.what,
            f"{run.wall_s:.1f}",
            f"{run.requests:,}",
            " ".join(map(str, run.exit_codes)),
            "conforms" if run.conforms else "violations",
        )
        for run in runs
    )
    return Table(
        "runs",
        "Wall time of the run against the mock (the shards: until the last one ended)",
        ("run", "wall s", "requests", "exit codes", "verdict"),
        rows,
    )


def ratio_table(runs: Sequence[Timed], shards: int) -> Table:
    whole, split = runs
    ratio = whole.wall_s / split.wall_s if split.wall_s else 0.0
    return Table(
        "ratio",
        f"One job's wall time over {shards} shards' on this machine ({os.cpu_count()} cores)",
        ("ratio", "one job / shards"),
        (("wall time", f"{ratio:.2f}x"),),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as name:
            folder = Path(name)
            port = free_port()
            command = [sys.executable, "-m", "mock_server", "--host", HOST, "--port", str(port)]
            with running("mock", command, port=port, log=folder / "mock.log") as server:
                runs = [one_job(server.url, args, folder)]
                print(f"{runs[0].what}: {runs[0].wall_s:.1f} s", flush=True)
                runs.append(sharded(server.url, args, folder))
                print(f"{runs[1].what}: {runs[1].wall_s:.1f} s", flush=True)
    except subprocess.TimeoutExpired:
        print(f"a run took longer than {args.timeout} s and was stopped", file=sys.stderr)
        return 1
    except (BenchError, subprocess.SubprocessError, OSError, ValueError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    tables = [runs_table(runs), ratio_table(runs, args.shards)]
    for table in tables:
        print(f"\n{table.text()}")
    _docs.write(args.write_docs, __file__, argv, tables)
    return 0


if __name__ == "__main__":
    sys.exit(main())
