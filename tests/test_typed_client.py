"""The frontend toolchain as a real client: openapi-typescript generates types from the
contract the mock serves, ``tsc --strict`` type-checks an openapi-fetch program against
them, and node runs it against the mock over real HTTP.

The npm project is tests/typed_client/ (versions pinned in its package-lock.json), installed
by scripts/install-test-peers with ``npm ci``. Without node or that install the tests skip,
except under CI (CI=true), where they fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from apikeys_contract import bundled_spec_text
from mock_server import Settings, create_app

from .servers import serve
from .tools import require

PROJECT = Path(__file__).parent / "typed_client"
MODULES = PROJECT / "node_modules"
GENERATOR = MODULES / "openapi-typescript" / "bin" / "cli.js"
TSC = MODULES / "typescript" / "bin" / "tsc"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    require(found is not None, "node is not installed")
    require(
        GENERATOR.is_file() and TSC.is_file(),
        "tests/typed_client/node_modules missing; run scripts/install-test-peers",
    )
    assert found is not None
    return found


def run(node: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def build_client(node: str, spec_url: str, work: Path) -> subprocess.CompletedProcess[str]:
    """Generate src/api.d.ts from ``spec_url`` beside a copy of the program; run tsc."""
    shutil.copytree(PROJECT / "src", work / "src")
    for name in ("package.json", "tsconfig.json"):
        shutil.copy(PROJECT / name, work / name)
    (work / "node_modules").symlink_to(MODULES, target_is_directory=True)
    generated = run(node, GENERATOR, spec_url, "--output", work / "src" / "api.d.ts", cwd=work)
    assert generated.returncode == 0, generated.stderr
    return run(node, TSC, "--project", work / "tsconfig.json", cwd=work)


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve(create_app(Settings())) as url:
        yield url


def test_the_typed_program_compiles_strictly_and_talks_to_the_mock(
    node: str, mock_url: str, tmp_path: Path
) -> None:
    compiled = build_client(node, mock_url + "/openapi.yaml", tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    ran = run(node, tmp_path / "dist" / "main.js", mock_url, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    result: dict[str, Any] = json.loads(ran.stdout)
    assert result["created"]["status"] == 201
    assert result["created"]["name"] == "typed-client"
    assert result["created"]["clientIdLength"] == 36
    assert result["created"]["hasSecret"] is True
    assert result["created"]["requestId"]
    assert result["invalid"] == {
        "status": 400,
        "code": "invalid_request",
        "pointer": "/name",
        "keyword": "pattern",
    }
    assert result["forced"] == {
        "status": 400,
        "code": "body_too_large",
        "limit": 1_048_576,
        "preferenceApplied": "code=400, example=body_too_large",
    }
    assert result["denied"] == {"status": 403, "code": "permission_denied"}


def test_tsc_refuses_the_program_when_problems_is_untyped(node: str, tmp_path: Path) -> None:
    # The contract before this project typed the 400 body: `problems` was only an
    # additional property, `unknown` to TypeScript. The same program must not compile.
    document: dict[str, Any] = yaml.safe_load(bundled_spec_text())
    extension = document["components"]["schemas"]["BadRequestError"]["allOf"][1]
    del extension["properties"]["problems"]
    spec = tmp_path / "untyped.yaml"
    spec.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with serve(create_app(Settings(spec=spec))) as url:
        compiled = build_client(node, url + "/openapi.yaml", tmp_path / "client")
    assert compiled.returncode != 0
    source = (PROJECT / "src" / "main.ts").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(source, 1) if "invalid.error.problems" in text)
    assert f"src/main.ts({line}," in compiled.stdout, compiled.stdout
