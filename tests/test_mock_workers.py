"""--workers N: N processes on one port, each the whole mock; one stop signal stops them all."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from mock_server.server import _cli
from mock_server.server._workers import EARLY_DEATH_S

from .conftest import JSON_HEADERS
from .servers import MockProcess, mock_process


def test_workers_option_and_its_environment_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    assert int(_cli.build_parser().parse_args([]).workers) == 1
    monkeypatch.setenv(_cli.ENV_PREFIX + "WORKERS", "3")
    assert int(_cli.build_parser().parse_args([]).workers) == 3
    assert int(_cli.build_parser().parse_args(["--workers", "2"]).workers) == 2


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_workers_must_be_a_positive_whole_number(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _cli.main(["--workers", value])
    assert exit_info.value.code == _cli.EXIT_USAGE
    assert "--workers" in capsys.readouterr().err


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def wait_for_children(mock: MockProcess, count: int) -> list[int]:
    # The workers are forked right after "listening" is printed; give them a moment.
    for _ in range(200):
        found = children(mock.process.pid)
        if len(found) == count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} workers, found {children(mock.process.pid)}")


def log_records(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def post_many(url: str, count: int, connections: int) -> list[httpx.Response]:
    def post(i: int) -> httpx.Response:
        # A fresh connection each time, so that the kernel hands them to either worker.
        with httpx.Client(base_url=url, timeout=10) as client:
            return client.post("/api-keys", json={"name": f"k{i}"}, headers=JSON_HEADERS)

    with ThreadPoolExecutor(connections) as pool:
        return list(pool.map(post, range(count)))


def test_workers_answer_with_unique_ids_and_whole_log_lines() -> None:
    with mock_process("--workers", "2") as mock:
        workers = wait_for_children(mock, 2)
        assert "with 2 worker processes" in mock.output
        answered = post_many(mock.url, 400, connections=16)
        mock.process.send_signal(signal.SIGTERM)
        assert mock.process.wait(20) == 0
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
    assert [r.status_code for r in answered] == [201] * 400
    request_ids = [r.headers["x-request-id"] for r in answered]
    client_ids = [r.json()["clientId"] for r in answered]
    secrets = [r.json()["clientSecret"] for r in answered]
    for values in (request_ids, client_ids, secrets):
        assert len(set(values)) == len(values)
    # Every line of every worker is whole JSON (json.loads would fail on a torn line), and
    # every request has exactly its line.
    records = log_records(mock.output)
    assert sorted(str(r["request_id"]) for r in records) == sorted(request_ids)
    for pid in workers:
        assert f"Started server process [{pid}]" in mock.output


def test_sigterm_lets_in_flight_requests_finish() -> None:
    with mock_process("--workers", "2", "--delay-ms", "3000") as mock:
        wait_for_children(mock, 2)
        clients = [httpx.Client(base_url=mock.url, timeout=20) for _ in range(8)]
        # An OPTIONS request is not delayed: once answered, a worker holds the connection.
        assert all(c.options("/api-keys").status_code == 405 for c in clients)
        answered: list[httpx.Response] = []

        def post(client: httpx.Client) -> None:
            answered.append(client.post("/api-keys", json={"name": "k"}, headers=JSON_HEADERS))

        senders = [threading.Thread(target=post, args=(c,)) for c in clients]
        for sender in senders:
            sender.start()
        time.sleep(1)  # the requests reach the workers (they are answered after 3 s)
        mock.process.send_signal(signal.SIGTERM)
        for sender in senders:
            sender.join(20)
        assert mock.process.wait(20) == 0
        for client in clients:
            client.close()
    assert [r.status_code for r in answered] == [201] * 8
    assert sum(r["method"] == "POST" for r in log_records(mock.output)) == 8


@pytest.mark.slow
def test_a_worker_that_dies_is_replaced() -> None:
    with mock_process("--workers", "2") as mock:
        first = wait_for_children(mock, 2)
        time.sleep(EARLY_DEATH_S + 0.5)  # a crash, not a start-up failure
        os.kill(first[0], signal.SIGKILL)
        for _ in range(100):
            now = children(mock.process.pid)
            if len(now) == 2 and first[0] not in now:
                break
            time.sleep(0.05)
        assert first[0] not in now
        assert len(now) == 2
        assert [r.status_code for r in post_many(mock.url, 20, 4)] == [201] * 20
        mock.process.send_signal(signal.SIGTERM)
        assert mock.process.wait(20) == 0
