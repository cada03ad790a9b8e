"""A deterministic 93-day exporter history: workspaces, executions, scrapes and counter values.

The history is the single source of truth of the façade's acceptance tests: the backfill
(`history_build`) writes what these scrapes saw as OpenMetrics, and the expected answers
(`history_truth`) are computed from the same events and scrape times.

Data sits in few two-hour windows where the tests do not need more (the backfill costs about
one promtool pass per window): before the last eight days only 00-02, 04-06 and 18-20 UTC hold
scrapes, which still brackets every daily boundary the tests read (UTC midnight, New York
midnight in EST and EDT, Kolkata and Kathmandu midnight). The last eight days are continuous.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property

HOUR = 3600
DAY = 86400
WINDOW = 2 * HOUR  # promtool writes one block per two-hour window
END = 1742467050.0  # 2025-03-20T10:37:30Z: the façade's pinned "now"
END_DAY = END - END % DAY
START = END_DAY - 93 * DAY
RECENT_START = END_DAY - 8 * DAY
OLD_WINDOW_HOURS = (0, 4, 18)  # UTC hours at which the sparse part's two-hour windows open
GAUGE_START = END - 20 * 60  # gauges are only read at "now": a short recent window suffices
GAP = (END - END % HOUR - 14 * HOUR - 4 * 60, END - END % HOUR - 14 * HOUR + 6 * 60)
EXPORTER_JOB = "mechamental-exporter"
REPLICA_JOB = "mechamental-exporter-replica"
INSTANCE = "127.0.0.1:9877"
SEED = 20250320


@dataclass(frozen=True)
class Profile:
    """How one workspace behaves: execution rate, failures, scrape cadence, lifetime, resets."""

    org_id: str
    workspace_id: str
    rate_per_hour: float
    failure_ratio: float
    recent_interval: int = 60
    old_interval: int = 300
    offset: int = 0
    starts_at: float = START
    resets: tuple[float, ...] = ()
    replica_offset: int | None = None  # a second job scraping the same exporter
    catch_up: float | None = None  # from then on scraped every minute, whatever recent_interval
    renamed_at: float | None = None  # its info series changes name then; the old one lingers

    def name(self, at: float) -> str:
        """The workspace's name on the platform at `at` (not its id, as real names are not)."""
        suffix = self.workspace_id.removeprefix("ws-").upper()
        renamed = self.renamed_at is not None and at >= self.renamed_at
        return f"Team {suffix}" + (" (renamed)" if renamed else "")

    @property
    def jobs(self) -> tuple[tuple[str, int], ...]:
        """(job, scrape offset) of every job that scrapes this workspace's series."""
        if self.replica_offset is None:
            return ((EXPORTER_JOB, self.offset),)
        return ((EXPORTER_JOB, self.offset), (REPLICA_JOB, self.replica_offset))


def _profiles() -> tuple[Profile, ...]:
    top = END - END % HOUR
    alpha = [
        Profile("org-alpha", "ws-a01", 90, 0.1, 15, 60, resets=(END - 6 * HOUR + 427,)),
        Profile("org-alpha", "ws-a02", 60, 0.2, 15, 60, replica_offset=7),
        # Renamed just before the end: both names are within the lookback at the façade's "now".
        Profile("org-alpha", "ws-a03", 40, 0.05, 15, 60, renamed_at=END - 2 * 60),
        Profile("org-alpha", "ws-a04", 25, 0.3, offset=20),
        *(Profile("org-alpha", f"ws-a{n:02d}", 4 + 3 * n, 0.02 * n) for n in range(5, 13)),
    ]
    beta = [
        Profile("org-beta", "ws-b01", 120, 0.15, 15, 60),
        Profile("org-beta", "ws-b02", 12, 0.5, offset=30),
        # A reset right after an hour boundary with no scrape on it: only the minimum after the
        # boundary reveals it.
        Profile("org-beta", "ws-b03", 30, 0.1, offset=20, resets=(top - 9 * HOUR + 5,)),
        # Hours without any scrape until the last day: boundary values carry forward.
        Profile("org-beta", "ws-b04", 20, 0.25, 6000, 1800, offset=600, catch_up=END - 20 * HOUR),
        Profile("org-beta", "ws-b05", 8, 0.0),
        Profile("org-beta", "ws-b06", 50, 0.1, starts_at=END - 3 * DAY - 5 * HOUR - 17),
        Profile("org-beta", "ws-b07", 15, 0.2, starts_at=END - 40 * DAY + 3 * HOUR + 1037),
        Profile("org-beta", "ws-b08", 6, 1.0),
        Profile("org-beta", "ws-b09", 0, 0.0),
        Profile("org-beta", "ws-b10", 3, 0.4, 300, 300),
    ]
    return (*alpha, *beta)


