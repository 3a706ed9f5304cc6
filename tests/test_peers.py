"""The harness against implementations written the way teams write them (issue 8, item 8).

Each peer in tests/peers/ runs as a real process on a free loopback port: Python's standard
library, FastAPI + pydantic, Node.js's http module, and Stoplight Prism serving the
contract. A conforming peer must pass with zero findings; a defect switched on must be
caught by the check named for it, and no check unrelated to that defect may fire.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from conformance import Finding, Report, Settings, Tokens, run_engine

from .peers._run import ROOT, Peer, free_port, peer_process
from .tools import require

PEERS = Path(__file__).parent / "peers"
PRISM = ROOT / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js"
VALID = "peer-valid-token-0001"
FORBIDDEN = "peer-readonly-token-0002"
UNKNOWN = "peer-never-issued-token-0003"
EXAMPLES = 15  # per fuzzing phase: one harness run per (peer, defect) stays a few seconds

# Accept {"name": "\\ud800"} and echo it: the harness's lone-surrogate probe is a note.
ECHOES_LONE_SURROGATES = {"stdlib", "node"}


def require_python(module: str) -> None:
    require(importlib.util.find_spec(module) is not None, f"{module} is not installed")


def require_node() -> str:
    node = shutil.which("node")
    require(node is not None, "node is not installed")
    assert node is not None
    return node


def stdlib_command(defect: str | None) -> list[str]:
    return [sys.executable, str(PEERS / "stdlib_server.py"), *_flags(defect)]


def fastapi_command(defect: str | None) -> list[str]:
    require_python("fastapi")
    return [sys.executable, str(PEERS / "fastapi_app.py"), *_flags(defect)]


def node_command(defect: str | None) -> list[str]:
    return [require_node(), str(PEERS / "node" / "server.js"), *_flags(defect)]


def _flags(defect: str | None) -> list[str]:
    flags = ["--port", "0", "--tokens", VALID, "--forbidden", FORBIDDEN]
    return [*flags, "--defect", defect] if defect else flags


STACKS = {"stdlib": stdlib_command, "fastapi": fastapi_command, "node": node_command}
# Switches of these peers that tests/test_stack_peers.py tests (against another contract).
STACK_DEFECTS = {"fastapi": {"lax-mode"}}


@dataclass(frozen=True)
class Case:
    stack: str
    defect: str | None = None
    caught_by: str | None = None
    # Other checks that see the same defect from their side (a 500 for invalid input is
    # also not a 400; an invalid name accepted is also echoed in an invalid 201 body).
    collateral: frozenset[str] = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        return f"{self.stack}-{self.defect or 'conforming'}"


CASES = [
    Case("stdlib"),
    Case(
        "stdlib",
        "strip-length",
        "rejection",
        frozenset({"success_shape"}),
    ),
    Case(
        "stdlib",
        "python-whitespace",
        "acceptance",
        frozenset({"rejection", "success_shape"}),
    ),
    Case(
        "stdlib",
        "no-type-check",
        "status_conformance",
        frozenset({"rejection"}),
    ),
    Case("stdlib", "surrogatepass", "rejection"),
    Case("fastapi"),
    Case("fastapi", "default-422", "status_conformance", frozenset({"rejection"})),
    Case("fastapi", "no-token-check", "authentication"),
    Case("fastapi", "echo-token", "authentication"),
    Case("fastapi", "detail-errors", "error_shape"),
    Case("node"),
    Case("node", "utf16-length", "acceptance"),
    Case("node", "no-request-id-on-errors", "headers"),
    Case("node", "constant-secret", "success_shape"),
]


def _param(case: Case) -> object:
    return pytest.param(case, id=case.id)


def harness(url: str) -> Report:
    tokens = Tokens(VALID, FORBIDDEN, UNKNOWN)
    return run_engine(Settings(url, tokens, seed=0, max_examples=EXAMPLES))


def describe(report: Report) -> str:
    lines = [f"{f.check}: {f.message}\n    {f.example.curl}" for f in report.findings]
    if report.aborted:
        lines.append(f"aborted: {report.aborted}")
    return "\n".join(lines) or "no findings"


@contextlib.contextmanager
def started(case: Case) -> Iterator[Peer]:
    with peer_process(STACKS[case.stack](case.defect)) as peer:
        yield peer


@pytest.mark.slow
@pytest.mark.parametrize("case", [_param(c) for c in CASES if c.defect is None])
def test_conforming_peer_has_no_findings(case: Case) -> None:
    with started(case) as peer:
        report = harness(peer.url)
    assert report.findings == [], describe(report)
    assert report.aborted is None, report.aborted
    assert report.conforms
    if case.stack in ECHOES_LONE_SURROGATES:  # a choice the contract leaves: a note
        assert getattr(report, "notes", None), "no note for the lenient answers"


@pytest.mark.slow
@pytest.mark.parametrize("case", [_param(c) for c in CASES if c.defect is not None])
def test_defect_is_caught_by_its_check(case: Case) -> None:
    with started(case) as peer:
        report = harness(peer.url)
    fired = {check for f in report.findings for check in f.checks}
    assert case.caught_by in fired, describe(report)
    unrelated = fired - {case.caught_by} - case.collateral
    assert not unrelated, describe(report)
    assert report.aborted is None, report.aborted
    failing = {summary.name for summary in report.checks if not summary.ok}
    assert failing == fired, report.checks  # the summary table agrees with the findings


def test_every_defect_switch_is_tested() -> None:
    # A defect added to a peer without a case here would never be proven caught.
    require_python("fastapi")
    from .peers import fastapi_app, stdlib_server

    script = (PEERS / "node" / "server.js").read_text(encoding="utf-8")
    table = script[
        script.index("const DEFECTS = {") : script.index("\n};", script.index("const DEFECTS"))
    ]
    declared = {
        "stdlib": set(stdlib_server.DEFECTS),
        "fastapi": set(fastapi_app.DEFECTS),
        "node": set(re.findall(r'^\s+"([a-z0-9-]+)":', table, re.MULTILINE)),
    }
    tested = {
        stack: {c.defect for c in CASES if c.stack == stack and c.defect}
        | STACK_DEFECTS.get(stack, set())
        for stack in STACKS
    }
    assert tested == declared
    assert all(len(names) >= 3 for names in declared.values())


# One request per defect that shows it, asked of the peer directly: proves each switch
# really breaks the peer (and the conforming peer does not), whatever the harness says.
def _post(client: httpx.Client, body: object, token: str | None = VALID) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/api-keys", content=json.dumps(body).encode(), headers=headers)


def _secrets_repeat(client: httpx.Client) -> bool:
    first, second = (_post(client, {"name": "a"}).json() for _ in range(2))
    return bool(first["clientSecret"] == second["clientSecret"])


Witness = Callable[[httpx.Client], bool]
WITNESSES: dict[tuple[str, str], Witness] = {
    ("stdlib", "strip-length"): lambda c: _post(c, {"name": "a" * 100 + " "}).status_code == 201,
    ("stdlib", "python-whitespace"): lambda c: _post(c, {"name": "\x1c"}).status_code == 400,
    ("stdlib", "no-type-check"): lambda c: _post(c, {"name": 5}).status_code == 500,
    ("stdlib", "surrogatepass"): lambda c: (
        c.post(
            "/api-keys",
            content=b'{"name": "a\xed\xa0\x80"}',
            headers={"Authorization": f"Bearer {VALID}", "Content-Type": "application/json"},
        ).status_code
        == 201
    ),
    ("fastapi", "default-422"): lambda c: _post(c, {"name": ""}).status_code == 422,
    ("fastapi", "no-token-check"): lambda c: _post(c, {"name": "a"}, UNKNOWN).status_code == 201,
    ("fastapi", "echo-token"): lambda c: UNKNOWN in _post(c, {"name": "a"}, UNKNOWN).text,
    ("fastapi", "detail-errors"): lambda c: "message" not in _post(c, {}, None).json(),
    ("node", "utf16-length"): lambda c: _post(c, {"name": "\U0001f511" * 100}).status_code == 400,
    ("node", "no-request-id-on-errors"): lambda c: "x-request-id" not in _post(c, {}).headers,
    ("node", "constant-secret"): _secrets_repeat,
}


@pytest.mark.parametrize("case", [c for c in CASES if c.defect], ids=lambda c: c.id)
def test_defect_switch_breaks_the_peer(case: Case) -> None:
    assert case.defect is not None
    witness = WITNESSES[case.stack, case.defect]
    with started(case) as peer, httpx.Client(base_url=peer.url, timeout=10) as client:
        assert witness(client), f"{case.id} does not show its defect"


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_conforming_peer_shows_no_defect(stack: str) -> None:
    with started(Case(stack)) as peer, httpx.Client(base_url=peer.url, timeout=10) as client:
        shown = [d for (s, d), witness in WITNESSES.items() if s == stack and witness(client)]
    assert shown == []


# What the peers accept where the contract leaves a choice: the harness must not blame them.
UTF16_BODY = json.dumps({"name": "utf-16"}).encode("utf-16")
LENIENT: dict[str, list[tuple[bytes, str]]] = {
    "stdlib": [
        (b'\xef\xbb\xbf{"name": "bom"}', "bom"),
        (UTF16_BODY, "utf-16"),
        (json.dumps({"name": "utf-32"}).encode("utf-32"), "utf-32"),
        (b'{"name": "first", "name": "last"}', "last"),
        (b'{"name": "nan", "other": NaN}', "nan"),
        (b'{"name": "\\ud800"}', "\ud800"),
    ],
    "fastapi": [
        (b'\xef\xbb\xbf{"name": "bom"}', "bom"),
        (UTF16_BODY, "utf-16"),
        (b'{"name": "nan", "other": NaN}', "nan"),
        (b'{"name": "first", "name": "last"}', "last"),
    ],
    "node": [
        (b'\xef\xbb\xbf{"name": "bom"}', "bom"),
        (b'{"name": "first", "name": "last"}', "last"),
        # V8 has no depth limit and reads a huge number as Infinity (RFC 8259 section 9).
        (b'{"name": "deep", "other": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "deep"),
        (b'{"name": "huge", "other": ' + b"9" * 5_000 + b"}", "huge"),
        (b'{"name": "\\ud800"}', "\ud800"),
    ],
}
# Parses a body sent without any Content-Type (the others answer 400).
UNTYPED_ACCEPTED = {"node"}


@pytest.mark.parametrize("stack", sorted(LENIENT))
def test_peer_is_lenient_where_the_contract_leaves_a_choice(stack: str) -> None:
    auth = {"Authorization": f"Bearer {VALID}"}
    headers = {**auth, "Content-Type": "application/json"}
    with started(Case(stack)) as peer, httpx.Client(base_url=peer.url, timeout=10) as client:
        for body, name in LENIENT[stack]:
            response = client.post("/api-keys", content=body, headers=headers)
            assert response.status_code == 201, (body, response.text)
            assert json.loads(response.content)["name"] == name
            if name == "\ud800":  # echoed as an escape: the body is still valid UTF-8
                assert b'"\\ud800"' in response.content
        untyped = client.post("/api-keys", content=b'{"name": "untyped"}', headers=auth)
        assert untyped.status_code == (201 if stack in UNTYPED_ACCEPTED else 400), untyped.text


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_peer_refuses_other_media_types(stack: str) -> None:
    headers = {"Authorization": f"Bearer {VALID}"}
    with started(Case(stack)) as peer, httpx.Client(base_url=peer.url, timeout=10) as client:
        for media_type in ("application/vnd.api+json", "text/plain"):
            response = client.post(
                "/api-keys",
                content=b'{"name": "a"}',
                headers={**headers, "Content-Type": media_type},
            )
            assert response.status_code == 400, (media_type, response.text)
        invalid_utf8 = client.post(
            "/api-keys",
            content=b'{"name": "\xff"}',
            headers={**headers, "Content-Type": "application/json"},
        )
        assert invalid_utf8.status_code == 400, invalid_utf8.text


@pytest.fixture(scope="module")
def prism() -> Iterator[Peer]:
    node = require_node()
    require(PRISM.is_file(), f"{PRISM.relative_to(ROOT)} missing; run npm ci")
    port = free_port()  # prism cannot listen on port 0
    command = [node, str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port)]
    with peer_process([*command, "openapi/api-keys.yaml"], env={"NO_COLOR": "1"}) as peer:
        yield peer


def test_prism_defects_are_real(prism: Peer) -> None:
    # Pins the Prism behaviour the next test expects the harness to report.
    created = {"Content-Type": "application/json"}
    with httpx.Client(base_url=prism.url, timeout=30) as client:

        def post(token: str, body: bytes) -> httpx.Response:
            auth = {"Authorization": f"Bearer {token}"}
            return client.post("/api-keys", content=body, headers={**created, **auth})

        first, second = post(VALID, b'{"name": "a"}'), post(VALID, b'{"name": "b"}')
        assert first.status_code == second.status_code == 201
        assert first.headers["x-request-id"] == second.headers["x-request-id"]
        assert first.json()["name"] != "a"
        assert first.json()["clientSecret"] == second.json()["clientSecret"]
        assert post(FORBIDDEN, b'{"name": "a"}').status_code == 201
        assert post(UNKNOWN, b'{"name": "a"}').status_code == 201
        malformed = post(VALID, b"{")
        assert malformed.status_code == 400
        assert "x-request-id" not in malformed.headers
        assert "message" not in malformed.json()
        deep = post(VALID, b"[" * 100_000 + b"]" * 100_000)
        assert deep.status_code == 500
        assert post(VALID, b'{"name": "\xff"}').status_code == 201  # invalid UTF-8
        other = {"Authorization": f"Bearer {VALID}", "Content-Type": "application/vnd.api+json"}
        assert client.post("/api-keys", content=b'{"name": "a"}', headers=other).status_code == 201
        lower = {**created, "Authorization": f"bearer {VALID}"}  # RFC 9110: case-insensitive
        assert client.post("/api-keys", content=b'{"name": "a"}', headers=lower).status_code == 401


def _shapes(finding: Finding) -> str:
    return " | ".join([finding.cause, *(s.shape for s in finding.shapes), finding.example.curl])


def _statuses(finding: Finding) -> set[int | None]:
    return {s.example.status for s in finding.shapes}


# Every defect the README says the harness reports against Prism, each recognised from its
# finding: one finding per claim (one cause each), and no finding outside them.
PRISM_CLAIMS: dict[str, Callable[[Finding], bool]] = {
    # The header's example value on every response...
    "a constant X-Request-Id": lambda f: f.cause == "X-Request-Id repeated",
    # ...and none on Prism's own JSON-parse 400 and its 500.
    "no X-Request-Id on its own 400 and 500": lambda f: (
        f.cause == "X-Request-Id missing" and f.example.status in (400, 500)
    ),
    # The static 201 example: another name, the same clientId and clientSecret each time.
    "the static 201 that neither echoes the name nor changes its credentials": lambda f: (
        f.cause == "static success body"
        and {"name not echoed unchanged", "clientSecret repeated"} <= {s.shape for s in f.shapes}
    ),
    "any token accepted (one without permission, one never issued)": lambda f: (
        f.cause == "any bearer token is accepted"
        and {"token without permission", "never-issued token"} <= {s.shape for s in f.shapes}
    ),
    # Prism's own {"error": {...}} bodies, for malformed JSON (400) and its crash (500).
    '{"error": ...} bodies without message': lambda f: (
        f.check == "error_shape"
        and '"error"' in f.example.response_excerpt
        and _statuses(f) == {400, 500}
    ),
    "a 500 for JSON nested 100,000 levels deep": lambda f: (
        f.check == "status_conformance"
        and f.example.status == 500
        and "nested 100000 levels" in f.example.kind
    ),
    "a 201 for a body in invalid UTF-8": lambda f: (
        f.check == "rejection" and f.example.status == 201 and "UTF-8" in _shapes(f)
    ),
    # Found by the stack probes of issue 18: a valid token after "bearer" gets a 401.
    "the auth scheme compared case-sensitively": lambda f: (
        f.cause == "auth scheme compared case-sensitively" and f.example.status == 401
    ),
    "a 201 for a body sent as application/vnd.api+json": lambda f: (
        f.check == "rejection" and f.example.status == 201 and "+json" in _shapes(f)
    ),
}


@pytest.fixture(scope="module")
def prism_report(prism: Peer) -> Report:
    report = harness(prism.url)
    assert report.aborted is None, report.aborted
    return report


@pytest.mark.slow
@pytest.mark.parametrize("claim", PRISM_CLAIMS)
def test_harness_reports_each_prism_defect_the_readme_claims(
    prism_report: Report, claim: str
) -> None:
    found = [f for f in prism_report.findings if PRISM_CLAIMS[claim](f)]
    assert len(found) == 1, describe(prism_report)  # reported, and once: one cause


@pytest.mark.slow
def test_harness_reports_nothing_else_against_prism(prism_report: Report) -> None:
    unexplained = [
        f for f in prism_report.findings if not any(claim(f) for claim in PRISM_CLAIMS.values())
    ]
    assert unexplained == [], describe(prism_report)
    failing = {summary.name for summary in prism_report.checks if not summary.ok}
    assert failing == {c for f in prism_report.findings for c in f.checks}, prism_report.checks
