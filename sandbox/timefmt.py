"""Time formats the platform uses: envelope timestamps, item timestamps with and without `Z`."""

from __future__ import annotations

from datetime import UTC, datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def envelope_timestamp(moment: datetime | None = None) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffff` in UTC without a zone, as the error envelope carries it."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def item_timestamp(moment: datetime, *, zulu: bool) -> str:
    """An item timestamp with microseconds, with `Z` or without a zone (the platform does both)."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text + "Z" if zulu else text


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch; a zone-less time counts as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """The UTC time `micros` microseconds after the epoch."""
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


def now_iso() -> str:
    """The current UTC time, ISO-8601 with `Z`."""
    return item_timestamp(datetime.now(UTC), zulu=True)
