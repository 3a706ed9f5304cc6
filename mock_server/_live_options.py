"""The command-line options of the journal and the validation proxy, kept apart from the
mock's own (``_cli`` adds them and forwards what they say)."""

from __future__ import annotations

import argparse
import os
from typing import Any

ENV_PREFIX = "APIKEYS_MOCK_"


def _env(name: str, default: str | None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


def _flag(name: str) -> bool:
    return os.environ.get(ENV_PREFIX + name, "").lower() in ("1", "true", "yes", "on")


def _at_least_one(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1")
    return number


def add_journal_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--no-journal",
        action="store_true",
        default=_flag("NO_JOURNAL"),
        help="keep no request journal and serve nothing under /__mock/ [NO_JOURNAL=1]",
    )
    add(
        "--journal-size",
        type=_at_least_one,
        default=_env("JOURNAL_SIZE", "1000"),
        metavar="N",
        help="exchanges the journal keeps, newest first [JOURNAL_SIZE]",
    )


def journal_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The Settings fields the journal options set."""
    return {"journal": not args.no_journal, "journal_size": int(args.journal_size)}
