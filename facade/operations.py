"""What each route declares once, at its view: summary, parameters, body model and errors.

`@operation(...)` records an `Operation` on the view and wraps it: the declared parameters
are validated (`facade.params.parse`) and passed to the view as keyword arguments, and the
body model the view returns is answered as its own JSON. `facade.openapi` documents every
served route from the same `Operation`, found through the URL map. An operation with a `csv`
form answers CSV instead when the request's `Accept` prefers `text/csv` to JSON (q-values; a
tie, `*/*` or no `Accept` is JSON); errors are always JSON.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from facade.csv_bodies import CSV_FORMS, CSV_TYPE, CsvRows, csv_text
from facade.last_modified import answering, data_time, stamp
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
RESPONSE_CACHE = "facade_response_cache"  # the app's ResponseCache, when it keeps answers
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
    documented: bool = True  # False: served, but not part of the API (the docs pages)

    @property
    def csv(self) -> CsvRows | None:
        """The CSV form of the body model, if it has one."""
        return CSV_FORMS.get(self.body) if self.body is not None else None

    def answer(self, view: View, returned: Any) -> ResponseReturnValue:
        """The response for what `view` returned: the body model's JSON, or its Response."""
        if self.body is None:
            return stamp(returned, None)
        if not isinstance(returned, self.body):
            raise TypeError(
                f"{view.__name__} answered {type(returned).__name__}, not {self.body.__name__}"
            )
        if self.csv is None:
            return stamp(jsonify(returned.model_dump(mode="json")), returned)
        if wants_csv():
            response = Response(
                csv_text(self.csv(returned)), content_type=f"{CSV_TYPE}; charset=utf-8"
            )
        else:
            response = jsonify(returned.model_dump(mode="json"))
        response.vary.add("Accept")
        return stamp(response, returned)


def wants_csv() -> bool:
    """Whether the request's `Accept` prefers CSV to JSON."""
    return request.accept_mimetypes.best_match(("application/json", CSV_TYPE)) == CSV_TYPE


def _served(declared: Operation, view: View, path: dict[str, str]) -> ResponseReturnValue:
    """The answer, kept for identical requests of the same principal while the data holds
    when the app has a response cache (`facade.response_cache`)."""

    def build() -> Any:
        with answering():
            response = declared.answer(view, view(**parse(declared.params, path, request.args)))
            return response, data_time()

    cache = current_app.extensions.get(RESPONSE_CACHE)
    if cache is None or declared.body is None or "principal" not in g:
        return build()[0]
    noted: list[float | None] = []

    def built() -> Response:
        response, at = build()
        noted.append(at)
        return current_app.make_response(response)

    csv = declared.csv is not None and wants_csv()
    key = (g.principal, request.path, request.query_string, csv)
    found = cache.answer(key, built, lambda: noted[0] if noted else None)
    return found if isinstance(found, Response) else cache.respond(found, request)


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
            return _served(declared, view, path)

        setattr(serve, _ATTRIBUTE, declared)
        return serve

    return attach


def served_only(view: View) -> View:
    """Mark a route that is served but is not part of the API, so not in the document."""
    summary = (view.__doc__ or view.__name__).strip()
    declared = Operation(summary, (), None, {}, False, "text/html", documented=False)
    setattr(view, _ATTRIBUTE, declared)
    return view


def operation_of(view: View | None) -> Operation | None:
    """The Operation declared on a view, if any."""
    found = getattr(view, _ATTRIBUTE, None)
    return found if isinstance(found, Operation) else None
