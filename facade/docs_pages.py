"""The API's documentation pages: Swagger UI at `/docs` and ReDoc at `/redoc`, served offline.

Both pages render `/openapi.json`. Their scripts and styles are Swagger UI's and ReDoc's own
distribution files, shipped by the `flask-openapi3-swagger` and `flask-openapi3-redoc`
packages and served from here under `/docs/static/`: the pages need no network beyond the
façade. Reading them needs no token; the calls "Try it out" sends carry the bearer token
entered under "Authorize". Every URL in the pages is relative, so they also work under a
path prefix. The pages are not operations of the API and are left out of its document.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from flask import Blueprint, Response, abort

from facade.operations import served_only

docs = Blueprint("docs", __name__)

# Scripts and styles only from this origin; Swagger UI and ReDoc set inline styles and show
# data: images, and ReDoc's search runs in a worker made from a blob.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'"
)
ASSETS = {
    "swagger-ui.css": ("flask_openapi3_swagger", "templates/swagger/css/swagger-ui.css"),
    "swagger-ui-bundle.js": ("flask_openapi3_swagger", "templates/swagger/js/swagger-ui-bundle.js"),
    "redoc.standalone.js": ("flask_openapi3_redoc", "templates/redoc/js/redoc.standalone.js"),
}
CONTENT_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}
# Swagger UI is started by a script of this origin, not an inline one, so the policy needs no
# 'unsafe-inline' for scripts. The document's URL is relative to this script's own.
SWAGGER_START = """window.ui = SwaggerUIBundle({
  url: new URL("../../openapi.json", document.currentScript.src).href,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""
SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>MechaMental Analytics - Swagger UI</title>
<link rel="stylesheet" href="docs/static/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/static/swagger-ui-bundle.js"></script>
<script src="docs/static/swagger-start.js"></script>
</body>
</html>
"""
REDOC_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>MechaMental Analytics - ReDoc</title>
</head>
<body>
<redoc spec-url="openapi.json"></redoc>
<script src="docs/static/redoc.standalone.js"></script>
</body>
</html>
"""


def _page(html: str) -> Response:
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    return response


@cache
def _asset(name: str) -> bytes:
    package, path = ASSETS[name]
    return resources.files(package).joinpath(path).read_bytes()


@docs.get("/docs", provide_automatic_options=False)
@served_only
def swagger_ui() -> Response:
    """Swagger UI over the OpenAPI document."""
    return _page(SWAGGER_PAGE)


@docs.get("/redoc", provide_automatic_options=False)
@served_only
def redoc() -> Response:
    """ReDoc over the OpenAPI document."""
    return _page(REDOC_PAGE)


@docs.get("/docs/static/<name>", provide_automatic_options=False)
@served_only
def docs_asset(name: str) -> Response:
    """One script or style sheet of the documentation pages."""
    if name == "swagger-start.js":
        body = SWAGGER_START.encode()
    elif name in ASSETS:
        body = _asset(name)
    else:
        abort(404)
    response = Response(body, content_type=CONTENT_TYPES[name.rsplit(".", 1)[1]])
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
