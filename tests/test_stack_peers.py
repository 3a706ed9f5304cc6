"""The defects real stacks ship, each caught by the probe labelled with its cause (issue 18).

The peers and their switches are in tests/peers/stacks.py. What is asserted: the cause
(``Probe.cause``) of the probes that fail, found through the finding's cause where a
finding carries one, else through the labels of the probes that showed it; the twin gets
no finding at all.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from conformance import Report, Settings, Tokens, run_engine

from .peers._run import Peer, peer_process
from .peers.stacks import (
    CASES,
    EXPRESS,
    GO_SOURCE,
    TWINS,
    NotInstalled,
    StackCase,
    build_go,
    command,
    found_causes,
)
from .test_peers import EXAMPLES, FORBIDDEN, STACK_DEFECTS, UNKNOWN, VALID, describe
from .tools import require

FLAGS = ["--port", "0", "--tokens", VALID, "--forbidden", FORBIDDEN]


@pytest.fixture(scope="module")
def go_peer(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    try:
        return build_go(tmp_path_factory.mktemp("go-peer"))
    except NotInstalled:
        return None


@contextlib.contextmanager
def started(case: StackCase, request: pytest.FixtureRequest) -> Iterator[Peer]:
    go_binary = request.getfixturevalue("go_peer") if case.stack == "go" else None
    try:
        line = command(case, FLAGS, go_binary)
    except NotInstalled as exc:
        require(False, str(exc))
        raise
    with peer_process(line) as peer:
        yield peer


def harness(url: str, spec: str | None) -> Report:
    tokens = Tokens(VALID, FORBIDDEN, UNKNOWN)
    return run_engine(Settings(url, tokens, seed=0, max_examples=EXAMPLES, spec=spec))


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_stack_defect_is_reported_with_its_cause(
    case: StackCase, request: pytest.FixtureRequest
) -> None:
    with started(case, request) as peer:
        report = harness(peer.url, case.spec)
    causes = found_causes(report, case.spec)
    assert case.cause in causes, describe(report)
    assert causes <= {case.cause} | case.also, describe(report)
    assert report.aborted is None, report.aborted
    assert not report.internal_errors, report.internal_errors


@pytest.mark.slow
@pytest.mark.parametrize("case", TWINS, ids=lambda c: c.id)
def test_conforming_twin_has_no_findings(case: StackCase, request: pytest.FixtureRequest) -> None:
    with started(case, request) as peer:
        report = harness(peer.url, case.spec)
    assert report.findings == [], describe(report)
    assert found_causes(report, case.spec) == set()
    assert report.conforms, report.aborted or report.internal_errors


# One request per defect that shows it, asked of the peer directly: each switch really
# breaks the peer, and its twin does not, whatever the harness says.
def _post(
    client: httpx.Client,
    body: bytes,
    *,
    authorization: str | None = f"Bearer {VALID}",
    content_type: str = "application/json",
    query: str = "",
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if authorization is not None:
        headers["Authorization"] = authorization
    return client.post("/api-keys" + query, content=body, headers=headers)


NAME = b'{"name": "a"}'
Witness = Callable[[httpx.Client], bool]
WITNESSES: dict[tuple[str, str], Witness] = {
    ("express", "case-sensitive-scheme"): lambda c: (
        _post(c, NAME, authorization=f"bearer {VALID}").status_code == 401
    ),
    ("express", "replace-invalid-utf8"): lambda c: (
        _post(c, b'{"name": "a\xffa"}').json().get("name") == "a\ufffda"
    ),
    ("express", "plus-json"): lambda c: (
        _post(c, NAME, content_type="application/vnd.api+json").status_code == 201
    ),
    ("express", "normalize-nfc"): lambda c: (
        _post(c, json.dumps({"name": "e\u0301"}).encode()).json().get("name") == "\u00e9"
    ),
    ("express", "query-token"): lambda c: (
        _post(c, NAME, authorization=None, query=f"?access_token={VALID}").status_code == 201
    ),
    ("go", "case-insensitive-fields"): lambda c: _post(c, b'{"NAME": "a"}').status_code == 201,
    ("go", "replace-invalid-utf8"): lambda c: (
        _post(c, b'{"name": "a\xc0\xafa"}').json().get("name") == "a\ufffd\ufffda"
    ),
    ("pydantic", "lax-mode"): lambda c: (
        _post(c, b'{"name": "a", "expiresInDays": "1"}').status_code == 201
    ),
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_defect_switch_breaks_the_peer(case: StackCase, request: pytest.FixtureRequest) -> None:
    assert case.defect is not None
    witness = WITNESSES[case.stack, case.defect]
    with started(case, request) as peer, httpx.Client(base_url=peer.url, timeout=10) as client:
        assert witness(client), f"{case.id} does not show its defect"


@pytest.mark.parametrize("twin", TWINS, ids=lambda c: c.id)
def test_twin_shows_no_defect(twin: StackCase, request: pytest.FixtureRequest) -> None:
    with started(twin, request) as peer, httpx.Client(base_url=peer.url, timeout=10) as client:
        shown = [d for (s, d), witness in WITNESSES.items() if s == twin.stack and witness(client)]
        valid = b'{"name": "a", "expiresInDays": 1}' if twin.stack == "pydantic" else NAME
        assert _post(client, valid).status_code == 201
    assert shown == []


def test_every_stack_defect_is_tested() -> None:
    express = EXPRESS.read_text(encoding="utf-8")
    table = express[express.index("const DEFECTS = {") : express.index("\n};")]
    go = (GO_SOURCE / "main.go").read_text(encoding="utf-8")
    go_table = go[go.index("var defects = map") : go.index("\n}", go.index("var defects"))]
    declared = {("express", name) for name in _quoted_keys(table, '"')} | {
        ("go", name) for name in _quoted_keys(go_table, '"')
    }
    tested = {(c.stack, c.defect) for c in CASES if c.stack in ("express", "go")}
    assert tested == declared
    assert set(WITNESSES) == {(c.stack, c.defect) for c in CASES}
    # The FastAPI peer's lax-mode switch is declared there and tested here.
    assert {"fastapi": {c.defect for c in CASES if c.stack == "pydantic"}} == STACK_DEFECTS


def _quoted_keys(table: str, quote: str) -> set[str]:
    keys = set()
    for line in table.splitlines()[1:]:
        stripped = line.strip()
        if stripped.startswith(quote) and f"{quote}:" in stripped:
            keys.add(stripped[1 : stripped.index(f"{quote}:")])
    return keys
