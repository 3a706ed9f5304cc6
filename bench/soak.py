"""Hold many connections against one mock process and check what it promises under load.

    python bench/soak.py [--connections 64] [--duration 30] [--warmup 3]

Phase 1 mixes valid, invalid, unauthenticated, forbidden, malformed and Prefer-forced
requests on every connection and checks: no transport error, every status the one its
request calls for, every X-Request-Id unique, resident memory at the end within 10% of
memory after warm-up. Phase 2 sends SIGTERM while requests are in flight (the mock delays
each response) and checks that every in-flight request still gets its whole response and
that the mock exits 0. Prints the figures; exits 0 when every guarantee holds, else 1.
Traffic goes to 127.0.0.1 only; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from _servers import HOST, Server, free_port, memory_mb, running

BODY_VALID = b'{"name":"soak-key"}'


def _request(body: bytes, headers: dict[str, str]) -> bytes:
    lines = ["POST /api-keys HTTP/1.1", f"Host: {HOST}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


JSON = {"Content-Type": "application/json"}
AUTH = {"Authorization": "Bearer soak-token", **JSON}
# (kind, raw request, the status the contract calls for)
MIX: list[tuple[str, bytes, int]] = [
    ("valid", _request(BODY_VALID, AUTH), 201),
    ("invalid", _request(b'{"name":"   "}', AUTH), 400),
    ("unauthenticated", _request(BODY_VALID, JSON), 401),
    ("forbidden", _request(BODY_VALID, {**JSON, "Authorization": "Bearer readonly-token"}), 403),
    ("malformed", _request(b'{"name":', AUTH), 400),
    ("forced-500", _request(BODY_VALID, {**AUTH, "Prefer": "code=500"}), 500),
    ("forced-401", _request(b"", {"Prefer": "code=401"}), 401),
]


@dataclass
class Tally:
    sent: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    wrong_status: dict[str, int] = field(default_factory=dict)
    transport_errors: int = 0
    cut_responses: int = 0
    refused_after_stop: int = 0
    ids: set[bytes] = field(default_factory=set)
    duplicate_ids: int = 0
    missing_ids: int = 0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes | None]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    await reader.readexactly(length)
    found = re.search(rb"(?i)\r\nx-request-id: *([^\r]+)", head)
    return status, found.group(1) if found else None


async def _connection(
    port: int, index: int, deadline: float, tally: Tally, stopping: asyncio.Event
) -> None:
    turn = index
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            if stopping.is_set():
                tally.refused_after_stop += 1
                return
            tally.transport_errors += 1
            await asyncio.sleep(0.05)
            continue
        try:
            while time.monotonic() < deadline:
                kind, raw, expected = MIX[turn % len(MIX)]
                turn += 1
                writer.write(raw)
                tally.sent += 1
                try:
                    status, request_id = await _read_response(reader)
                except asyncio.IncompleteReadError as exc:
                    if not exc.partial and stopping.is_set():
                        tally.refused_after_stop += 1  # closed before it was read: not in flight
                        return
                    tally.cut_responses += 1
                    break
                tally.by_kind[kind] = tally.by_kind.get(kind, 0) + 1
                if status != expected:
                    tally.wrong_status[kind] = tally.wrong_status.get(kind, 0) + 1
                if request_id is None:
                    tally.missing_ids += 1
                elif request_id in tally.ids:
                    tally.duplicate_ids += 1
                else:
                    tally.ids.add(request_id)
        except (ConnectionError, OSError):
            if stopping.is_set():
                tally.refused_after_stop += 1
                return
            tally.transport_errors += 1
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


async def _load(port: int, connections: int, seconds: float, stopping: asyncio.Event) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(_connection(port, i, deadline, tally, stopping) for i in range(connections))
    )
    return tally


@contextlib.contextmanager
def _mock(log: Path, *args: str) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "--port", str(port), "--log-level", "warning"]
    with running("mock", [*command, *args], port=port, log=log) as server:
        yield server


def _report(title: str, tally: Tally, seconds: float) -> None:
    print(f"\n{title}")
    answered = sum(tally.by_kind.values())
    print(f"  requests answered   {answered:>9,}  ({answered / seconds:,.0f}/s)")
    for kind, count in sorted(tally.by_kind.items()):
        wrong = tally.wrong_status.get(kind, 0)
        print(f"    {kind:<17} {count:>9,}   wrong status: {wrong}")
    print(f"  transport errors    {tally.transport_errors:>9}")
    print(f"  cut responses       {tally.cut_responses:>9}")
    ids = f"{len(tally.ids):>9,}"
    bad = f"duplicates: {tally.duplicate_ids}, missing: {tally.missing_ids}"
    print(f"  unique request ids  {ids}   {bad}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of phase 1")
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()
    failures: list[str] = []
    logs = Path(tempfile.mkdtemp(prefix="soak-"))

    with _mock(logs / "phase1.log") as server:
        never = asyncio.Event()
        asyncio.run(_load(server.port, args.connections, args.warmup, never))
        rss_warm = memory_mb(server.pid, "VmRSS")
        tally = asyncio.run(_load(server.port, args.connections, args.duration, never))
        rss_end = memory_mb(server.pid, "VmRSS")
        _report(
            f"phase 1: {args.connections} connections for {args.duration:g} s", tally, args.duration
        )
        growth = (rss_end - rss_warm) / rss_warm
        print(f"  RSS after warm-up   {rss_warm:>9.1f} MB")
        print(f"  RSS at the end      {rss_end:>9.1f} MB   ({growth:+.1%})")
        if tally.transport_errors or tally.cut_responses:
            failures.append("transport errors in phase 1")
        if tally.wrong_status:
            failures.append(f"wrong statuses: {tally.wrong_status}")
        if tally.duplicate_ids or tally.missing_ids:
            failures.append("request ids not unique or missing")
        if abs(growth) > 0.10:
            failures.append(f"memory changed by {growth:+.1%} (> 10%)")

    with _mock(logs / "phase2.log", "--delay-ms", "300") as server:

        async def stop_midway() -> Tally:
            stopping = asyncio.Event()
            load = asyncio.ensure_future(_load(server.port, args.connections, 5.0, stopping))
            await asyncio.sleep(1.0)
            stopping.set()
            server.process.send_signal(signal.SIGTERM)
            return await load

        tally = asyncio.run(stop_midway())
        code = server.process.wait(30)
        _report("phase 2: SIGTERM with requests in flight (300 ms each)", tally, 5.0)
        print(
            f"  closed after stop   {tally.refused_after_stop:>9}\n  exit code           {code:>9}"
        )
        if tally.cut_responses or tally.transport_errors or tally.wrong_status:
            failures.append("in-flight requests were not finished after SIGTERM")
        if code != 0:
            failures.append(f"mock exited {code} after SIGTERM")

    print(
        "\nverdict: "
        + ("every guarantee held" if not failures else "FAILED: " + "; ".join(failures))
    )
    return 0 if not failures else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
