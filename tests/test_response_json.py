"""Response bodies are read with the same strict reader as request bodies: what RFC 8259
leaves open (NaN, duplicate keys, UTF-16 text...) is a note, the same from the harness and
from the proxy, and a finding under the harness's ``--strict``, as for requests."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from apikeys_contract import JsonIssue, load_contract
from conformance import EXIT_CONFORMS, EXIT_VIOLATIONS, run
from mock_server import Settings
from mock_server.proxy._proxy import ProxyApp
from mock_server.proxy._proxy_settings import ProxySettings
from mock_server.proxy._run_report import build_report

from .servers import serve
from .targets import VALID_TOKEN
from .targets.odd_json import ODDITIES, Oddity, create_odd_json_target

ISSUES = {
    "nan": JsonIssue.CONSTANT,
    "duplicate key": JsonIssue.DUPLICATE_KEY,
    "utf-16": JsonIssue.OTHER_ENCODING,
}


def harness_report(oddity: Oddity, tmp_path: Path, *, strict: bool) -> tuple[int, dict[str, Any]]:
    report = tmp_path / "report.json"
    with serve(create_odd_json_target(oddity)) as url:
        code = run(
            base_url=url,
            token=VALID_TOKEN,
            max_examples=5,
            strict=strict,
            report_json=str(report),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    return code, json.loads(report.read_text())


@pytest.mark.parametrize("oddity", ODDITIES)
def test_the_harness_notes_a_success_body_a_strict_reader_refuses(
    oddity: Oddity, tmp_path: Path
) -> None:
    code, report = harness_report(oddity, tmp_path, strict=False)
    summary = f"lenient: success body with {ISSUES[oddity].value}"
    # (The reference target's own leniency with request bodies is noted under rejection.)
    shapes = [n["summary"] for n in report["notes"] if n["check"] == "success_shape"]
    assert shapes == [summary]
    assert report["findings"] == []
    assert code == EXIT_CONFORMS


def test_under_strict_the_harness_fails_it(tmp_path: Path) -> None:
    code, report = harness_report("nan", tmp_path, strict=True)
    assert code == EXIT_VIOLATIONS
    [finding] = [f for f in report["findings"] if f["check"] == "success_shape"]
    assert finding["summary"] == "strict: success body with NaN or Infinity"
    assert "strict RFC 8259 JSON" in finding["documented"]


@pytest.mark.parametrize("oddity", ODDITIES)
def test_the_proxy_notes_it_too(oddity: Oddity) -> None:
    with serve(create_odd_json_target(oddity)) as upstream:
        app = ProxyApp(Settings(), ProxySettings(upstream=upstream), contract=load_contract())
        with TestClient(app) as client:
            response = client.post(
                "/api-keys", json={"name": "ci"}, headers={"Authorization": f"Bearer {VALID_TOKEN}"}
            )
        entry = client.get("/__mock/requests").json()["requests"][-1]
    assert response.status_code == 201
    assert "x-contract-violations" not in response.headers
    text = response.content.decode("utf-16-le" if oddity == "utf-16" else "utf-8")
    secret = json.loads(text)["clientSecret"]
    stored = json.dumps(entry["response"]["body"]).replace("\\u0000", "")
    assert secret not in stored  # the journal keeps no secret, however the body is encoded
    report = build_report(app.session, upstream, strict=False)
    summary = f"lenient: success body with {ISSUES[oddity].value}"
    assert [(n.check, n.summary) for n in report.notes] == [("success_shape", summary)]
    assert report.findings == []
