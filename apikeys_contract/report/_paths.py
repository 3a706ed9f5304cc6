"""Where a report will be written: the one rule the harness and the validation proxy share.

As pytest's ``--junitxml`` does, the missing parent directories of a report path are
created; unlike a write at the end of a run, this happens before the run starts, so a path
that cannot take a report is refused at once, in one line, not after the work is done.
"""

from __future__ import annotations

import os
from pathlib import Path


def prepare_report_path(path: str | os.PathLike[str]) -> str | None:
    """Create the missing parent directories of ``path``; say why a report cannot be
    written there (None: it can). Never raises."""
    target = Path(path)
    if target.is_dir():
        return f"{path} is a directory"
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next(
            (p for p in (*reversed(parent.parents), parent) if p.exists() and not p.is_dir()),
            parent,  # gone since: name the directory that could not be made
        )
        if blocker == parent:
            return f"{parent} is not a directory"
        return f"cannot create directory {parent}: {blocker} is not a directory"
    except OSError as exc:
        return f"cannot create directory {parent}: {exc.strerror or type(exc).__name__}"
    if not os.access(parent, os.W_OK | os.X_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        return f"{path} is not writable"
    return None
