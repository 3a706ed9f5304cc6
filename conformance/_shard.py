"""One of N parts of a run, so that N CI jobs together send what one run sends.

- The fixed probes (boundaries, the stack's) are split by index: shard I of N sends the
  probes at positions I-1, I-1+N, I-1+2N... of the one list every run builds, so the
  shards' requests together are exactly the unsharded run's fixed requests.
- Each fuzzing phase's budget of examples is split: shard I gets ``examples // N``, plus
  one for the first ``examples % N`` shards, so the shares add up to the run's budget; it
  searches with a seed of its own derived from the run's seed and ``I/N`` (shard 1/1 keeps
  the run's seed), so the shards explore different examples and a shard run again with
  the same seed sends the same ones. The hunts that shrink a finding stay per shard.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from .errors import UsageError

T = TypeVar("T")
_FORM = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise UsageError(f"--shard {self} is out of range: I/N needs 1 <= I <= N")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def whole(self) -> bool:
        return self.count == 1

    def take(self, items: Sequence[T]) -> list[T]:
        """This shard's part of a fixed list."""
        return list(items[self.index - 1 :: self.count])

    def examples(self, budget: int) -> int:
        """This shard's share of a budget of examples: the shares add up to ``budget``."""
        return budget // self.count + (1 if self.index <= budget % self.count else 0)

    def seed(self, seed: int) -> int:
        """The seed this shard generates with: the run's own for the whole run."""
        if self.whole:
            return seed
        digest = hashlib.sha256(f"{seed}:{self}".encode()).digest()
        return int.from_bytes(digest[:8], "big")


WHOLE = Shard(1, 1)


def parse_shard(text: str) -> Shard:
    """``"2/4"`` -> ``Shard(2, 4)``; anything else is a one-line usage error."""
    match = _FORM.fullmatch(text)
    if match is None:
        raise UsageError(f"--shard must read I/N (e.g. 2/4), not {text!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise UsageError(f"--shard {text.strip()} is out of range: I/N needs 1 <= I <= N")
    return Shard(index, count)
