"""The command-line options of the journal and the validation proxy, kept apart from the
mock's own (``_cli`` adds them and forwards what they say; its parser reads their
environment twins, as it does every option's)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from apikeys_contract.report import prepare_report_path

from ..mock import TokenPolicy
from ..proxy import ProxySettings
from ._argtypes import positive, positive_seconds


def add_journal_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--no-journal",
        action="store_true",
        default=False,
        help="keep no request journal and serve nothing under /__mock/ [NO_JOURNAL=1]",
    )
    add(
        "--journal-size",
        type=positive,
        default="1000",
        metavar="N",
        help="exchanges the journal keeps, newest first [JOURNAL_SIZE]",
    )


def journal_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The Settings fields the journal options set."""
    return {"journal": not args.no_journal, "journal_size": int(args.journal_size)}


def add_proxy_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--proxy",
        default=None,
        metavar="URL",
        help="validation proxy: forward every request to the implementation at URL (its base "
        "URL; the contract's path is kept) and judge both sides [PROXY]",
    )
    add(
        "--proxy-strict",
        action="store_true",
        default=False,
        help="replace a response that breaks the contract by a 500 saying why [PROXY_STRICT=1]",
    )
    add(
        "--proxy-timeout",
        type=positive_seconds,
        default="10",
        metavar="SECONDS",
        help="an upstream that has not answered by then gets the client a 500 [PROXY_TIMEOUT]",
    )
    add(
        "--report-json",
        default=None,
        metavar="PATH",
        help="proxy: write the run report as JSON (the harness's format) when stopped "
        "[REPORT_JSON]",
    )
    add(
        "--junit-xml",
        default=None,
        metavar="PATH",
        help="proxy: write the run report as JUnit XML when stopped [JUNIT_XML]",
    )


def proxy_settings(
    parser: argparse.ArgumentParser, args: argparse.Namespace, tokens: TokenPolicy | None
) -> ProxySettings | None:
    """The proxy's settings (None: mock mode); a usage error exits 2 with one line."""
    reports = [Path(p) for p in (args.report_json, args.junit_xml) if p]
    if args.proxy is None:
        if reports or args.proxy_strict:
            parser.error("--proxy-strict, --report-json and --junit-xml need --proxy URL")
        return None
    try:
        settings = ProxySettings(
            upstream=args.proxy,
            strict=args.proxy_strict,
            timeout_s=float(args.proxy_timeout),
            tokens=tokens,
            report_json=Path(args.report_json) if args.report_json else None,
            junit_xml=Path(args.junit_xml) if args.junit_xml else None,
        )
    except ValueError as exc:
        parser.error(f"--proxy: {exc}")
    if reports:
        problem = next(filter(None, map(prepare_report_path, reports)), None)
        if problem:
            parser.error(f"cannot write a report: {problem}")
    return settings
