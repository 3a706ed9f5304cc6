"""The public surface changes only on purpose."""

from __future__ import annotations

import apikeys_contract
import mock_server


def test_mock_server_public_names() -> None:
    assert sorted(mock_server.__all__) == [
        "ApiError",
        "Settings",
        "TokenPolicy",
        "TokenPolicyError",
        "__version__",
        "create_app",
        "run",
    ]


def test_apikeys_contract_public_names() -> None:
    assert sorted(apikeys_contract.__all__) == [
        "Contract",
        "ResponseSpec",
        "SpecError",
        "bundled_spec_text",
        "load_contract",
        "pointer",
        "resolve",
    ]
