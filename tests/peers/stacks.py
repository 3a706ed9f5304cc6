"""The test bed of stack defects (issue 18): which peer carries which defect, how to start
it, and which causes a harness report points to. Shared by tests/test_stack_peers.py and
bench/stack_defects.py.

Each peer runs in the stack where its defect really occurs, with the defect behind a
``--defect`` switch on one implementation, so that the defective peer and its conforming
twin share their code: Express with express.json (a case-sensitive scheme check,
body-parser's U+FFFD, an ``application/*+json`` parser, a normalizing store, a token read
from the query string), Go's net/http with encoding/json (case-insensitive struct fields,
U+FFFD), and FastAPI with pydantic in lax mode against a contract with an integer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from apikeys_contract import load_contract
from conformance import Report
from conformance._fields import RequestShape
from conformance._probes import Budget, boundary_probes
from conformance._stack_probes import stack_probes

from ._run import ROOT

PEERS = Path(__file__).parent
EXPRESS = PEERS / "node" / "express_server.js"
EXPRESS_MODULE = PEERS / "node" / "node_modules" / "express"
GO_SOURCE = PEERS / "go"
FASTAPI = PEERS / "fastapi_app.py"
EXPIRES_IN_DAYS = ROOT / "tests" / "variants" / "expires-in-days.yaml"
GO_BUILD_TIMEOUT = 300


class NotInstalled(Exception):
    """A stack this machine lacks; the message says what to install."""


@dataclass(frozen=True)
class StackCase:
    stack: str
    defect: str | None = None
    cause: str = ""  # the cause the harness must report
    also: frozenset[str] = frozenset()  # other causes the same defect shows
    what: str = ""  # the defect, for a table

    @property
    def id(self) -> str:
        return f"{self.stack}-{self.defect or 'conforming'}"

    @property
    def spec(self) -> str | None:
        return str(EXPIRES_IN_DAYS) if self.stack == "pydantic" else None


UTF8 = "invalid UTF-8 accepted: replaced by U+FFFD, dropped or read as a surrogate"
CASES = [
    StackCase(
        "express",
        "case-sensitive-scheme",
        "auth scheme compared case-sensitively",
        frozenset({"more than one space after the auth scheme refused"}),
        'header.startsWith("Bearer ")',
    ),
    StackCase("express", "replace-invalid-utf8", UTF8, what="body-parser's U+FFFD"),
    StackCase(
        "express",
        "plus-json",
        "structured-syntax +json media type accepted",
        what='express.json({type: "application/*+json"})',
    ),
    StackCase(
        "express",
        "normalize-nfc",
        "text changed by Unicode normalization",
        what="NFC on input",
    ),
    StackCase(
        "express",
        "query-token",
        "credentials accepted in the query string",
        what="token read from ?access_token=",
    ),
    StackCase(
        "go",
        "case-insensitive-fields",
        "property names matched case-insensitively",
        what="encoding/json into a struct",
    ),
    StackCase("go", "replace-invalid-utf8", UTF8, what="encoding/json's U+FFFD"),
    StackCase(
        "pydantic",
        "lax-mode",
        'coercing validator accepts "1" for an integer',
        frozenset({"coercing validator accepts true for an integer"}),
        "pydantic lax mode",
    ),
]
TWINS = [StackCase(stack, what="conforming twin") for stack in ("express", "go", "pydantic")]


def build_go(directory: Path) -> Path:
    """The Go peer, compiled into ``directory``."""
    go = shutil.which("go")
    if go is None:
        raise NotInstalled("go is not installed (scripts/install-test-peers installs it)")
    binary = directory / "go-peer"
    build = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=GO_SOURCE,
        capture_output=True,
        text=True,
        timeout=GO_BUILD_TIMEOUT,
        check=False,
        env={**os.environ, "GOFLAGS": "-mod=mod"},
    )
    if build.returncode != 0:
        raise RuntimeError(f"go build failed: {build.stderr.strip()}")
    return binary


def command(case: StackCase, flags: list[str], go_binary: Path | None) -> list[str]:
    """The command line that starts ``case``'s peer with ``flags`` (and its defect)."""
    flags = [*flags, "--defect", case.defect] if case.defect else flags
    match case.stack:
        case "express":
            node = shutil.which("node")
            if node is None:
                raise NotInstalled("node is not installed")
            if not EXPRESS_MODULE.is_dir():
                raise NotInstalled("express missing; run npm ci --prefix tests/peers/node")
            return [node, str(EXPRESS), *flags]
        case "go":
            if go_binary is None:
                raise NotInstalled("go is not installed (scripts/install-test-peers installs it)")
            return [str(go_binary), *flags]
        case _:
            return [sys.executable, str(FASTAPI), "--expires-in-days", *flags]


def fixed_probe_causes(spec: str | None) -> dict[str, str]:
    """The cause of each fixed probe, by the label a finding shows it under."""
    contract = load_contract(spec)
    shape = RequestShape(contract)
    budget = Budget(forbidden=True, unknown=True)
    probes = [*boundary_probes(contract, shape, budget), *stack_probes(contract, shape, budget)]
    return {probe.kind: probe.cause for probe in probes if probe.cause}


def _as_set(value: object) -> set[str]:
    if isinstance(value, str):
        return {value} if value else set()
    if isinstance(value, Iterable):
        return {str(v) for v in value if v}
    return set()


def found_causes(report: Report, spec: str | None) -> set[str]:
    """The causes the report's findings point to: a finding's own ``cause`` (or ``causes``)
    where it has one, and the causes of the fixed probes that showed it."""
    by_label = fixed_probe_causes(spec)
    causes: set[str] = set()
    for finding in report.findings:
        causes |= _as_set(getattr(finding, "cause", ""))
        causes |= _as_set(getattr(finding, "causes", ()))
        labels = {finding.example.kind, *finding.seen_with}
        causes |= {by_label[label] for label in labels if label in by_label}
    return causes
