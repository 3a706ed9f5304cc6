"""Writers over a ``Report``: live console progress here; the console summary, JUnit XML and
JSON are the shared layer's (``apikeys_contract.report``), re-exported.

They only read results; every secret was masked before it got here.
"""

from __future__ import annotations

from typing import TextIO

from apikeys_contract.report import (
    FORMAT_VERSION,
    console_summary,
    json_report,
    junit_xml,
    report_data,
    write,
)

from ._model import Event, PhaseFinished, PhaseStarted, ProbeSent

__all__ = [
    "FORMAT_VERSION",
    "ConsoleProgress",
    "console_summary",
    "json_report",
    "junit_xml",
    "report_data",
    "write",
]

WIDTH = 60
PHASE_COLUMN = 15


class ConsoleProgress:
    """A listener for the engine: one character per request, a line per phase. A phase's
    name is shown with its first request, so that a target that never answers leaves no
    label behind."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.column = 0
        self.mid_line = False
        self.label = ""

    def end_line(self) -> None:
        """End a line of progress cut short, so that what follows starts on a line of its own."""
        if self.mid_line:
            self._write("\n")

    def __call__(self, event: Event) -> None:
        if isinstance(event, PhaseStarted):
            self.label = f"{event.phase:<{PHASE_COLUMN}}"
            self.column = 0
            return
        self._write(self.label)
        self.label = ""
        if isinstance(event, ProbeSent):
            if self.column == WIDTH:
                self._write("\n" + " " * PHASE_COLUMN)
                self.column = 0
            mark = "E" if event.status is None else ("F" if event.violations else ".")
            self._write(mark)
            self.column += 1
        elif isinstance(event, PhaseFinished):
            self._write(" " * (WIDTH - self.column) + f" {event.requests:>4}\n")
            if event.stopped_early:
                self._write(f"{'':<{PHASE_COLUMN}}stopped early: {event.stopped_early}\n")

    def _write(self, text: str) -> None:
        if text:
            self.stream.write(text)
            self.stream.flush()
            self.mid_line = not text.endswith("\n")
