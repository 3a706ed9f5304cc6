"""Is anything serving the operation at the URL? When the first probes all get 404 or 405,
nothing is (often ``--base-url`` holds the path already): the run stops there, saying so,
instead of sending the rest."""

from __future__ import annotations

from urllib.parse import urlsplit

from apikeys_contract import Contract

from .errors import TargetUnreachable

WRONG_PATH_STATUSES = (404, 405)
WRONG_PATH_PROBES = 5


class FirstAnswers:
    """The statuses of the first probes (None: no answer)."""

    def __init__(self) -> None:
        self.statuses: list[int | None] = []

    def add(self, status: int | None) -> None:
        if len(self.statuses) < WRONG_PATH_PROBES:
            self.statuses.append(status)

    def stop_if_nothing_there(self, contract: Contract, base_url: str, url: str) -> None:
        """Raise ``TargetUnreachable`` when the first probes show nothing serves ``url``."""
        first = self.statuses
        if len(first) < WRONG_PATH_PROBES or not all(s in WRONG_PATH_STATUSES for s in first):
            return
        got = "/".join(map(str, sorted({s for s in first if s is not None})))
        path = contract.path
        advice = (
            f": try --base-url {base_url.removesuffix(path)}"
            if urlsplit(base_url).path.endswith(path)
            else ""
        )
        raise TargetUnreachable(
            f"nothing serves {contract.method} {url}: the first "
            f"{len(first)} probes all got {got}. --base-url is the server's root, and the "
            f"contract's path ({path}) is appended to it{advice}"
        )