PROFILES = _profiles()
ORGS = tuple(sorted({profile.org_id for profile in PROFILES}))


def data_windows() -> list[tuple[float, float]]:
    """The [start, end) intervals that hold scrapes, oldest first."""
    windows = [
        (day + hour * HOUR, day + hour * HOUR + WINDOW)
        for day in range(int(START), int(RECENT_START), DAY)
        for hour in OLD_WINDOW_HOURS
    ]
    return [*windows, (RECENT_START, END + 1)]


def grid(start: float, end: float, interval: int, offset: int) -> range:
    """Times t in [start, end) with t ≡ offset (mod interval)."""
    low = math.ceil(start)
    first = low + (offset - low) % interval
    return range(first, math.ceil(end), interval)


def _cadence(profile: Profile) -> list[tuple[float, float, int]]:
    """(start, end, interval) of every stretch of scrapes."""
    *old, (recent_start, recent_end) = data_windows()
    stretches = [(start, end, profile.old_interval) for start, end in old]
    if profile.catch_up is None:
        return [*stretches, (recent_start, recent_end, profile.recent_interval)]
    return [
        *stretches,
        (recent_start, profile.catch_up, profile.recent_interval),
        (profile.catch_up, recent_end, 60),
    ]


def scrape_times(profile: Profile, offset: int) -> list[float]:
    """When one job scraped the workspace: its grid inside the data windows and lifetime."""
    times: list[float] = []
    for start, end, interval in _cadence(profile):
        times += [
            float(t)
            for t in grid(max(start, profile.starts_at), min(end, END + 1), interval, offset)
            if not GAP[0] <= t < GAP[1]
        ]
    return times


def _events(profile: Profile) -> tuple[list[float], list[float]]:
    """Execution end times of the workspace, and the subset that failed (both sorted)."""
    rng = random.Random(f"{SEED}:{profile.workspace_id}")
    times: list[float] = []
    failed: list[float] = []
    if profile.rate_per_hour <= 0:
        return times, failed
    for hour_start in range(int(START), int(END) + HOUR, HOUR):
        rate = profile.rate_per_hour * rng.uniform(0.2, 1.8) / HOUR
        t = float(hour_start) + rng.expovariate(rate)
        while t < hour_start + HOUR:
            if profile.starts_at < t <= END:
                times.append(t)
                if rng.random() < profile.failure_ratio:
                    failed.append(t)
            t += rng.expovariate(rate)
    return times, failed


@dataclass(frozen=True)
class Series:
    """The samples one job scraped for one workspace counter."""

    job: str
    times: list[float]
    values: list[int]


@dataclass
class Workspace:
    """One workspace of the history: its profile, executions and what each scrape saw."""

    profile: Profile
    _events: tuple[list[float], list[float]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._events = _events(self.profile)

    @property
    def executions(self) -> list[float]:
        """End times of every execution."""
        return self._events[0]

    @property
    def failures(self) -> list[float]:
        """End times of the failed executions."""
        return self._events[1]

    @cached_property
    def scrapes(self) -> list[float]:
        """Every scrape of the workspace by any job, sorted."""
        return sorted(
            {t for _, offset in self.profile.jobs for t in scrape_times(self.profile, offset)}
        )

    def counter_value(self, events: list[float], at: float) -> int:
        """What the exporter's counter showed at `at`: events since the last reset before it."""
        epoch = max((reset for reset in self.profile.resets if reset <= at), default=None)
        since = 0 if epoch is None else bisect_right(events, epoch)
        return bisect_right(events, at) - since

    def series(self, events: list[float]) -> list[Series]:
        """The counter samples of every job scraping this workspace."""
        result = []
        for job, offset in self.profile.jobs:
            times = scrape_times(self.profile, offset)
            result.append(Series(job, times, [self.counter_value(events, t) for t in times]))
        return result


def workspaces() -> list[Workspace]:
    """Every workspace of the history, in a stable order."""
    return [Workspace(profile) for profile in PROFILES]
