"""The pytest entry point: one test item per check, all fed by a single harness run.

    pytest -p conformance.plugin --conformance-base-url=URL --conformance-token=TOKEN

(Installed with this project, the plugin loads by itself and ``-p`` is not needed.)
Items are added only when a base URL is given, by option or by
``APIKEYS_CONFORMANCE_BASE_URL``; otherwise the plugin does nothing.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from apikeys_contract.report import (
    CheckState,
    CoverageRequirement,
    Report,
    missing_coverage,
    parse_coverage_terms,
)

from ._cli import ENV_PREFIX
from ._settings import DEFAULT_TIMEOUT, PROFILES, Settings, profile_named
from ._shard import WHOLE, parse_shard
from ._transport import Tokens
from .checks import CHECKS
from .engine import Engine, selected_checks
from .errors import ConformanceError
from .reports import console_summary

REPORT_KEY = pytest.StashKey["Report | str"]()
OPTIONS = (
    ("base-url", "BASE_URL", "the target's base URL; enables the conformance items"),
    ("token", "TOKEN", "a bearer token that may create keys"),
    ("forbidden-token", "FORBIDDEN_TOKEN", "a valid token without permission (403)"),
    ("unknown-token", "UNKNOWN_TOKEN", "a token the target does not know (401)"),
    ("seed", "SEED", "seed of the generated examples (default 0)"),
    ("max-examples", "MAX_EXAMPLES", "examples per fuzzing phase"),
    ("profile", "PROFILE", f"depth of the run: {', '.join(PROFILES)}"),
    ("timeout", "TIMEOUT", f"seconds allowed for each request (default {DEFAULT_TIMEOUT:g})"),
    ("rate-limit", "RATE_LIMIT", "at most this many requests per second"),
    ("spec", "SPEC", "the OpenAPI contract (default: the bundled one)"),
    ("checks", "CHECKS", "run only these checks (comma-separated names)"),
    ("shard", "SHARD", "run part I of N (e.g. 2/4), as a CI job of N; merge the JSON reports"),
    (
        "require-coverage",
        "REQUIRE_COVERAGE",
        "add the item conformance::coverage, failing unless the run covered these "
        "(statuses=201,400,401,403 constraints=all ...)",
    ),
)
FLAGS = (
    ("strict", "STRICT", "fail on behaviour the contract leaves open"),
    ("no-unknown-token-check", "NO_UNKNOWN_TOKEN_CHECK", "do not send a never-issued token"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "API-keys contract conformance")
    for flag, env, text in OPTIONS:
        group.addoption(
            f"--conformance-{flag}", default=None, help=f"{text} [env {ENV_PREFIX}{env}]"
        )
    for flag, env, text in FLAGS:
        group.addoption(
            f"--conformance-{flag}",
            action="store_true",
            default=False,
            help=f"{text} [env {ENV_PREFIX}{env}]",
        )


def _flag(config: pytest.Config, flag: str, env: str) -> bool:
    if config.getoption(f"--conformance-{flag}"):
        return True
    return os.environ.get(ENV_PREFIX + env, "").strip().lower() in ("1", "true", "yes", "on")


def _option(config: pytest.Config, flag: str, env: str) -> str | None:
    value = config.getoption(f"--conformance-{flag}")
    return str(value) if value is not None else os.environ.get(ENV_PREFIX + env) or None


def _settings(config: pytest.Config) -> Settings | None:
    values = {flag: _option(config, flag, env) for flag, env, _ in OPTIONS}
    if values["base-url"] is None:
        return None
    examples, rate = values["max-examples"], values["rate-limit"]
    return Settings(
        base_url=values["base-url"],
        tokens=Tokens(values["token"] or "", values["forbidden-token"], values["unknown-token"]),
        seed=int(values["seed"] or 0),
        profile=profile_named(values["profile"] or "default"),
        max_examples=int(examples) if examples else None,
        timeout=float(values["timeout"] or DEFAULT_TIMEOUT),
        rate_limit=float(rate) if rate else None,
        spec=values["spec"],
        strict=_flag(config, "strict", "STRICT"),
        checks=selected_checks(values["checks"].split(",")) if values["checks"] else None,
        unknown_token_check=not _flag(config, "no-unknown-token-check", "NO_UNKNOWN_TOKEN_CHECK"),
        shard=parse_shard(values["shard"]) if values["shard"] else WHOLE,
    )


def _required(config: pytest.Config) -> tuple[CoverageRequirement, ...]:
    """What ``--conformance-require-coverage`` asks (raises ``CoverageGateError``)."""
    terms = _option(config, "require-coverage", "REQUIRE_COVERAGE")
    return parse_coverage_terms(terms.split()) if terms else ()


class ConformanceFailure(Exception):
    pass


def _run_report(config: pytest.Config) -> Report:
    """The run's report; a run that could not start fails the item asking for it."""
    report = _report(config)
    if isinstance(report, str):
        raise ConformanceFailure(report)
    return report


