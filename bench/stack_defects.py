"""What the harness and plain Schemathesis catch of the stack-defect test bed (issue 18).

    python bench/stack_defects.py [--st-max-examples N] [--json PATH] [--write-docs [PATH]]

Starts every peer of tests/peers/stacks.py (Express, Go, FastAPI + pydantic), its
conforming twin first, and runs against each, one at a time:

- the harness, default profile, seed 0: caught when a finding points to the defect's
  cause (``Probe.cause``);
- plain Schemathesis, ``st run SPEC --url URL --checks all`` with the valid bearer token,
  seed 0, one worker: caught when it reports a failure (an STxxx code) that it does not
  report against the conforming twin of the same stack (the twin's own failures, such as
  404 rather than 405 for TRACE, are no catch).

Prints one row per defect: peer, defect, caught by the harness, caught by Schemathesis.
A peer whose stack is not installed is a row saying so.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import _docs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test bed lives in tests/peers

from conformance import Settings, Tokens, run_engine  # noqa: E402
from tests.peers import stacks  # noqa: E402
from tests.peers._run import peer_process  # noqa: E402
from tests.peers.stacks import NotInstalled, StackCase  # noqa: E402

VALID = "bench-valid-token-0001"
FORBIDDEN = "bench-readonly-token-0002"
FLAGS = ["--port", "0", "--tokens", VALID, "--forbidden", FORBIDDEN]
SPEC = ROOT / "openapi" / "api-keys.yaml"
FAILURE_CODE = re.compile(r"^- (ST\d+ .+)$", re.MULTILINE)
ST_TIMEOUT_S = 900


@dataclass
class Row:
    peer: str
    defect: str
    harness: str
    schemathesis: str
    detail: str = ""


def schemathesis_failures(url: str, spec: str, max_examples: int | None) -> set[str]:
    """The STxxx failures plain Schemathesis reports against ``url``."""
    st = shutil.which("st") or str(Path(sys.executable).with_name("st"))
    with tempfile.TemporaryDirectory() as scratch:
        junit = Path(scratch) / "junit.xml"
        line = [
            st, "run", spec, "--url", url, "--checks", "all",
            "-H", f"Authorization: Bearer {VALID}",
            "--seed", "0", "-w", "1", "--no-color",
            "--report", "junit", "--report-junit-path", str(junit),
        ]  # fmt: skip
        if max_examples is not None:
            line += ["--max-examples", str(max_examples)]
        subprocess.run(line, capture_output=True, timeout=ST_TIMEOUT_S, check=False)
        if not junit.is_file():
            raise RuntimeError("st run wrote no JUnit report")
        failures = ET.parse(junit).getroot().iter("failure")
        return {code for f in failures for code in FAILURE_CODE.findall(f.text or "")}


def measure(
    case: StackCase, go_binary: Path | None, max_examples: int | None
) -> tuple[set[str], set[str]]:
    """(the harness's causes, Schemathesis's failures) against ``case``'s peer."""
    spec = case.spec or str(SPEC)
    with peer_process(stacks.command(case, FLAGS, go_binary)) as peer:
        report = run_engine(Settings(peer.url, Tokens(VALID, FORBIDDEN), seed=0, spec=spec))
        causes = stacks.found_causes(report, case.spec)
        failures = schemathesis_failures(peer.url, spec, max_examples)
    return causes, failures


def run(max_examples: int | None) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as scratch:
        try:
            go_binary: Path | None = stacks.build_go(Path(scratch))
        except NotInstalled:
            go_binary = None
        for twin in stacks.TWINS:
            try:
                _, baseline = measure(twin, go_binary, max_examples)
            except NotInstalled as exc:
                rows.append(Row(twin.stack, "(all)", "not run", "not run", str(exc)))
                continue
            shown = ", ".join(sorted(baseline)) or "none"
            rows.append(Row(twin.stack, "conforming twin", "-", "-", f"st failures: {shown}"))
            print(f"{twin.stack} twin: Schemathesis reports {shown}", file=sys.stderr)
            for case in (c for c in stacks.CASES if c.stack == twin.stack):
                causes, failures = measure(case, go_binary, max_examples)
                new = failures - baseline
                rows.append(
                    Row(
                        case.stack,
                        case.what or str(case.defect),
                        "yes" if case.cause in causes else "no",
                        "yes" if new else "no",
                        f"st: {', '.join(sorted(new))}" if new else "",
                    )
                )
                print(f"  {case.id}: done", file=sys.stderr)
    return rows


def table(rows: list[Row]) -> _docs.Table:
    columns = ("peer", "defect", "this harness", "plain Schemathesis", "detail")
    cells = tuple((r.peer, r.defect, r.harness, r.schemathesis, r.detail) for r in rows)
    return _docs.Table("catches", "what each tool reports of each defect", columns, cells)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--st-max-examples", type=int, default=None, help="st's default")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    _docs.add_option(parser, __file__)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rows = run(args.st_max_examples)
    shown = table(rows)
    print(shown.text())
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    _docs.write(args.write_docs, __file__, argv, [shown])
    return 0


if __name__ == "__main__":
    sys.exit(main())
