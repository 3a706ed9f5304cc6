"""Keeps every exchange the mock answers in the journal (``--no-journal`` leaves it out).

``Recording`` turns what passed into the journal's ``Record``, redacted (at most
``BODY_LIMIT`` bytes of each body are stored); decoding waits until the journal is read.
The request path (``_request_path``) calls it once per request, for the operation and for
every other route alike. Requests for the journal's own prefix are not recorded (the
inspector polls it), unless the contract's operation lives there.
"""

from __future__ import annotations

import logging
import time

from starlette.types import Scope

from ..common import INJECTED, REQUEST_BODY, PreparedResponse, TurnBatch
from ._journal import BODY_LIMIT, Journal, RawPairs, Record, Redactor

PREFIX = "/__mock"
logger = logging.getLogger("mock_server")

# What ``keep`` notes of one exchange: its scope, start and end (``perf_counter()``), and
# the answer sent (None: none was, the client went away first).
Noted = tuple[Scope, float, float, PreparedResponse | None]


def journal_path(path: str, operation_path: str) -> bool:
    """True for the journal's own paths: under ``/__mock`` and not the operation's."""
    return path.startswith(PREFIX) and path != operation_path


class Recording:
    """Keeps exchanges in ``journal``, redacted first: the one place that turns what passed
    into a journal ``Record``.

    ``keep`` only notes what passed; the exchanges noted in one turn of the event loop are
    redacted and stored together at its end (or before the journal is read, whichever
    comes first). In a batch the work stays in the CPU's caches: measured over HTTP, the
    journal then costs a quarter of what it costs done request by request. Nothing
    unredacted outlives the turn, and nothing can read it.
    """

    def __init__(self, journal: Journal, redactor: Redactor, operation: tuple[str, str]) -> None:
        self.journal = journal
        self.redactor = redactor
        self.path, self.method = operation
        # One clock read per request: wall time from the monotonic clock.
        self.epoch = time.time() - time.perf_counter()
        self._noted: TurnBatch[Noted] = TurnBatch(self._store)
        journal.before_read(self.flush)

    def keep(self, scope: Scope, started: float, answer: PreparedResponse | None) -> None:
        """One exchange (``started``: its ``perf_counter()``), answered with ``answer``
        (None: not answered); the request body is the one left in the scope
        (``REQUEST_BODY``), if it was read. When ``answer.document`` is known, the secrets
        are left out of it without decoding the body."""
        self._noted.add((scope, started, time.perf_counter(), answer))

    def flush(self) -> None:
        """Redact and store every exchange noted so far."""
        self._noted.flush()

    def _store(self, noted: list[Noted]) -> None:
        # One loop: the journal's whole cost per request, its lookups made once per batch.
        redactor = self.redactor
        header_pairs, query_string = redactor.header_pairs, redactor.query_string
        epoch, operation = self.epoch, (self.method, self.path)
        stored = []
        for scope, started, ended, answer in noted:
            try:
                request_body = scope.get(REQUEST_BODY)  # None: answered without reading it
                method, path = scope["method"], scope["path"]
                status, body = 0, None
                headers: RawPairs = ()
                if answer is not None:
                    status, headers, body = answer.status, answer.headers, answer.body
                    if answer.document is None:
                        body = redactor.response_body(status, body)
                    else:
                        body = redactor.response_document(status, answer.document, body)
                stored.append(
                    Record(  # positional: a third of the keywords' cost, types checked
                        epoch + started,
                        method,
                        path,
                        query_string(scope["query_string"]),
                        header_pairs(scope["headers"]),
                        None if request_body is None else request_body[:BODY_LIMIT],
                        status,
                        header_pairs(headers),
                        None if body is None else body[:BODY_LIMIT],
                        ended - started,
                        (method, path) == operation,
                        (),
                        request_body is not None and len(request_body) > BODY_LIMIT,
                        body is not None and len(body) > BODY_LIMIT,
                        None if answer is None else answer.rule,
                        scope.get(INJECTED),
                    )
                )
            except Exception:  # one exchange the journal cannot store must not lose the rest
                logger.exception("the journal could not store an exchange")
        self.journal.store(stored)
