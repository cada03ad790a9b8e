"""Freshness judged from the freshness part of a reading: by age, and by whether the exporter
that owns the org is still scraped."""

from __future__ import annotations

import pytest

from facade import promql
from facade.errors import ServiceUnavailable
from facade.prometheus import Sample
from facade.readings import Freshness, Reading

NOW = 1_750_000_000.0
FRESHNESS = Freshness(stale_after=60, retry_after=15)


def freshness(collector: str, at: float, owner: str | None = None) -> Sample:
    labels = {promql.PART_LABEL: promql.Part.FRESHNESS.value, "collector": collector}
    if owner is not None:
        labels[promql.OWNER_LABEL] = owner
    return Sample(labels, at)


@pytest.mark.parametrize("owner", [None, "present"])
def test_recent_collections_of_a_scraped_owner_pass(owner: str | None) -> None:
    reading = Reading([freshness("inventory", NOW - 59, owner)], NOW)
    FRESHNESS.check(reading, ["inventory"])


def test_an_old_collection_is_stale() -> None:
    reading = Reading([freshness("inventory", NOW - 61, "present")], NOW)
    with pytest.raises(ServiceUnavailable) as raised:
        FRESHNESS.check(reading, ["inventory"])
    assert raised.value.details == {
        "reason": "stale",
        "retry_after": 15,
        "collector": "inventory",
        "last_success": NOW - 61,
    }


def test_an_owner_no_longer_scraped_is_stale_however_recent() -> None:
    reading = Reading(
        [freshness("inventory", NOW - 1, "gone"), freshness("activity", NOW - 1, "present")], NOW
    )
    FRESHNESS.check(reading, ["activity"])
    with pytest.raises(ServiceUnavailable) as raised:
        FRESHNESS.check(reading, ["activity", "inventory"])
    assert raised.value.details == {
        "reason": "stale",
        "retry_after": 15,
        "collector": "inventory",
        "last_success": NOW - 1,
    }
