"""Path and query parameters of the analytics routes, validated by pydantic.

Each `Param` knows where it lives, its type and default; `parse` validates all of a route's
parameters and raises one RequestValidationError listing every problem (the spec's 422 items,
`loc` starting with "path" or "query"). The OpenAPI document reads the same definitions.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, TypeAdapter, ValidationError
from werkzeug.datastructures import MultiDict

from facade.errors import RequestValidationError, validation_item
from vocabulary.ids import ID_PATTERN

Location = Literal["path", "query"]


@cache
def iana_zone_names() -> frozenset[str]:
    """The names of the IANA time zone database, from the `tzdata` package (not the host)."""
    return frozenset(resources.files("tzdata").joinpath("zones").read_text().split())


def _known_zone(name: str) -> str:
    # A name must be in the IANA list before it becomes a file name: the host's zoneinfo
    # directory also holds `localtime` (the server's own zone), `posixrules` and the `right/`
    # zones that count leap seconds, none of which is a calendar the API offers.
    if name not in iana_zone_names():
        raise ValueError(f"unknown IANA time zone {name!r}")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Hours = Annotated[int, Field(ge=1, le=168)]
Days = Annotated[int, Field(ge=1, le=90)]
# Up to 13 weeks and 3 months always; more while the retention covers them (`facade.retention`).
Weeks = Annotated[int, Field(ge=1, le=520)]
Months = Annotated[int, Field(ge=1, le=120)]
WeekStart = Literal["monday", "sunday"]
TimeZone = Annotated[
    str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_zone)
]


@dataclass(frozen=True)
class Param:
    """One path or query parameter: name, location, pydantic type, default, description."""

    name: str
    location: Location
    adapter: TypeAdapter[Any]
    description: str
    default: Any = None
    example: Any = None

    @property
    def required(self) -> bool:
        """Path parameters are always required."""
        return self.location == "path"

    def schema(self) -> dict[str, Any]:
        """The parameter's JSON schema for the OpenAPI document."""
        schema = dict(self.adapter.json_schema())
        if self.location == "query" and self.default is None:
            schema = {"anyOf": [schema, {"type": "null"}]}
        if self.default is not None:
            schema["default"] = self.default
        # Generators read the schema's words, not the parameter's (openapi-python-client).
        schema["description"] = self.description
        return schema

    def document(self) -> dict[str, Any]:
        """The parameter object of the OpenAPI document."""
        found = {
            "name": self.name,
            "in": self.location,
            "required": self.required,
            "description": self.description,
            "schema": self.schema(),
        }
        if self.example is not None:
            found["example"] = self.example
        return found


_ID = TypeAdapter(Id)
_ID_RULES = " (any text of 1 to 128 characters; `/` sent as `%2F`)"
ORG_ID = Param("org_id", "path", _ID, "The org's id" + _ID_RULES, example="org-alpha")
WORKSPACE_ID = Param(
    "workspace_id", "path", _ID, "The workspace's id" + _ID_RULES, example="ws-a01"
)
APP_ID = Param("app_id", "path", _ID, "The app's id" + _ID_RULES, example="app-a01")
NAMESPACE_ID = Param(
    "namespace_id", "path", _ID, "The namespace's id" + _ID_RULES, example="ns-a01"
)
WORKSPACE_FILTER = Param(
    "workspace_id",
    "query",
    _ID,
    "Only this workspace of the org (needs only its permission)",
    example="ws-a01",
)
HOURS = Param(
    "hours",
    "query",
    TypeAdapter(Hours),
    "UTC hours, the current one last (max 168 = 1 week)",
    24,
    24,
)
DAYS = Param("days", "query", TypeAdapter(Days), "Calendar days, today last (max 90)", 30, 30)
TZ = Param(
    "tz",
    "query",
    TypeAdapter(TimeZone),
    "IANA time zone whose calendar days the buckets follow (default UTC)",
    example="Europe/Berlin",
)
WEEKS = Param(
    "weeks",
    "query",
    TypeAdapter(Weeks),
    "Number of calendar weeks (1-13; more while the configured retention covers them)",
    4,
)
MONTHS = Param(
    "months",
    "query",
    TypeAdapter(Months),
    "Number of calendar months (1-3; more while the configured retention covers them)",
    3,
)
WEEK_START = Param(
    "week_start", "query", TypeAdapter(WeekStart), "The first day of a calendar week", "monday"
)

LATENCY_HOURS = Param(
    "hours",
    "query",
    TypeAdapter(Hours),
    "UTC hours, the current one last (max 168 = 1 week); 24 when `days` is not given either",
    example=24,
)
LATENCY_DAYS = Param(
    "days",
    "query",
    TypeAdapter(Days),
    "Calendar days, today last (max 90), instead of `hours`",
    example=7,
)

WORKSPACE_PARAMS = (ORG_ID, WORKSPACE_ID)
ROLLUP_PARAMS = (ORG_ID, WORKSPACE_FILTER)
HOURLY_PARAMS = (ORG_ID, WORKSPACE_ID, HOURS)
DAILY_PARAMS = (ORG_ID, WORKSPACE_ID, DAYS, TZ)
WEEKLY_PARAMS = (ORG_ID, WORKSPACE_ID, WEEKS, TZ, WEEK_START)
MONTHLY_PARAMS = (ORG_ID, WORKSPACE_ID, MONTHS, TZ)
APP_PARAMS = (ORG_ID, WORKSPACE_ID, APP_ID)
NAMESPACE_PARAMS = (ORG_ID, WORKSPACE_ID, NAMESPACE_ID)
LATENCY_PARAMS = (ORG_ID, WORKSPACE_ID, LATENCY_HOURS, LATENCY_DAYS, TZ)
APP_DAILY_PARAMS = (ORG_ID, WORKSPACE_ID, APP_ID, DAYS, TZ)


def _conflict(name: str, given: Any, message: str) -> dict[str, Any]:
    error = {"loc": (name,), "msg": message, "type": "value_error", "input": given}
    return validation_item("query", {**error, "ctx": {"error": message}})


def require_one_window(hours: int | None, days: int | None, tz: str | None) -> None:
    """RequestValidationError (422) for `hours` with `days`, or `tz` with `hours` or without
    `days` (hours, given or the default, are UTC hours; only calendar days follow a zone)."""
    errors = []
    if hours is not None and days is not None:
        errors.append(_conflict("days", days, "Give either hours or days, not both"))
    if tz is not None and (hours is not None or days is None):
        message = "tz applies to days only: hours are UTC hours (24 when days is not given)"
        errors.append(_conflict("tz", tz, message))
    if errors:
        raise RequestValidationError(errors)


def parse(
    params: Sequence[Param], path: Mapping[str, str], query: MultiDict[str, str]
) -> dict[str, Any]:
    """Validated values of `params`; RequestValidationError lists every invalid one.

    A query parameter given more than once takes its last value, as FastAPI does.
    """
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for param in params:
        if param.location == "path":
            given = [path[param.name]] if param.name in path else []
        else:
            given = query.getlist(param.name)
        if not given:
            values[param.name] = param.default
            continue
        try:
            values[param.name] = param.adapter.validate_python(given[-1])
        except ValidationError as exc:
            errors += [
                validation_item(param.location, {**error, "loc": (param.name, *error["loc"])})
                for error in exc.errors(include_url=False)
            ]
    if errors:
        raise RequestValidationError(errors)
    return values
