"""How far back a weekly or monthly series may reach: the store's configured retention.

Up to 13 weeks and 3 months are always answered (the stack keeps 120 days). A longer series
is answered only while its first bucket starts within the retention (`FACADE_RETENTION_DAYS`):
before it the store has no samples, and the first buckets would silently count nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from facade.buckets import Buckets
from facade.errors import RequestValidationError, validation_item

DAY = 86400.0


@dataclass(frozen=True)
class Reach:
    """A count parameter of a calendar series and how many buckets it always may ask for."""

    param: str
    always: int


WEEKS = Reach("weeks", 13)
MONTHS = Reach("months", 3)


def require_retained(reach: Reach, buckets: Buckets, retention_days: float) -> None:
    """RequestValidationError (422) if `buckets` reach further back than the retention."""
    count = len(buckets.starts)
    cutoff = buckets.now - retention_days * DAY
    covered = sum(1 for start in buckets.starts if start >= cutoff)
    if count <= reach.always or covered == count:
        return
    limit = max(reach.always, covered)
    days = f"{retention_days:g}"
    error = {
        "loc": (reach.param,),
        "msg": (
            f"Input should be less than or equal to {limit}: the configured retention of "
            f"{days} days (FACADE_RETENTION_DAYS) covers {limit} {reach.param}"
        ),
        "type": "less_than_equal",
        "input": count,
        "ctx": {"le": limit, "retention_days": retention_days},
    }
    raise RequestValidationError([validation_item("query", error)])