class ConformanceItem(pytest.Item):
    def runtest(self) -> None:
        report = _run_report(self.config)
        if report.internal_errors:
            raise ConformanceFailure(
                "internal error of the harness (not the target's): "
                + "; ".join(f"{e.summary}: {e.detail}" for e in report.internal_errors)
            )
        findings = report.findings_for(self.name)
        if findings:
            raise ConformanceFailure(
                "\n\n".join(
                    f"{f.message}\n    example: {f.example.kind}\n    reproduce: {f.example.curl}"
                    for f in findings
                )
            )
        if report.aborted and self.name == "status_conformance":
            raise ConformanceFailure(f"run aborted: {report.aborted}")
        summary = report.summary(self.name)
        if summary.state is CheckState.NOT_RUN:
            pytest.skip(f"not run: {summary.skipped_reason or 'no exchange it applies to'}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConformanceFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "conformance", None, f"conformance::{self.name}"


class CoverageItem(ConformanceItem):
    """``conformance::coverage``: the coverage gate, one line per required item missed."""

    def runtest(self) -> None:
        report = _run_report(self.config)
        if report.coverage_missing:
            raise ConformanceFailure(
                "coverage below what --conformance-require-coverage asks:\n"
                + "\n".join(f"  - {line}" for line in report.coverage_missing)
            )


class ConformanceChecks(pytest.Collector):
    """The parent of the check items: their node ids read ``conformance::<check>``."""

    def collect(self) -> list[pytest.Item]:
        items: list[pytest.Item] = [ConformanceItem.from_parent(self, name=n) for n in CHECKS]
        if _required(self.config):
            items.append(CoverageItem.from_parent(self, name="coverage"))
        return items


def _report(config: pytest.Config) -> Report | str:
    if REPORT_KEY not in config.stash:
        try:
            settings = _settings(config)
            assert settings is not None
            report = Engine(settings).run()
            required = _required(config)
            if report.coverage is not None and required:
                report.coverage_required = [str(r) for r in required]
                report.coverage_missing = missing_coverage(report.coverage, required)
            config.stash[REPORT_KEY] = report
        except (ConformanceError, ValueError) as exc:
            config.stash[REPORT_KEY] = f"conformance run failed: {exc}"
    return config.stash[REPORT_KEY]


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    try:
        enabled = _settings(config) is not None
        _required(config)
    except (ConformanceError, ValueError) as exc:
        raise pytest.UsageError(f"conformance: {exc}") from None
    if enabled:
        items.extend(
            ConformanceChecks.from_parent(
                session, name="conformance", nodeid="conformance"
            ).collect()
        )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    report = config.stash.get(REPORT_KEY, None)
    if isinstance(report, Report):
        terminalreporter.write_sep("=", "API-keys conformance")
        terminalreporter.write(console_summary(report))
