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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import _docs
from _docs import Table
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


def _tally_table(
    name: str, title: str, tally: Tally, seconds: float, extra: Sequence[tuple[str, str, str]]
) -> Table:
    answered = sum(tally.by_kind.values())
    rows = [("requests answered", f"{answered:,}", f"{answered / seconds:,.0f}/s")]
    for kind, count in sorted(tally.by_kind.items()):
        rows.append(
            (f"{kind} requests", f"{count:,}", f"wrong status: {tally.wrong_status.get(kind, 0)}")
        )
    rows += [
        ("transport errors", str(tally.transport_errors), ""),
        ("cut responses", str(tally.cut_responses), ""),
        ("unique request ids", f"{len(tally.ids):,}",
         f"duplicates: {tally.duplicate_ids}, missing: {tally.missing_ids}"),
        *extra,
    ]  # fmt: skip
    return Table(name, title, ("figure", "value", "detail"), tuple(rows))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of phase 1")
    parser.add_argument("--warmup", type=float, default=3.0)
    _docs.add_option(parser, __file__)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    checks: list[tuple[str, bool, str]] = []  # (guarantee, held, what was seen)
    tables: list[Table] = []
    logs = Path(tempfile.mkdtemp(prefix="soak-"))

    with _mock(logs / "phase1.log") as server:
        never = asyncio.Event()
        asyncio.run(_load(server.port, args.connections, args.warmup, never))
        rss_warm = memory_mb(server.pid, "VmRSS")
        tally = asyncio.run(_load(server.port, args.connections, args.duration, never))
        rss_end = memory_mb(server.pid, "VmRSS")
        growth = (rss_end - rss_warm) / rss_warm
        memory = [
            ("RSS after warm-up, MB", f"{rss_warm:.1f}", ""),
            ("RSS at the end, MB", f"{rss_end:.1f}", f"{growth:+.1%}"),
        ]
        title = f"phase 1: {args.connections} connections for {args.duration:g} s"
        tables.append(_tally_table("phase1", title, tally, args.duration, memory))
        print(f"\n{tables[-1].text()}")
        errors = tally.transport_errors + tally.cut_responses
        wrong = sum(tally.wrong_status.values())
        unidentified = tally.duplicate_ids + tally.missing_ids
        checks += [
            ("no transport error in phase 1", not errors, f"{errors} errors or cut responses"),
            ("every status the one its request calls for", not wrong, f"{wrong} wrong"),
            ("every X-Request-Id present and unique", not unidentified,
             f"{unidentified} missing or repeated"),
            ("RSS at the end within 10% of after warm-up", abs(growth) <= 0.10, f"{growth:+.1%}"),
        ]  # fmt: skip

    with _mock(logs / "phase2.log", "--delay-ms", "300") as server:

        async def stop_midway() -> Tally:
            stopping = asyncio.Event()
            load = asyncio.ensure_future(_load(server.port, args.connections, 5.0, stopping))
            await asyncio.sleep(1.0)
            stopping.set()
            server.process.send_signal(signal.SIGTERM)
            return await load

        started = time.monotonic()
        tally = asyncio.run(stop_midway())
        elapsed = time.monotonic() - started  # the load ends once the mock has stopped
        code = server.process.wait(30)
        stopped = [
            ("closed after stop", str(tally.refused_after_stop), ""),
            ("exit code", str(code), ""),
        ]
        title = "phase 2: SIGTERM with requests in flight (300 ms each)"
        tables.append(_tally_table("phase2", title, tally, elapsed, stopped))
        print(f"\n{tables[-1].text()}")
        broken = tally.cut_responses + tally.transport_errors + sum(tally.wrong_status.values())
        checks += [
            ("every in-flight request answered whole after SIGTERM", not broken,
             f"{broken} cut, failed or wrong"),
            ("the mock exits 0 after SIGTERM", code == 0, f"exit {code}"),
        ]  # fmt: skip

    rows = tuple((what, "held" if ok else "FAILED", seen) for what, ok, seen in checks)
    tables.append(Table("guarantees", "the guarantees", ("guarantee", "result", "seen"), rows))
    print(f"\n{tables[-1].text()}")
    failures = [f"{what} ({seen})" for what, ok, seen in checks if not ok]
    print(
        "\nverdict: "
        + ("every guarantee held" if not failures else "FAILED: " + "; ".join(failures))
    )
    _docs.write(args.write_docs, __file__, argv, tables)
    return 0 if not failures else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
