"""Query parameters of the platform lists, validated by pydantic so 422 bodies have its shape."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from werkzeug.datastructures import MultiDict

from sandbox.errors import QueryValidationError

Limit = Annotated[int, Field(ge=1, le=200)]
EntitlementLimit = Annotated[int, Field(ge=1, le=100)]


def encode_cursor(key: list[Any]) -> str:
    """An opaque cursor for the keyset position `key` (the sort key of the last item served)."""
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The keyset position inside a cursor; ValueError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError("invalid cursor") from error
    if not isinstance(key, list) or not key or not all(isinstance(k, int) for k in key):
        raise ValueError("invalid cursor")
    return key


class ListQuery(BaseModel):
    """`limit` and `cursor` of a list."""

    model_config = ConfigDict(extra="ignore")

    limit: Limit = 50
    cursor: str | None = None

    @field_validator("cursor")
    @classmethod
    def _cursor_is_ours(cls, value: str | None) -> str | None:
        if value is not None:
            decode_cursor(value)
        return value

    def position(self) -> list[int] | None:
        """The keyset position to continue after, or None for the first page."""
        return None if self.cursor is None else decode_cursor(self.cursor)


class EntitlementQuery(ListQuery):
    """Model entitlements page at most 100 at a time."""

    limit: EntitlementLimit = 50


class SourceQuery(ListQuery):
    """Filters of the sources list."""

    namespace_id: str | None = None
    status: str | None = None
    scope: Literal["workspace", "namespace"] | None = None
    include_parent_scopes: bool = False


class AugmentationQuery(ListQuery):
    """The org-level augmentations list needs a workspace and may narrow to an app."""

    workspace_id: str
    app_id: str | None = None


class ActivityQuery(ListQuery):
    """Time window (start inclusive, end exclusive) and workspace filter of the activity list."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    workspace_id: str | None = None


Query = TypeVar("Query", bound=BaseModel)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def validation_details(error: ValidationError, where: str) -> list[dict[str, Any]]:
    """Pydantic's errors as the 422 `detail` list, located in `where` ("query" or "body")."""
    return [
        {
            "loc": [where, *item["loc"]],
            "msg": item["msg"],
            "type": item["type"],
            "input": _jsonable(item.get("input")),
            "ctx": _jsonable(item.get("ctx", {})),
        }
        for item in error.errors(include_url=False)
    ]


def parse_query(model: type[Query], args: MultiDict[str, str]) -> Query:
    """Validate the query string against `model`; QueryValidationError lists every problem."""
    try:
        return model.model_validate(args.to_dict())
    except ValidationError as error:
        raise QueryValidationError(validation_details(error, "query")) from error
