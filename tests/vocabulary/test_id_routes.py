"""Routing on ids that hold `/` and `%`: each id stays one segment, decoded exactly once."""

from __future__ import annotations

import pytest
from flask import Flask, Response, jsonify, url_for

from vocabulary.id_routes import EncodedIdRouting, IdConverter, routable_path
from vocabulary.ids import path_segment


@pytest.fixture
def app() -> Flask:
    """An app routed like the façade and the sandbox, echoing the ids it matched."""
    app = Flask("ids")
    app.url_map.converters["default"] = IdConverter
    app.wsgi_app = EncodedIdRouting(app.wsgi_app)  # type: ignore[method-assign]

    @app.get("/v1/orgs/<org_id>/items/<item_id>")
    def item(org_id: str, item_id: str) -> Response:
        link = url_for("item", org_id=org_id, item_id=item_id)
        return jsonify(org_id=org_id, item_id=item_id, link=link)

    return app


@pytest.mark.parametrize(
    ("org_id", "item_id"),
    [
        ("org:ä/1 %x", "a/b"),
        ("%2F", "%25"),  # encoded twice by the client: decoded once here
        ("/", "//"),
        ("a?b#c", "100%"),
        ("ws-a01", "..."),
    ],
)
def test_encoded_ids_route_to_one_segment_each(app: Flask, org_id: str, item_id: str) -> None:
    path = f"/v1/orgs/{path_segment(org_id)}/items/{path_segment(item_id)}"
    response = app.test_client().get(path)
    assert response.status_code == 200, path
    body = response.get_json()
    assert (body["org_id"], body["item_id"]) == (org_id, item_id)
    assert body["link"] == path  # url_for encodes the same way


def test_a_raw_slash_still_separates_segments(app: Flask) -> None:
    assert app.test_client().get("/v1/orgs/a/b/items/c").status_code == 404


def test_without_the_raw_target_routing_uses_the_decoded_path(app: Flask) -> None:
    client = app.test_client()
    overrides = {"RAW_URI": "", "REQUEST_URI": ""}
    assert client.get("/v1/orgs/a%2Fb/items/c", environ_overrides=overrides).status_code == 404
    plain = client.get("/v1/orgs/org-a/items/c", environ_overrides=overrides)
    assert plain.get_json()["org_id"] == "org-a"


def environ(raw: str, path_info: str, script_name: str = "") -> dict[str, str]:
    """A WSGI environ as a server builds it (PATH_INFO holds UTF-8 bytes as latin-1)."""
    return {
        "RAW_URI": raw,
        "PATH_INFO": path_info.encode().decode("latin-1"),
        "SCRIPT_NAME": script_name,
    }


def test_routable_path_keeps_slash_and_percent_encoded() -> None:
    found = routable_path(
        environ("/v1/orgs/org%3A%C3%A4%2F1%20%25x/a?x=%2F", "/v1/orgs/org:ä/1 %x/a")
    )
    assert found == "/v1/orgs/org:ä%2F1 %25x/a".encode().decode("latin-1")


def test_routable_path_strips_the_script_name() -> None:
    found = routable_path(environ("/prefix/v1/a%2Fb", "/v1/a/b", script_name="/prefix"))
    assert found == "/v1/a%2Fb"


def test_routable_path_reads_an_absolute_target() -> None:
    assert routable_path(environ("http://host:80/v1/a%2Fb?q=1", "/v1/a/b")) == "/v1/a%2Fb"


def test_a_rewritten_path_is_left_alone() -> None:
    # A proxy or middleware changed PATH_INFO: the raw target no longer describes it.
    assert routable_path(environ("/v1/a%2Fb", "/v2/a/b")) is None
    assert routable_path({"PATH_INFO": "/v1/a"}) is None


def test_invalid_utf8_decodes_as_the_server_does() -> None:
    # werkzeug replaces invalid bytes before PATH_INFO; gunicorn keeps them: both route alike.
    werkzeug_style = environ("/v1/%FF%2F", "/v1/\ufffd/")
    gunicorn_style = {"RAW_URI": "/v1/%FF%2F", "PATH_INFO": "/v1/\xff/", "SCRIPT_NAME": ""}
    expected = "/v1/\ufffd%2F".encode().decode("latin-1")
    assert routable_path(werkzeug_style) == routable_path(gunicorn_style) == expected
