"""openapi-python-client as a real client: a client generated from the contract the mock
serves gets typed models (``BadRequestError.problems`` is a list of ``Problem``), sends
``Prefer`` as the README says, and ``with_headers`` behaves as the README warns."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_server import Settings, create_app

from .servers import serve

GENERATOR = Path(sys.executable).with_name("openapi-python-client")

PROGRAM = textwrap.dedent(
    """
    import json, sys
    from api_keys_client import AuthenticatedClient
    from api_keys_client.api.api_keys import create_api_key
    from api_keys_client.models import (
        ApiError, ApiKey, BadRequestError, CreateApiKeyRequest, Problem,
    )

    base_url = sys.argv[1]
    client = AuthenticatedClient(base_url=base_url, token="python-client-token")

    def call(with_client, name):
        body = CreateApiKeyRequest(name=name)
        response = create_api_key.sync_detailed(client=with_client, body=body)
        return response.status_code, response.parsed

    status, created = call(client, "from python")
    assert isinstance(created, ApiKey), created
    status_400, invalid = call(client, "   ")
    assert isinstance(invalid, BadRequestError), invalid
    problem = invalid.problems[0]
    assert isinstance(problem, Problem)

    # Prefer, the README's way: a client of its own.
    forced_client = AuthenticatedClient(
        base_url=base_url, token="python-client-token", headers={"Prefer": "code=403"}
    )
    status_403, denied = call(forced_client, "x")
    assert isinstance(denied, ApiError), denied
    after_own_client = call(client, "still fine")[0]

    # with_headers on a client that has sent a request changes that client too.
    client.with_headers({"Prefer": "code=500"})
    after_with_headers = call(client, "x")[0]

    print(json.dumps({
        "created": [int(status), created.name, len(created.client_id)],
        "invalid": [int(status_400), invalid.code, problem.pointer, problem.keyword],
        "denied": [int(status_403), denied.code],
        "after_own_client": int(after_own_client),
        "after_with_headers": int(after_with_headers),
    }))
    """
)


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve(create_app(Settings())) as url:
        yield url


def test_generated_python_client_types_problems_and_sends_prefer(
    mock_url: str, tmp_path: Path
) -> None:
    if not GENERATOR.exists():
        pytest.skip("openapi-python-client is not installed (the test extra brings it)")
    generated = run(
        GENERATOR,
        "generate",
        "--url",
        mock_url + "/openapi.json",
        "--meta",
        "none",
        "--output-path",
        tmp_path / "api_keys_client",
        cwd=tmp_path,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    (tmp_path / "program.py").write_text(PROGRAM, encoding="utf-8")
    ran = run(sys.executable, tmp_path / "program.py", mock_url, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    result: dict[str, Any] = json.loads(ran.stdout)
    assert result["created"] == [201, "from python", 36]
    assert result["invalid"] == [400, "invalid_request", "/name", "pattern"]
    assert result["denied"] == [403, "permission_denied"]
    assert result["after_own_client"] == 201
    # The README's warning, pinned: if a new release fixes it, this fails and the README
    # must change with it.
    assert result["after_with_headers"] == 500
