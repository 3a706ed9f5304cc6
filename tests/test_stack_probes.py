"""The fixed probes for the defect classes of real stacks (conformance/_stack_probes.py):
built from the contract, labelled with their cause, presented on the wire as labelled,
judged by the rule that decides them, and answered correctly by the mock."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest

from apikeys_contract import Answer, Contract, judge_body, load_contract
from apikeys_contract.checks import (
    CHECKS,
    Credential,
    Received,
    Rules,
    Sent,
    Violation,
    acceptance,
    authentication,
    run_check,
)
from conformance._curl import curl_command
from conformance._fields import RequestShape
from conformance._model import Probe
from conformance._probes import Budget, boundary_probes, lookalike_cause
from conformance._stack_probes import stack_probes
from conformance._transport import Tokens, Transport
from mock_server import Settings, create_app

from .servers import serve
from .test_conformance_checks import QueryRecorder

VARIANTS = Path(__file__).parent / "variants"
BUDGET = Budget(forbidden=True, unknown=True)
TOKEN = "stack-secret-token-1"


def probes_for(contract: Contract) -> list[Probe]:
    return list(stack_probes(contract, RequestShape(contract), BUDGET))


def variant(name: str) -> Contract:
    return load_contract(VARIANTS / f"{name}.yaml")


@pytest.mark.parametrize("name", ["api-key-query", "basic", "expires-in-days", "retyped"])
def test_every_stack_probe_names_its_cause(name: str) -> None:
    probes = probes_for(variant(name))
    assert probes
    assert all(probe.cause for probe in probes), [p.kind for p in probes if not p.cause]


def test_the_default_contract_gets_every_class() -> None:
    causes = {probe.cause for probe in probes_for(load_contract())}
    assert causes == {
        "auth scheme compared case-sensitively",
        "more than one space after the auth scheme refused",
        "credentials accepted in the query string",
        "invalid UTF-8 accepted: replaced by U+FFFD, dropped or read as a surrogate",
        "structured-syntax +json media type accepted",
        "text/json accepted",
        "form content type accepted with a JSON body",
        "media type parameters or case refused",
        "property names matched case-insensitively",
        "lookalike property name accepted",
        "control characters refused or changed",
        "text changed by Unicode normalization",
        "length counted in graphemes, bytes or UTF-16 units, not code points",
    }


def _renamed(document: dict[str, Any], old: str, new: str, max_length: int) -> dict[str, Any]:
    """The contract with its request property ``old`` called ``new``, with another limit."""
    renamed = copy.deepcopy(document)
    schema = renamed["components"]["schemas"]["CreateApiKeyRequest"]
    schema["properties"] = {new: {**schema["properties"].pop(old), "maxLength": max_length}}
    schema["required"] = [new]
    media = renamed["paths"]["/api-keys"]["post"]["requestBody"]["content"]["application/json"]
    media.pop("examples")
    return renamed


def test_stack_probes_are_built_from_the_contract() -> None:
    document = _renamed(dict(load_contract().document), "name", "title", 30)
    contract = Contract.from_document(document)
    probes = probes_for(contract)
    kinds = " | ".join(p.kind for p in probes)
    for lookalike in ('"TITLE"', '"Title"', '"title "'):
        assert lookalike in kinds
    assert "name" not in kinds.replace("Unicode normalization", "")
    lengths = [p for p in probes if p.cause.startswith("length counted")]
    # 30 code points accepted, 31 refused: the contract's maxLength, not the default one.
    assert {p.kind.split(" code points")[0].split(": ")[1] for p in lengths} == {"30", "31"}
    for probe in lengths:
        assert probe.verdict == judge_body(contract, probe.body, probe.content_type)


def test_probes_for_a_cause_have_the_verdict_the_cause_needs() -> None:
    accepted = {
        "auth scheme compared case-sensitively",
        "more than one space after the auth scheme refused",
        "credentials accepted in the query string",  # the body: the credential decides
        "media type parameters or case refused",
        "control characters refused or changed",
        "text changed by Unicode normalization",
    }
    for probe in probes_for(load_contract()):
        answers = probe.verdict.answers
        if probe.cause in accepted:
            assert answers == {Answer.SUCCESS}, probe.kind
        elif not probe.cause.startswith("length counted"):
            assert answers == {Answer.INVALID}, probe.kind


def test_credential_probes_fit_the_security_scheme() -> None:
    api_key = {p.credential for p in probes_for(variant("api-key-query"))}
    assert api_key == {Credential.VALID, Credential.QUERY_PARAMETER}  # no scheme to respell
    basic = {p.credential for p in probes_for(variant("basic"))}
    assert Credential.SCHEME_LOWER_CASE in basic
    document = copy.deepcopy(dict(variant("api-key-query").document))
    document["components"]["securitySchemes"]["apiKeyQuery"]["name"] = "access_token"
    named = {p.credential for p in probes_for(Contract.from_document(document))}
    assert Credential.QUERY_PARAMETER not in named  # there it is where the contract says
    assert {p.credential for p in probes_for(variant("no-auth"))} == {Credential.VALID}


@pytest.mark.parametrize("name", ["api-keys", "basic"])
def test_respelt_credentials_go_on_the_wire_and_into_curl(name: str) -> None:
    contract = load_contract() if name == "api-keys" else variant(name)
    credentials = [
        Credential.SCHEME_LOWER_CASE,
        Credential.SCHEME_UPPER_CASE,
        Credential.SCHEME_TWO_SPACES,
        Credential.QUERY_PARAMETER,
    ]
    probes = [p for p in probes_for(contract) if p.credential in credentials]
    assert [p.credential for p in probes] == credentials
    app = QueryRecorder()
    seen: list[tuple[str, str]] = []
    with serve(app) as url:
        security = contract.security
        transport = Transport(url + "/api-keys", Tokens(TOKEN), timeout=5, security=security)
        for probe in probes:
            transport.send(probe)
            line = curl_command(transport, probe)
            assert TOKEN not in line, line
            subprocess.run(
                ["sh", "-c", line + " >/dev/null"],
                check=True,
                timeout=30,
                env={"APIKEYS_CONFORMANCE_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"},
            )
            by_harness, by_curl = app.seen[-2][1], app.seen[-1][1]
            for header in ("authorization", "?"):
                assert by_curl.get(header) == by_harness.get(header), (header, line)
            seen.append((by_harness.get("authorization", ""), by_harness["?"]))
        transport.close()
    scheme = "Bearer" if name == "api-keys" else "Basic"
    (lower, _), (upper, _), (spaces, _), (none, query) = seen
    assert lower.startswith(scheme.lower() + " ")
    assert lower[len(scheme) + 1] != " "
    assert upper.startswith(scheme.upper() + " ")
    assert spaces.startswith(scheme + "  ")
    assert spaces[len(scheme) + 2] != " "
    assert none == ""
    assert query == f"access_token={TOKEN}"


def _sent(probe: Probe) -> Sent:
    return probe.sent((TOKEN,))


def _reply(status: int, body: bytes = b"{}") -> Received:
    return Received(status, (("content-type", "application/json"),), body)


def test_a_respelt_scheme_must_be_accepted_and_a_query_token_refused() -> None:
    contract = load_contract()
    rules = Rules(contract)
    probes = {p.credential: p for p in probes_for(contract)}
    refused = acceptance(rules, _sent(probes[Credential.SCHEME_LOWER_CASE]), _reply(401))
    assert refused
    assert isinstance(refused[0], Violation)
    assert refused[0].summary == "valid body answered 401"
    taken = authentication(rules, _sent(probes[Credential.QUERY_PARAMETER]), _reply(201))
    assert taken
    assert isinstance(taken[0], Violation)
    assert "access_token query parameter" in taken[0].summary
    assert authentication(rules, _sent(probes[Credential.SCHEME_TWO_SPACES]), _reply(201)) == ()


def test_coercion_lookalikes_are_labelled() -> None:
    document = copy.deepcopy(dict(load_contract().document))
    schema = document["components"]["schemas"]["CreateApiKeyRequest"]
    schema["properties"]["active"] = {"type": "boolean"}
    fields = {f.pointer: f for f in RequestShape(Contract.from_document(document)).fields}
    fields |= {f.pointer: f for f in RequestShape(variant("expires-in-days")).fields}
    assert lookalike_cause(fields["/expiresInDays"], "1") == (
        'coercing validator accepts "1" for an integer'
    )
    assert lookalike_cause(fields["/active"], 1) == "coercing validator accepts 1 for a boolean"
    assert lookalike_cause(fields["/name"], ["a"]) == (
        'coercing validator accepts ["a"] for a string'
    )
    assert lookalike_cause(fields["/expiresInDays"], 1) == ""
    contract = variant("expires-in-days")
    shape = RequestShape(contract)
    labelled = {p.kind: p.cause for p in boundary_probes(contract, shape, BUDGET) if p.cause}
    assert labelled['/expiresInDays = "1"'] == 'coercing validator accepts "1" for an integer'


def test_a_lone_surrogate_read_as_u_fffd_is_a_lenient_reading() -> None:
    contract = load_contract()
    verdict = judge_body(contract, b'{"name": "a\\ud800"}', "application/json")
    assert verdict.leniency
    assert Answer.SUCCESS in verdict.answers
    sent = Sent(verdict, Credential.VALID, (), "lone surrogate")
    echo = b'{"name": "a\\ufffd", "clientId": "c", "clientSecret": "s"}'
    assert acceptance(Rules(contract), sent, _reply(201, echo)) == ()
    other = b'{"name": "b", "clientId": "c", "clientSecret": "s"}'
    assert acceptance(Rules(contract), sent, _reply(201, other))  # still judged


@pytest.mark.parametrize("spec", [None, "expires-in-days", "basic"])
def test_the_mock_answers_every_stack_probe_as_the_contract_says(spec: str | None) -> None:
    contract = variant(spec) if spec else load_contract()
    path = str(VARIANTS / f"{spec}.yaml") if spec else None
    probes = [*probes_for(contract), *boundary_probes(contract, RequestShape(contract), BUDGET)]
    rules = Rules(contract)
    violations: list[str] = []
    with serve(create_app(Settings(spec=path))) as url:
        security = contract.security
        transport = Transport(url + contract.path, Tokens(TOKEN), timeout=10, security=security)
        for probe in (p for p in probes if p.cause):
            reply = transport.send(probe)
            for name in CHECKS:
                result = run_check(name, rules, _sent(probe), reply)
                assert isinstance(result, tuple | type(None)), result
                violations += [
                    f"{probe.kind}: {item.summary}"
                    for item in result or ()
                    if isinstance(item, Violation)
                ]
        transport.close()
    assert violations == []
