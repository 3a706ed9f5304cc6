"""The command-line options of injected faults (``--chaos``, ``--rate-limit``), kept apart
from the mock's own: ``_cli`` adds them, forwards what they say to ``Settings`` and prints
the counts when the server stops."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from apikeys_contract import SpecError, load_contract

from ..mock import (
    KEYS,
    ChaosSpec,
    ChaosSpecError,
    RateLimit,
    Settings,
    injection_refusal,
    injector_of,
)
from ._argtypes import non_negative


def _chaos(value: str) -> ChaosSpec:
    try:
        return ChaosSpec.parse(value)
    except ChaosSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _rate(value: str) -> RateLimit:
    try:
        return RateLimit.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_fault_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--chaos",
        type=_chaos,
        default=None,
        metavar="SPEC",
        help="inject documented errors, transport faults and latency into the operation's "
        "requests, e.g. 500=5%%,reset=1%%,latency=uniform:50-200ms (see docs/faults.md) "
        "[CHAOS]",
    )
    add(
        "--chaos-seed",
        type=non_negative,
        default="0",
        metavar="N",
        help="the same seed and request sequence give the same faults [CHAOS_SEED]",
    )
    add(
        "--rate-limit",
        type=_rate,
        default=None,
        metavar="N/s",
        help="answer the contract's 429 once a key has sent N requests in the window "
        "(10/s, 100/min); only for a contract that documents a 429 [RATE_LIMIT]",
    )
    add(
        "--rate-limit-key",
        default="token",
        choices=KEYS,
        help="whose budget a request spends: its token's, or its client address's [RATE_LIMIT_KEY]",
    )


def fault_settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    """The Settings fields the fault options set; one line and exit 2 for what the contract
    cannot give (a status it does not document, a 429 it does not document)."""
    found: dict[str, Any] = {
        "chaos": args.chaos,
        "chaos_seed": int(args.chaos_seed),
        "rate_limit": args.rate_limit,
        "rate_limit_key": args.rate_limit_key,
    }
    if args.chaos is None and args.rate_limit is None:
        return found
    if getattr(args, "proxy", None):
        parser.error("--chaos and --rate-limit shape the mock's answers, not the proxy's")
    try:
        contract = load_contract(Path(args.spec) if args.spec else None)
    except SpecError:
        return found  # the server's start-up reports a contract it cannot load
    problem = injection_refusal(contract, Settings(**found))
    if problem is not None:
        parser.error(problem)
    return found


def report_injected(app: Any) -> None:
    """On shutdown: one line of what was injected, if anything was."""
    injector = injector_of(app)
    summary = injector.summary() if injector is not None else None
    if summary is not None:
        print(f"mock_server: {summary}", file=sys.stderr, flush=True)
