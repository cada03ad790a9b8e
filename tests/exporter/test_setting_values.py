"""Parsers of single setting values: typed values, or a reason an operator can act on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from exporter import setting_values as parse


@pytest.mark.parametrize(
    ("parser", "raw", "value"),
    [
        (parse.positive, "2.5", 2.5),
        (parse.non_negative, 0, 0.0),
        (parse.integer(1, 10), 10.0, 10),
        (parse.integer(1, 10), "3", 3),
        (parse.boolean, " Yes ", True),
        (parse.boolean, "off", False),
        (parse.boolean, False, False),
        (parse.text, "  token ", "token"),
        (parse.path, " /var/lib/ledger.sqlite3", Path("/var/lib/ledger.sqlite3")),
        (parse.url, "https://platform.test/api/", "https://platform.test/api"),
        (parse.timestamp, "1970-01-01T00:01:00Z", 60.0),
        (parse.timestamp, "1970-01-01T01:00:00+01:00", 0.0),
        (parse.timestamp, datetime(1970, 1, 1, 0, 0, 2), 2.0),
        (parse.timestamp, datetime(1970, 1, 1, 0, 0, 3, tzinfo=UTC), 3.0),
        (parse.listen_address, "[::1]:9877", "[::1]:9877"),
        (parse.log_level, "debug", "DEBUG"),
    ],
)
def test_a_good_value_parses(parser, raw, value):
    assert parser(raw) == value


@pytest.mark.parametrize(
    ("parser", "raw", "reason"),
    [
        (parse.number, True, "must be a number"),
        (parse.number, "nan", "must be a finite number"),
        (parse.positive, 0, "must be greater than 0"),
        (parse.non_negative, -1, "must be 0 or more"),
        (parse.integer(1, 10), 2.5, "must be a whole number"),
        (parse.integer(1, 10), True, "must be a whole number"),
        (parse.integer(1, 10), 11, "must be between 1 and 10"),
        (parse.boolean, "maybe", "must be true or false"),
        (parse.text, "   ", "must be a non-empty string"),
        (parse.text, 5, "must be a non-empty string"),
        (parse.url, "ftp://platform.test", "must be an http:// or https:// URL"),
        (parse.url, "http://", "must be an http:// or https:// URL"),
        (parse.timestamp, "yesterday", "must be an ISO-8601 time"),
        (parse.listen_address, "9877", "must be host:port"),
        (parse.listen_address, "localhost:70000", "must be host:port"),
        (parse.log_level, "TRACE", "must be DEBUG, INFO, WARNING or ERROR"),
    ],
)
def test_a_bad_value_says_why(parser, raw, reason):
    with pytest.raises(ValueError, match=reason):
        parser(raw)
