"""The harness against targets that misbehave below the contract: it always ends, in
bounded time, with exit 1 and named findings or exit 2 and one line."""

from __future__ import annotations

import io
import time

import pytest

from conformance import EXIT_USAGE, EXIT_VIOLATIONS, run

from .targets import VALID_TOKEN
from .targets import misbehaving as bad


def check(url: str) -> tuple[int, str, str, float]:
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = run(base_url=url, token=VALID_TOKEN, max_examples=3, timeout=0.5, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue(), time.monotonic() - started


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        (bad.silent, "no complete response within 0.5 s"),
        (bad.not_http, "not a valid HTTP response"),
        (bad.drip, "no complete response within 0.5 s"),
        (bad.cut_off, "not a valid HTTP response"),
    ],
)
def test_no_http_answer_exits_2_at_once(behaviour: bad.Behaviour, reason: str) -> None:
    with bad.raw_server(behaviour) as url:
        code, _, err, took = check(url)
    assert code == EXIT_USAGE
    assert err.count("\n") == 1, err
    assert reason in err
    assert took < 5


@pytest.mark.parametrize(
    ("behaviour", "finding"),
    [
        (bad.invalid_json, "400 error body is not JSON"),
        (bad.redirect_loop, "undocumented status 302"),
        (bad.huge_body, "success body too large to judge"),
    ],
)
def test_wrong_answers_exit_1_with_findings(behaviour: bad.Behaviour, finding: str) -> None:
    with bad.raw_server(behaviour) as url:
        code, out, err, took = check(url)
    assert code == EXIT_VIOLATIONS, out + err
    assert finding in out
    assert took < 60


def test_a_target_that_stops_answering_ends_the_run() -> None:
    with bad.raw_server(bad.answers_then_hangs(2)) as url:
        code, out, _, took = check(url)
    assert code == EXIT_VIOLATIONS
    assert "Run aborted: stopped after 3 requests in a row got no HTTP response" in out
    assert "no HTTP response" in out
    assert took < 5


def test_a_slow_probe_is_a_finding_and_the_run_goes_on() -> None:
    from .servers import serve
    from .targets import Defects, create_target

    with serve(create_target(Defects(slow_over_bytes=5_000))) as url:
        code, out, err, _ = check(url)
    assert code == EXIT_VIOLATIONS, out + err
    assert "status_conformance: no HTTP response" in out
    assert "no complete response within 0.5 s" in out
    assert "Run aborted" not in out
    for phase in ("valid bodies", "invalid bodies", "malformed", "schemathesis"):
        assert phase in out
