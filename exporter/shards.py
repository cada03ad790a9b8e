"""Which configured orgs one exporter owns when several share them: shard k of N.

An org belongs to shard `1 + h % N`, where `h` is the first 8 bytes of the SHA-256 of its id
read as a big-endian integer. The hash depends on the id alone, so every exporter computes the
same assignment from the same list in any order, every id lands in exactly one shard, and adding
an org to the list moves no other org.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

MAX_SHARDS = 1024


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, org_id: str) -> bool:
        """Whether `org_id` belongs to this shard."""
        return shard_number(org_id, self.count) == self.index

    def select(self, org_ids: Iterable[str]) -> tuple[str, ...]:
        """The ids of `org_ids` this shard owns, in their given order."""
        return tuple(org_id for org_id in org_ids if self.owns(org_id))


def shard_number(org_id: str, count: int) -> int:
    """The shard (1 to `count`) that owns `org_id`."""
    digest = hashlib.sha256(org_id.encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def parse_shard(value: object) -> Shard:
    """`k/N` (for example `2/4`) with whole numbers 1 <= k <= N <= MAX_SHARDS."""
    text = str(value).strip()
    index, sep, count = text.partition("/")
    if not sep or not index.strip().isdigit() or not count.strip().isdigit():
        raise ValueError(f"must be k/N, for example 2/4 (got {text!r})")
    shard = Shard(int(index), int(count))
    if not 1 <= shard.count <= MAX_SHARDS:
        raise ValueError(f"the shard count N must be between 1 and {MAX_SHARDS}")
    if not 1 <= shard.index <= shard.count:
        raise ValueError(f"the shard k must be between 1 and N ({shard.count})")
    return shard
