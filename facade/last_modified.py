"""`Last-Modified`: the `updated_at` of the body, as an HTTP date.

`updated_at` is the time of the data (the exporter's last successful collection), so a client
sees the age of an answer in the header its HTTP library already reads. Caching headers derived
from the same time belong here too.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from werkzeug.http import http_date
from werkzeug.wrappers import Response

LAST_MODIFIED = "Last-Modified"
_FIELD = "updated_at"


def dated(model: type[BaseModel]) -> bool:
    """Whether answers of `model` carry the time of their data."""
    return _FIELD in model.model_fields


def stamp(response: Response, body: BaseModel) -> Response:
    """`response` with `Last-Modified` from the body's `updated_at`, when it has one."""
    updated_at = getattr(body, _FIELD, None)
    if isinstance(updated_at, str):
        response.headers[LAST_MODIFIED] = http_date(datetime.fromisoformat(updated_at))
    return response
