"""The request log: its line format, batching, shutdown, and what the mock writes to it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from mock_server import Settings, create_app
from mock_server.common._log import PATH_LIMIT, PIPE_BUF, RequestLog, TurnLog, log_line
from mock_server.mock import _responses as responses

from .conftest import JSON_HEADERS, ListSink
from .servers import mock_process, raw_exchange, serve


class RecordingLog(RequestLog):
    """A RequestLog that keeps every chunk it writes, to check how it writes."""

    def __init__(self, fd: int, **options: float) -> None:
        super().__init__(fd, **options)  # type: ignore[arg-type]
        self.chunks: list[bytes] = []

    def _write(self, data: memoryview) -> None:
        self.chunks.append(bytes(data))
        super()._write(data)


def read_all(fd: int) -> bytes:
    data = b""
    while chunk := os.read(fd, 1 << 16):
        data += chunk
    return data


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    yield read_end, write_end
    for fd in (read_end, write_end):
        with contextlib.suppress(OSError):
            os.close(fd)


def test_line_format() -> None:
    line = log_line("id-1", "POST", "/api-keys", 201, 0.25)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert json.loads(line) == {
        "request_id": "id-1",
        "method": "POST",
        "path": "/api-keys",
        "status": 201,
        "duration_ms": 0.25,
    }
    assert json.loads(log_line("id-2", None, None, 400, 0.0, "KeyError"))["error"] == "KeyError"


def test_a_long_path_is_cut_so_a_line_stays_atomic_on_a_pipe() -> None:
    path = "/" + "\x01" * 10_000  # each escapes to six bytes
    line = log_line("9f4c2a4e-0000-4000-8000-000000000000", "GET", path, 404, 1.5)
    assert json.loads(line)["path"] == path[:PATH_LIMIT] + "..."
    assert len(line) <= PIPE_BUF


def test_lines_are_written_whole_in_chunks_of_at_most_pipe_buf(pipe: tuple[int, int]) -> None:
    # (A line longer than PIPE_BUF cannot come from log_line: see the test above.)
    read_end, write_end = pipe
    log = RecordingLog(write_end, interval=60)
    lines = [log_line(f"id-{i}", "POST", "/api-keys", 201, 0.1) for i in range(500)]
    for line in lines:
        log.write(line)
    reader = threading.Thread(target=lambda: received.append(read_all(read_end)))
    received: list[bytes] = []
    reader.start()
    log.close()
    os.close(write_end)
    reader.join(10)
    assert received == [b"".join(lines)]
    assert len(log.chunks) > 1
    assert all(len(chunk) <= PIPE_BUF and chunk.endswith(b"\n") for chunk in log.chunks)


def test_the_writer_thread_flushes_without_close(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    log = RequestLog(write_end, interval=0.01)
    log.write(log_line("id-1", "POST", "/api-keys", 201, 0.1))
    # os.read blocks until the writer thread has written the line: no timing involved.
    assert json.loads(os.read(read_end, 1 << 16))["request_id"] == "id-1"
    log.close()


def test_lines_beyond_the_limit_are_counted_not_kept(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    lines = [log_line(f"id-{i}", "POST", "/api-keys", 201, 0.1) for i in range(5)]
    log = RequestLog(write_end, interval=60, limit=sum(map(len, lines[:3])))
    log._start = lambda: None  # type: ignore[method-assign]  # no thread: nothing drains
    for line in lines:
        log.write(line)
    log.close()
    os.close(write_end)
    records = [json.loads(line) for line in read_all(read_end).splitlines()]
    assert [r.get("request_id") for r in records[:3]] == ["id-0", "id-1", "id-2"]
    assert records[3] == {"dropped_lines": 2}


def test_a_closed_output_does_not_stop_the_server(
    pipe: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    read_end, write_end = pipe
    os.close(read_end)  # writing now fails with EPIPE
    raised: list[threading.ExceptHookArgs] = []  # by the writer thread
    monkeypatch.setattr(threading, "excepthook", raised.append)
    previous = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        log = RequestLog(write_end, interval=0.01)
        log.write(log_line("id-1", "POST", "/api-keys", 201, 0.1))
        log.flush()  # in this thread: an error raised here fails the test
        log.write(log_line("id-2", "POST", "/api-keys", 201, 0.1))
        log.close()
    finally:
        signal.signal(signal.SIGPIPE, previous)
    assert raised == []
    assert log._thread is not None
    assert not log._thread.is_alive()  # close() stopped it


@pytest.mark.parametrize("transport", ["asgi", "http"])
def test_every_request_is_logged_with_its_request_id(transport: str) -> None:
    sink = ListSink()
    app = create_app(Settings(), request_log=sink)
    if transport == "asgi":
        with TestClient(app, base_url="http://mock.test") as client:
            responses_ = send_three(client)
    else:
        with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            responses_ = send_three(client)
    records = sink.records()
    assert [(r["method"], r["path"], r["status"]) for r in records] == [
        ("POST", "/api-keys", 201),
        ("POST", "/api-keys", 400),
        ("GET", "/nowhere", 404),
    ]
    assert [r["request_id"] for r in records] == [r.headers["x-request-id"] for r in responses_]
    assert all("error" not in r for r in records)
    assert all(isinstance(r["duration_ms"], float) for r in records)


def send_three(client: httpx.Client) -> list[httpx.Response]:
    return [
        client.post("/api-keys", json={"name": "k"}, headers=JSON_HEADERS),
        client.post("/api-keys", json={"name": "   "}, headers=JSON_HEADERS),
        client.get("/nowhere"),
    ]


@pytest.mark.parametrize("transport", ["asgi", "http"])
def test_an_unexpected_error_is_a_500_logged_with_its_type(
    transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object, request: object) -> dict[str, str]:
        raise LookupError("a bug in the mock")

    sink = ListSink()
    app = create_app(Settings(), request_log=sink)
    # After start-up, which proves the plan by building a body with it.
    monkeypatch.setattr(responses.SuccessPlan, "body", broken)
    if transport == "asgi":
        with TestClient(app, base_url="http://mock.test", raise_server_exceptions=False) as c:
            response = c.post("/api-keys", json={"name": "k"}, headers=JSON_HEADERS)
    else:
        with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            response = client.post("/api-keys", json={"name": "k"}, headers=JSON_HEADERS)
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "a bug in the mock" not in response.text
    [record] = sink.records()
    assert record["status"] == 500
    assert record["error"] == "LookupError"
    assert record["request_id"] == response.headers["x-request-id"]


def test_a_forced_500_is_not_logged_as_an_error() -> None:
    sink = ListSink()
    with TestClient(create_app(Settings(), request_log=sink)) as client:
        response = client.post(
            "/api-keys", json={"name": "k"}, headers={**JSON_HEADERS, "Prefer": "code=500"}
        )
    assert response.status_code == 500
    [record] = sink.records()
    assert record["status"] == 500
    assert "error" not in record


def test_no_log_at_all_when_switched_off() -> None:
    with TestClient(create_app(Settings(), request_log=None)) as client:
        assert client.post("/api-keys", json={"name": "k"}, headers=JSON_HEADERS).is_success


def log_records(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_nothing_is_lost_on_sigterm() -> None:
    count = 300
    # With the writer thread's timer at a minute, only the flush at shutdown writes lines.
    with mock_process(
        prelude="import mock_server.common._log as log; log.FLUSH_INTERVAL_S = 60"
    ) as mock:
        with httpx.Client(base_url=mock.url, timeout=10) as client:
            ids = [
                client.post("/api-keys", json={"name": f"k{i}"}, headers=JSON_HEADERS).headers[
                    "x-request-id"
                ]
                for i in range(count)
            ]
        mock.process.send_signal(signal.SIGTERM)
        assert mock.process.wait(15) == 0
    assert [r["request_id"] for r in log_records(mock.output)] == ids


@pytest.mark.parametrize(
    "raw",
    [b"GARBAGE\r\n\r\n", b"POST /api-keys HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n"],
    ids=["not-http", "content-length-not-a-number"],
)
def test_an_unparseable_request_gets_its_json_line(raw: bytes) -> None:
    with mock_process() as mock:
        reply = raw_exchange(mock.url, raw)
        mock.process.send_signal(signal.SIGTERM)
        assert mock.process.wait(15) == 0
    head = reply.partition(b"\r\n\r\n")[0].decode()
    request_id = next(
        line.split(": ", 1)[1] for line in head.splitlines() if line.startswith("x-request-id")
    )
    [record] = log_records(mock.output)
    assert record["request_id"] == request_id
    assert record["status"] == 400
    assert str(record["error"]).startswith("HttpParser")
    assert (record["method"], record["path"]) == (None, None)
    assert "Invalid HTTP request received" not in mock.output  # uvicorn's plain-text warning


def test_chunks_end_at_line_ends_and_a_long_line_goes_alone(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    log = RecordingLog(write_end, interval=60)
    log._chunk = 64
    lines = [b"a" * 20 + b"\n", b"b" * 30 + b"\n", b"c" * 100 + b"\n", b"d" * 10 + b"\n"] * 3
    for line in lines:
        log.write(line)
    log.close()
    os.close(write_end)
    assert read_all(read_end) == b"".join(lines)
    assert all(chunk.endswith(b"\n") for chunk in log.chunks)
    assert [len(c) for c in log.chunks if len(c) > 64] == [101, 101, 101]
    assert all(chunk.count(b"\n") == 1 for chunk in log.chunks if len(chunk) > 64)


def test_lines_noted_in_one_turn_of_the_loop_are_written_together_at_its_end() -> None:
    sink = ListSink()
    log = TurnLog(sink)
    log.note("id-0", "POST", "/api-keys", 201, 0.001)  # no loop: written at once
    assert len(sink.lines) == 1

    async def in_a_loop() -> None:
        log.note("id-1", "POST", "/api-keys", 201, 0.0012346)
        log.note("id-2", "POST", "/api-keys", 400, 0.002, "KeyError")
        assert len(sink.lines) == 1  # held for this turn only
        await asyncio.sleep(0)
        assert len(sink.lines) == 2  # one write for the turn

    asyncio.run(in_a_loop())
    assert sink.lines[1] == log_line("id-1", "POST", "/api-keys", 201, 1.235) + log_line(
        "id-2", "POST", "/api-keys", 400, 2.0, "KeyError"
    )


def test_a_request_log_closed_mid_turn_writes_the_lines_of_that_turn(
    pipe: tuple[int, int],
) -> None:
    read_end, write_end = pipe
    request_log = RequestLog(write_end, interval=60)
    log = TurnLog(request_log)

    async def stop_mid_turn() -> None:
        log.note("id-1", "POST", "/api-keys", 201, 0.001)
        request_log.close()  # as the CLI does on SIGTERM

    asyncio.run(stop_mid_turn())
    os.close(write_end)
    [line] = read_all(read_end).splitlines()
    assert json.loads(line)["request_id"] == "id-1"
