"""The validation proxy in front of the peer implementations (``tests/peers/``), each a
real process: every defect shows under the check the harness reports it with, in the
header, the journal and the run report; a conforming peer shows none."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from apikeys_contract import load_contract
from mock_server import Settings, TokenPolicy
from mock_server.proxy._proxy import ProxyApp
from mock_server.proxy._proxy_settings import ProxySettings
from mock_server.proxy._run_report import build_report

from .peers._run import peer_process
from .test_peers import CASES, FORBIDDEN, STACKS, UNKNOWN, VALID, Case

CONTRACT = load_contract()
TOKENS = TokenPolicy(
    allow_unknown=False,
    allowed=frozenset({VALID}),
    forbidden=frozenset({FORBIDDEN}),
    expired=frozenset(),
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


TRAFFIC: list[tuple[dict[str, str], Any]] = [
    (bearer(VALID), {"name": "ci-key"}),
    (bearer(VALID), {"name": "ci-key"}),
    (bearer(VALID), {"name": "\U0001f511" * 100}),
    (bearer(VALID), {"name": "\u001c"}),
    (bearer(VALID), {"name": "   "}),
    (bearer(VALID), {"name": " " + "a" * 100}),
    (bearer(VALID), {"name": 5}),
    (bearer(UNKNOWN), {"name": "x"}),
    (bearer(FORBIDDEN), {"name": "x"}),
    ({}, {"name": "x"}),
    # Not UTF-8 (RFC 3629): a surrogate encoded as if it were a character.
    (bearer(VALID), b'{"name": "a\xed\xa0\x80"}'),
]


def checks_seen(case: Case) -> tuple[set[str], set[str], set[str]]:
    """What the header, the journal and the report show for ``case`` behind the proxy."""
    with peer_process(STACKS[case.stack](case.defect)) as peer:
        app = ProxyApp(Settings(), ProxySettings(upstream=peer.url, tokens=TOKENS))
        with TestClient(app) as client:
            in_header: set[str] = set()
            for headers, body in TRAFFIC:
                content = body if isinstance(body, bytes) else json.dumps(body).encode()
                sent = {**headers, "Content-Type": "application/json"}
                response: httpx.Response = client.post("/api-keys", content=content, headers=sent)
                shown = response.headers.get("x-contract-violations")
                in_header |= {v["check"] for v in json.loads(shown)} if shown else set()
            entries = client.get("/__mock/requests").json()["requests"]
    in_journal = {v["check"] for entry in entries for v in entry["violations"]}
    report = build_report(app.session, peer.url, strict=False)
    assert not report.internal_errors
    return in_header, in_journal, {f.check for f in report.findings}


@pytest.mark.parametrize("case", [c for c in CASES if c.defect], ids=lambda c: c.id)
def test_each_peer_defect_shows_behind_the_proxy(case: Case) -> None:
    for seen in checks_seen(case):
        assert case.caught_by in seen


@pytest.mark.parametrize("case", [c for c in CASES if not c.defect], ids=lambda c: c.id)
def test_a_conforming_peer_shows_only_the_clients_own_violations(case: Case) -> None:
    for seen in checks_seen(case):
        assert seen == {"request"}
