"""What `pip install .` costs: time, venv size and packages, in fresh virtual environments.

    python bench/install_footprint.py                    # the mock alone, and with the harness
    python bench/install_footprint.py --ref a266e65      # the same for an older commit

Each install runs in a new venv with pip's cache off, so the figures include downloads from
the package index (whichever one pip is configured with). Absolute figures vary with the
machine and the index; compare them within one run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import _docs
from _docs import Table

ROOT = Path(__file__).parents[1]


def size_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return total / 1e6


def source_at(ref: str | None, work: Path) -> Path:
    if ref is None:
        return ROOT
    archive = work / "source.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), ref], check=True)
    target = work / "source"
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


def measure(source: Path, extras: str, work: Path) -> tuple[float, float, int]:
    venv = work / f"venv-{extras or 'plain'}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    target = f"{source}[{extras}]" if extras else str(source)
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    started = time.perf_counter()
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", target], check=True, env=env)
    seconds = time.perf_counter() - started
    listed = subprocess.run(
        [str(venv / "bin" / "pip"), "list", "--format", "freeze"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return seconds, size_mb(venv), len(listed)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", help="a git commit to measure instead of the work tree")
    parser.add_argument(
        "--extras",
        default=",conformance",
        help="comma-separated extras to compare; empty for none (default: ',conformance')",
    )
    _docs.add_option(parser, __file__)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="install-footprint-") as tmp:
        work = Path(tmp)
        source = source_at(args.ref, work)
        empty = work / "empty"
        subprocess.run([sys.executable, "-m", "venv", str(empty)], check=True)
        baseline = size_mb(empty)
        rows.append(("an empty venv", "", f"{baseline:.0f}", "", ""))
        for extras in args.extras.split(","):
            seconds, mb, packages = measure(source, extras, work)
            what = f"pip install .[{extras}]" if extras else "pip install ."
            rows.append(
                (what, f"{seconds:.1f}", f"{mb:.0f}", f"{mb - baseline:.0f}", str(packages))
            )
    columns = ("install", "time s", "venv MB", "MB over an empty venv", "packages")
    title = f"in fresh venvs, pip's cache off, at {args.ref or 'the work tree'}"
    table = Table("footprint", title, columns, tuple(rows))
    print(table.text())
    _docs.write(args.write_docs, __file__, argv, [table])
    return 0


if __name__ == "__main__":
    sys.exit(main())
