"""The stores the façade's history tests run against: each holds the same backfilled history."""

from __future__ import annotations

import pytest

STORES = ("prometheus", "victoriametrics")
# The fixtures that put a test on the backfilled history (the build starts once one is collected).
HISTORY_FIXTURES = ("history_store", "history_prometheus", "history_victoriametrics")

# Marks a test module whose every test runs once per store, each store started once per session.
on_every_store = pytest.mark.parametrize("history_store", STORES, indirect=True, scope="session")


def reads_history(item: pytest.Item) -> bool:
    """Whether a collected test needs the backfilled history."""
    names = getattr(item, "fixturenames", ())
    return any(name in names for name in HISTORY_FIXTURES)
