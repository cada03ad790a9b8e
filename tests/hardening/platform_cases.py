"""The misbehaviours the platform suite applies, each with what it spoils and what it may cost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.hardening.platform_harness import PAGE_SIZE, RETRIES, pages

ATTEMPTS = RETRIES + 1
PADDING = 16 * 2**20  # each padded body is 64 times the exporter's cap


@dataclass(frozen=True)
class ListFault:
    """A fault on one inventory list: whether a list of n items is spoilt, its request bound."""

    fault: dict[str, Any]
    spoils: Callable[[int], bool]
    bound: Callable[[int], int]
    says: str  # in the log line of a refused list


def _never(items: int) -> bool:
    return False


def _always(items: int) -> bool:
    return True


def _one(items: int) -> int:
    return 1


LIST_FAULTS = {
    "honest": ListFault({}, _never, pages, ""),
    "repeated items": ListFault({"page_repeat": 1}, _never, lambda n: 2 * pages(n) + 1, "repeated"),
    # A list on one page loses nothing; a later page starting late does.
    "skipped items": ListFault({"page_skip": 1}, lambda n: n > PAGE_SIZE, pages, "total says"),
    "endless cursor": ListFault(
        {"endless_cursor": True}, _always, lambda n: pages(n) + 1, "cursor without end"
    ),
    "total too high": ListFault({"total_mismatch": 2}, _always, pages, "total says"),
    "total too low": ListFault({"total_mismatch": -1}, lambda n: n > 0, pages, "total says"),
    # Only a page with items can be blown up.
    "huge pages": ListFault({"huge_page": {"factor": 4}}, lambda n: n > 0, _one, "items for limit"),
    "multi-MB bodies": ListFault(
        {"huge_page": {"factor": 1, "padding_bytes": PADDING}}, _always, _one, "over the cap"
    ),
    "HTML instead of JSON": ListFault({"wrong_content_type": 1.0}, _always, _one, "text/html"),
    # An empty page is short enough to arrive in time even dripped; any other is not.
    "slow drip": ListFault(
        {"slow_drip_ms": 40}, lambda n: n > 0, lambda n: ATTEMPTS if n else 1, "still arriving"
    ),
}


@dataclass(frozen=True)
class KeptFault:
    """A fault that spoils one list of the workspaces whose resource counts `spoils` picks."""

    fault: dict[str, Any]
    spoils: Callable[[dict[str, int]], bool]


KEPT_FAULTS = {
    # Four workspaces an org, three a page: the org's list loses one and all are kept.
    "skipped workspaces": KeptFault({"page_skip": 1, "paths": "/workspaces$"}, lambda r: True),
    "wrong thread totals": KeptFault(
        {"total_mismatch": 2, "paths": "/threads$"}, lambda r: r["threads"] > 0
    ),
    "huge secrets pages": KeptFault(
        {"huge_page": {"factor": 3}, "paths": "/secrets$"}, lambda r: r["secrets"] > 0
    ),
}


@dataclass(frozen=True)
class ActivityFault:
    """A fault on the activity list; `refused` when no poll may count under it."""

    fault: dict[str, Any]
    refused: bool
    says: str


ACTIVITY_FAULTS = {
    "repeated records": ActivityFault({"page_repeat": 5}, False, "repeated"),
    "skipped records": ActivityFault({"page_skip": 5}, True, "total says"),
    "endless cursor": ActivityFault({"endless_cursor": True}, True, "cursor without end"),
    "total too high": ActivityFault({"total_mismatch": 3}, True, "total says"),
    "huge pages": ActivityFault({"huge_page": {"factor": 2}}, True, "items for limit"),
    "HTML instead of JSON": ActivityFault({"wrong_content_type": 1.0}, True, "text/html"),
    "slow drip": ActivityFault({"slow_drip_ms": 20}, True, "still arriving"),
}
