"""List pages as the paging faults serve them: repeated or skipped items at page boundaries, a
cursor that never ends, a wrong `total`, pages far longer than `limit`."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sandbox.faults import PageFaults
from sandbox.store import Listing, Page, Window, read_page, shift_position


def _endless_position(page: Page, window: Window) -> list[int]:
    """A position past the end that differs from the one asked for: the key plus a counter that
    the keyset comparison ignores, so every page hands out a new, still valid, cursor."""
    base = page.last_position or window.position or [0] * len(window.key)
    if len(base) == len(window.key):
        return [*base, 1]
    return [*base[:-1], base[-1] + 1]


def _repeated(items: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    if not items:
        return items
    return [items[index % len(items)] for index in range(count)]


def read_list_page(
    connection: sqlite3.Connection,
    listing: Listing,
    conditions: Sequence[tuple[str, Any]],
    window: Window,
    faults: PageFaults,
) -> Page:
    """One page of a list, distorted as `faults` say (read honestly when they are all off)."""
    # A repeat of `limit` or more items would never move on, so it is capped to keep paging finite.
    steps = faults.skip - min(faults.repeat, window.limit - 1)
    if window.position is not None and steps:
        moved = shift_position(connection, listing, conditions, window, steps)
        window = replace(window, position=moved)
    page = read_page(connection, listing, conditions, window)
    if faults.endless and page.next_position is None:
        page = replace(page, next_position=_endless_position(page, window))
    if faults.total_offset:
        page = replace(page, total=max(0, page.total + faults.total_offset))
    if faults.factor > 1:
        page = replace(page, items=_repeated(page.items, faults.factor * window.limit))
    return page
