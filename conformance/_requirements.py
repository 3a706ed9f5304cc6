"""What the harness needs beyond the mock, and the entry points that check for it first.

The mock installs alone (``pip install apikeys-contract``); the harness's dependencies come
with the ``conformance`` extra. Without them, ``python -m conformance`` and
``apikeys-conformance`` say in one line what to install (exit 2), and the pytest plugin
stays out of the way of other projects' test runs. The list is read from this package's
metadata, where pyproject.toml puts it, not copied here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from importlib import metadata

DISTRIBUTION = "apikeys-contract"
EXTRA = "conformance"
EXIT_USAGE = 2  # as conformance._cli.EXIT_USAGE, which cannot be imported without the extra
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_EXTRA_MARKER = re.compile(rf"""extra\s*==\s*["']{EXTRA}["']""")


def missing() -> list[str]:
    """The distributions of the ``conformance`` extra that are not installed."""
    try:
        required = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:  # a source tree: the imports will tell
        return []
    absent: list[str] = []
    for requirement in required:
        name = _NAME.match(requirement)
        if name is None or not _EXTRA_MARKER.search(requirement):
            continue
        try:
            metadata.version(name.group())
        except metadata.PackageNotFoundError:
            absent.append(name.group())
    return absent


def install_hint(absent: Sequence[str]) -> str:
    return (
        f"the conformance harness needs {', '.join(absent)}: pip install '{DISTRIBUTION}[{EXTRA}]'"
    )


def main(argv: Sequence[str] | None = None, *, prog: str = "apikeys-conformance") -> int:
    absent = missing()
    if absent:
        print(f"{prog}: error: {install_hint(absent)}", file=sys.stderr)
        return EXIT_USAGE
    from ._cli import main as harness

    return harness(argv)
