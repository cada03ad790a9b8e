"""Bucket boundaries: UTC hours, calendar days in DST and half-hour zones, and their read runs."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from facade import buckets


def at(text: str) -> float:
    """Unix time of an ISO-8601 instant."""
    return datetime.fromisoformat(text).timestamp()


def lengths(result: buckets.Buckets) -> list[float]:
    """Hours between consecutive boundaries."""
    points = result.boundaries
    return [(b - a) / 3600 for a, b in itertools.pairwise(points)]


def test_hourly_ends_with_the_partial_hour() -> None:
    result = buckets.hourly(at("2025-03-20T10:37:30+00:00"), 3)
    assert result.labels() == [
        "2025-03-20T08:00:00Z",
        "2025-03-20T09:00:00Z",
        "2025-03-20T10:00:00Z",
    ]
    assert lengths(result) == [1.0, 1.0, 0.625]


def test_new_york_days_around_both_dst_changes() -> None:
    spring = buckets.daily(at("2025-03-10T12:00:00-04:00"), 3, ZoneInfo("America/New_York"))
    assert spring.labels() == [
        "2025-03-08T00:00:00-05:00",
        "2025-03-09T00:00:00-05:00",
        "2025-03-10T00:00:00-04:00",
    ]
    assert lengths(spring) == [24.0, 23.0, 12.0]
    autumn = buckets.daily(at("2024-11-04T06:00:00-05:00"), 3, ZoneInfo("America/New_York"))
    assert lengths(autumn) == [24.0, 25.0, 6.0]


def test_half_hour_and_quarter_hour_zones() -> None:
    kolkata = buckets.daily(at("2025-03-20T10:37:30+00:00"), 2, ZoneInfo("Asia/Kolkata"))
    assert kolkata.labels() == ["2025-03-19T00:00:00+05:30", "2025-03-20T00:00:00+05:30"]
    assert kolkata.starts[1] == at("2025-03-19T18:30:00+00:00")
    kathmandu = buckets.daily(at("2025-03-20T10:37:30+00:00"), 1, ZoneInfo("Asia/Kathmandu"))
    assert kathmandu.starts == (at("2025-03-19T18:15:00+00:00"),)
    assert kathmandu.labels() == ["2025-03-20T00:00:00+05:45"]


def test_a_day_whose_midnight_does_not_exist_starts_at_the_jump() -> None:
    """Santiago skipped from 00:00 to 01:00 on 2024-09-08."""
    result = buckets.daily(at("2024-09-08T12:00:00-03:00"), 2, ZoneInfo("America/Santiago"))
    assert result.starts[1] == at("2024-09-08T04:00:00+00:00")
    assert result.labels()[1] == "2024-09-08T01:00:00-03:00"
    assert lengths(result) == [24.0, 11.0]


def test_utc_days_are_labelled_with_z() -> None:
    result = buckets.daily(at("2025-03-20T00:00:00+00:00"), 2, UTC)
    assert result.labels() == ["2025-03-19T00:00:00Z", "2025-03-20T00:00:00Z"]


def test_reads_group_equal_spacing_and_isolate_dst_days() -> None:
    result = buckets.daily(at("2025-03-12T12:00:00-04:00"), 6, ZoneInfo("America/New_York"))
    runs = buckets.reads(result)
    spans = [(run.first, run.last, run.step / 3600) for run in runs]
    assert spans == [(0, 2, 24.0), (3, 3, 23.0), (4, 5, 24.0), (6, 6, 12.0)]
    covered = [i for run in runs for i in range(run.first, run.last + 1)]
    assert covered == list(range(len(result.boundaries)))
    for run in runs:
        assert run.start == result.boundaries[run.first]


def test_now_on_a_boundary_reads_no_empty_window() -> None:
    result = buckets.hourly(at("2025-03-20T10:00:00+00:00"), 2)
    runs = buckets.reads(result)
    assert [(run.first, run.last) for run in runs] == [(0, 1)]


def test_weeks_start_on_monday_or_sunday_and_the_current_one_is_partial() -> None:
    now = at("2025-03-20T10:37:30+00:00")  # a Thursday
    monday = buckets.weekly(now, 2, UTC, 0)
    assert monday.labels() == ["2025-03-10T00:00:00Z", "2025-03-17T00:00:00Z"]
    assert lengths(monday) == [168.0, 3 * 24 + 10.625]
    sunday = buckets.weekly(now, 1, UTC, 6)
    assert sunday.labels() == ["2025-03-16T00:00:00Z"]
    on_the_day = buckets.weekly(at("2025-03-17T00:00:00+00:00"), 1, UTC, 0)
    assert lengths(on_the_day) == [0.0]


def test_a_week_holding_a_dst_change_is_167_hours_in_new_york() -> None:
    result = buckets.weekly(at("2025-03-20T12:00:00-04:00"), 3, ZoneInfo("America/New_York"), 6)
    assert result.labels() == [
        "2025-03-02T00:00:00-05:00",
        "2025-03-09T00:00:00-05:00",
        "2025-03-16T00:00:00-04:00",
    ]
    assert lengths(result)[:2] == [168.0, 167.0]


def test_months_are_calendar_months_of_the_zone() -> None:
    result = buckets.monthly(at("2025-03-20T10:37:30+00:00"), 4, ZoneInfo("Asia/Kathmandu"))
    assert result.labels() == [
        "2024-12-01T00:00:00+05:45",
        "2025-01-01T00:00:00+05:45",
        "2025-02-01T00:00:00+05:45",
        "2025-03-01T00:00:00+05:45",
    ]
    assert lengths(result)[:3] == [31 * 24.0, 31 * 24.0, 28 * 24.0]
    # 2025-02-28T23:00 in New York is already March in UTC.
    new_york = buckets.monthly(at("2025-03-01T04:00:00+00:00"), 1, ZoneInfo("America/New_York"))
    assert new_york.labels() == ["2025-02-01T00:00:00-05:00"]


def test_days_of_weeks_regroup_into_the_weeks() -> None:
    weeks = buckets.weekly(at("2025-03-20T10:37:30+00:00"), 2, ZoneInfo("Asia/Kolkata"), 0)
    days = buckets.days_of(weeks)
    assert len(days.starts) == 7 + 4
    assert set(weeks.starts) <= set(days.starts)
    assert buckets.regrouped(weeks, days, list(range(1, 12))) == [sum(range(1, 8)), 8 + 9 + 10 + 11]


def test_runs_are_sent_from_a_multiple_of_their_step() -> None:
    """A query cache that rounds a range's start down to a multiple of its step moves nothing."""
    now = at("2025-03-20T10:37:30+00:00")
    cases = {
        "Asia/Kolkata": 5.5,  # midnight is 18:30 UTC: sent 5.5 h later, looking back 5.5 h
        "Asia/Kathmandu": 5.75,
        "America/New_York": 20.0,  # EDT midnight is 04:00 UTC
        "UTC": 0.0,
    }
    for zone, hours in cases.items():
        runs = buckets.reads(buckets.daily(now, 90, ZoneInfo(zone)))
        ranges = [run for run in runs if run.last > run.first]
        assert ranges, zone
        for run in ranges:
            assert (run.start + run.shift) % run.step == 0, zone
            assert run.end == run.start + (run.last - run.first) * run.step
        assert ranges[-1].shift == hours * 3600, zone
    hourly = buckets.reads(buckets.hourly(now, 168))
    assert [run.shift for run in hourly] == [0.0, 0.0]  # hours are multiples of an hour already
