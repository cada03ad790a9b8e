"""What each route declares once, at its view: summary, parameters, body model and errors.

`@operation(...)` records an `Operation` on the view and wraps it: the declared parameters
are validated (`facade.params.parse`) and passed to the view as keyword arguments, and the
body model the view returns is answered as its own JSON. `facade.openapi` documents every
served route from the same `Operation`, found through the URL map.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from facade.last_modified import answering, stamp
from facade.params import Param, parse

API_ERRORS: Mapping[str, str] = {
    "401": "No token, or an invalid or expired one",
    "403": "Another org's token, or a missing permission",
    "404": "Unknown org, workspace, app or namespace",
    "422": "Invalid parameter",
    "500": "Unexpected error",
    "503": "Prometheus unreachable or too slow, or the exporter's data is stale (Retry-After)",
}
DETAIL_ERRORS: Mapping[str, str] = {
    **API_ERRORS,
    "501": "The exporter does not export this level of detail",
}

View = Callable[..., Any]
_ATTRIBUTE = "operation"


@dataclass(frozen=True)
class Operation:
    """What the document says about one route, and the body model its view answers with."""

    summary: str
    params: tuple[Param, ...]
    body: type[BaseModel] | None  # None: the view builds its own Response
    errors: Mapping[str, str]  # status: description
    secured: bool
    content_type: str

    def answer(self, view: View, returned: Any) -> ResponseReturnValue:
        """The response for what `view` returned: the body model's JSON, or its Response."""
        if self.body is None:
            return stamp(returned, None)
        if not isinstance(returned, self.body):
            raise TypeError(
                f"{view.__name__} answered {type(returned).__name__}, not {self.body.__name__}"
            )
        return stamp(jsonify(returned.model_dump(mode="json")), returned)


def operation(
    summary: str,
    *,
    params: Sequence[Param] = (),
    body: type[BaseModel] | None = None,
    errors: Mapping[str, str] = API_ERRORS,
    secured: bool = True,
    content_type: str = "application/json",
) -> Callable[[View], View]:
    """Declare a route's documentation, validate its parameters and serialize its body."""
    declared = Operation(summary, tuple(params), body, errors, secured, content_type)

    def attach(view: View) -> View:
        @functools.wraps(view)
        def serve(**path: str) -> ResponseReturnValue:
            with answering():
                return declared.answer(view, view(**parse(declared.params, path, request.args)))

        setattr(serve, _ATTRIBUTE, declared)
        return serve

    return attach


def operation_of(view: View | None) -> Operation | None:
    """The Operation declared on a view, if any."""
    found = getattr(view, _ATTRIBUTE, None)
    return found if isinstance(found, Operation) else None
