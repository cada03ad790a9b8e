"""Loopback HTTP pieces of the façade tests: a recording pool, a canned query API that records
what it received, a stalling proxy in front of Prometheus, and a test client that checks every
answer against OpenAPI."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import urllib3
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from urllib3 import BaseHTTPResponse
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from stack.supervisor import free_port
from tests.support import loopback


class RecordingPool(urllib3.PoolManager):
    """A urllib3 pool that remembers every PromQL query it sent, and every call."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []
        self.calls: list[tuple[str, dict[str, str]]] = []  # (query API endpoint, parameters)

    def urlopen(self, method: str, url: str, *args: Any, **kw: Any) -> BaseHTTPResponse:
        parts = urlsplit(url)
        body = kw.get("body") or parts.query
        form = parse_qs(body.decode() if isinstance(body, bytes) else body, keep_blank_values=True)
        params = {name: values[-1] for name, values in form.items()}
        if "query" in params:
            self.queries.append(params["query"])
        self.calls.append((parts.path.rsplit("/", 1)[-1], params))
        return super().urlopen(method, url, *args, **kw)


@dataclass(frozen=True)
class Received:
    """One request a canned API received."""

    method: str
    path: str  # as sent: absolute (`http://host/...`) when it came through as a proxy
    headers: Message
    form: dict[str, str]


Answer = tuple[int, Any]  # status and JSON body (bytes go as they are, status 0 hangs up)


def canned_api(
    answers: Mapping[str, Sequence[Answer]], delay: float = 0.0
) -> tuple[type[BaseHTTPRequestHandler], list[Received]]:
    """A handler answering a path ending in a key of `answers` with its answers in turn (the
    last one repeated) after `delay` seconds, other paths 404; and the list of what it got."""
    received: list[Received] = []
    pending = {path: list(replies) for path, replies in answers.items()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.answer()

        def do_POST(self) -> None:
            self.answer()

        def answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            form = {n: v[-1] for n, v in parse_qs(body, keep_blank_values=True).items()}
            received.append(Received(self.command, self.path, self.headers, form))
            time.sleep(delay)
            replies = next((r for p, r in pending.items() if self.path.endswith(p)), None)
            status, payload = (404, b"no such path") if replies is None else replies[0]
            if replies is not None and len(replies) > 1:
                replies.pop(0)
            if status == 0:
                return  # the connection closes without an answer
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            kind = "text/html" if isinstance(payload, bytes) else "application/json"
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting

        def log_message(self, *args: Any) -> None:
            pass

    return Handler, received


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], poll_interval: float = 0.5) -> Iterator[str]:
    """Run `handler` on a free loopback port; yields the base URL. A short `poll_interval`
    shuts it down sooner."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    server.daemon_threads = False  # server_close() waits for handlers still running
    with loopback.serving(server, poll_interval) as url:
        yield url


@contextmanager
def serving_app(app: Flask) -> Iterator[str]:
    """Serve `app` over HTTP on a free loopback port (a threaded werkzeug server); yields the
    base URL. Unlike gunicorn, it serves an app built in the test, with its pinned clock."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    with loopback.serving(server) as url:
        yield url


def stalling_proxy(
    upstream: str, delay: float, strip_prefix: str = ""
) -> type[BaseHTTPRequestHandler]:
    """A handler that waits `delay` seconds, then forwards the request to `upstream`.

    Paths must start with `strip_prefix`, which is removed (a store serving under a prefix).
    """

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.forward(None)

        def do_POST(self) -> None:
            self.forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def forward(self, body: bytes | None) -> None:
            time.sleep(delay)
            if not self.path.startswith(strip_prefix):
                self.send_error(404)
                return
            url = upstream + self.path[len(strip_prefix) :]
            headers = {"Content-Type": self.headers.get("Content-Type", "text/plain")}
            try:
                answer = requests.request(self.command, url, data=body, headers=headers, timeout=30)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
                self.end_headers()
                self.wfile.write(answer.content)
            except (BrokenPipeError, ConnectionResetError, requests.RequestException):
                pass  # the client or the upstream went away: nobody to answer

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


class OpenApiChecker:
    """Validates responses against the façade's own OpenAPI document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(dict(document), default_specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:facade", resource)
        self.templates = [
            (re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), path)
            for path in document["paths"]
        ]
        self.checked = 0

    def schema_for(self, path: str, method: str, status: int) -> Mapping[str, Any]:
        """The schema the document promises for this answer."""
        template = next((t for regex, t in self.templates if regex.match(path)), None)
        operation = self.document["paths"].get(template, {}).get(method.lower())
        if operation is None:  # unknown route or method: the generic error envelope
            return {"$ref": "urn:facade#/components/schemas/ErrorResponse"}
        responses = operation["responses"]
        assert str(status) in responses, f"{method} {path} answered {status}, not documented"
        content = responses[str(status)]["content"]
        schema = next(iter(content.values()))["schema"]
        return {"$ref": "urn:facade" + schema["$ref"]} if "$ref" in schema else schema

    def check(self, path: str, method: str, response: TestResponse) -> None:
        """Assert the response body matches the documented schema."""
        if method == "HEAD":
            self.schema_for(path, method, response.status_code)
            return
        body = response.get_json() if response.is_json else response.get_data(as_text=True)
        self.check_body(path, method, response.status_code, body)

    def check_body(self, path: str, method: str, status: int, body: Any) -> None:
        """Assert a decoded body matches the documented schema (for any HTTP client)."""
        schema = self.schema_for(path, method, status)
        Draft202012Validator(schema, registry=self.registry).validate(body)
        self.checked += 1


class ApiClient:
    """The Flask test client with bearer tokens, checking each answer against OpenAPI."""

    def __init__(self, client: FlaskClient, checker: OpenApiChecker) -> None:
        self.client = client
        self.checker = checker

    def request(
        self, method: str, path: str, token: str | None = None, **query: Any
    ) -> TestResponse:
        """Send one request and check its answer."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        response = self.client.open(path, method=method, headers=headers, query_string=query)
        self.checker.check(path, method, response)
        return response

    def get(self, path: str, token: str | None = None, **query: Any) -> TestResponse:
        """GET `path` with `query` parameters."""
        return self.request("GET", path, token, **query)


class HttpApi:
    """A served façade over real HTTP, with bearer tokens, checking each answer against OpenAPI
    (JSON bodies against their schema, any other body only for a documented status)."""

    def __init__(self, base_url: str, checker: OpenApiChecker) -> None:
        self.base_url = base_url
        self.checker = checker

    def get(
        self, path: str, token: str | None = None, accept: str | None = None, **query: Any
    ) -> requests.Response:
        """GET `path` with `query` parameters and an optional `Accept` header."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        if accept is not None:
            headers["Accept"] = accept
        response = requests.get(self.base_url + path, headers=headers, params=query, timeout=60)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            self.checker.check_body(path, "GET", response.status_code, response.json())
        else:
            self.checker.schema_for(path, "GET", response.status_code)
        return response
