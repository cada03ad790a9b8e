"""A synthetic MechaMental platform fast enough for an exporter to walk 10,000 workspaces.

Every org has the same number of workspaces, every workspace the same apps, namespaces and
resources; only the ids differ, so each list body is prepared once and served as bytes. Seven
workspaces in ten (ids not ending in 0, 4 or 8) hold a third source kind and a second secret
kind, so the label sets of `sources` and `secrets` vary as on a real platform. The activity is
empty (executions are counted at 0 for every workspace) unless `--activity-interval` is set:
then every workspace runs an execution with details every that many seconds from the start on
(`bench.synthetic_activity`). No authentication is checked.

Run: `.venv/bin/python -m bench.synthetic_platform --port 8080 --workspaces 2500`.
"""

from __future__ import annotations

import argparse
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.synthetic_activity import Activity

PAGE = 200


def _list(key: str, items: list[dict[str, Any]]) -> bytes:
    body = {key: items, "total": len(items), "has_more": False, "next_cursor": None}
    return json.dumps(body).encode()


def workspace_ids(workspaces: int) -> list[str]:
    """The workspace ids of every org (the org id is in every path, so they may repeat)."""
    return [f"ws-{number:05d}" for number in range(workspaces)]


class Bodies:
    """The prepared body of every list kind."""

    def __init__(
        self, workspaces: int, apps: int, namespaces: int, activity_interval: int = 0
    ) -> None:
        self.workspaces = workspace_ids(workspaces)
        self.activity = Activity(
            self.workspaces, activity_interval, int(time.time()), apps, time.time
        )
        app_ids = [f"app-{n}" for n in range(apps)]
        self.lists: dict[str, bytes] = {
            "apps": _list("apps", [{"app_id": a, "total_releases": 3} for a in app_ids]),
            "augmentations": _list(
                "augmentations", [{"id": f"aug-{a}", "app_id": a} for a in app_ids]
            ),
            "namespaces": _list(
                "namespaces", [{"namespace_id": f"ns-{n}"} for n in range(namespaces)]
            ),
            "threads": _list("threads", [{"thread_id": f"t-{n}"} for n in range(4)]),
            "endpoints": _list("endpoints", [{"endpoint_id": f"e-{n}"} for n in range(2)]),
            "actions": _list(
                "actions",
                [
                    {"action_id": "act-1", "schedule_type": "cron", "is_enabled": True},
                    {"action_id": "act-2", "schedule_type": "webhook", "is_enabled": False},
                ],
            ),
            "model-entitlements": _list("entitlements", [{"entitlement_id": "m-1"}]),
            "activity": _list("activities", []),
        }
        self.sources = [_list("sources", _sources(kinds)) for kinds in (2, 3)]
        self.secrets = [_list("secrets", _secrets(kinds)) for kinds in (1, 2)]

    def workspace_page(self, query: dict[str, list[str]]) -> bytes:
        """One page of the workspaces list, the cursor being the offset."""
        limit = min(PAGE, int(query.get("limit", [PAGE])[0]))
        start = int(query.get("cursor", ["0"])[0])
        end = min(start + limit, len(self.workspaces))
        items = [{"workspace_id": ws} for ws in self.workspaces[start:end]]
        more = end < len(self.workspaces)
        body = {
            "workspaces": items,
            "total": len(self.workspaces),
            "has_more": more,
            "next_cursor": str(end) if more else None,
        }
        return json.dumps(body).encode()

    def body(self, path: str, query: dict[str, list[str]]) -> bytes | None:
        """The body of a platform path, or None for an unknown one."""
        parts = path.strip("/").split("/")
        # /v1/orgs/{org}/{kind}[/...]: the last segment names the list (ids never collide).
        if len(parts) < 4 or parts[:2] != ["v1", "orgs"]:
            return None
        kind = parts[-1] or parts[-2]
        if len(parts) == 4 and kind == "workspaces":
            return self.workspace_page(query)
        if kind == "activity" and self.activity.interval and "start_time" in query:
            return self.activity.page(query)
        variant = _variant(parts[4] if len(parts) > 4 else query.get("workspace_id", [""])[0])
        if kind == "sources":
            return self.sources[variant]
        if kind == "secrets":
            return self.secrets[variant]
        return self.lists.get(kind)


def _variant(workspace_id: str) -> int:
    """0 for ids ending in 0, 4 or 8 (three in ten), 1 for the others."""
    return 0 if workspace_id.endswith(("0", "4", "8")) else 1


def _sources(kinds: int) -> list[dict[str, Any]]:
    shapes = [("file", "indexed", True), ("url", "processing", False), ("text", "failed", False)]
    return [
        {
            "source_id": f"src-{n}",
            "source_type": source_type,
            "processing_status": status,
            "source_scope": "workspace",
            "is_indexed": indexed,
            "total_chunks": 10,
            "total_tokens": 1000,
            "size_bytes": 4096,
        }
        for n, (source_type, status, indexed) in enumerate(shapes[:kinds])
    ]


def _secrets(kinds: int) -> list[dict[str, Any]]:
    shapes = [("api_key", True), ("oauth", False)]
    return [
        {"secret_id": f"sec-{n}", "secret_type": kind, "is_active": active}
        for n, (kind, active) in enumerate(shapes[:kinds])
    ]


def serve(port: int, bodies: Bodies) -> None:
    """Serve the platform on 127.0.0.1:`port` until interrupted."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the exporter reuses its connections
        disable_nagle_algorithm = True  # headers and body leave in two writes

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            body = bodies.body(url.path, parse_qs(url.query))
            status = 200 if body is not None else 404
            if body is None:
                body = b'{"error":"RESOURCE_NOT_FOUND","details":{}}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tens of thousands of requests a pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workspaces", type=int, default=2500, help="per org")
    parser.add_argument("--apps", type=int, default=1, help="per workspace")
    parser.add_argument("--namespaces", type=int, default=1, help="per app")
    parser.add_argument(
        "--activity-interval", type=int, default=0, help="seconds between a workspace's executions"
    )
    args = parser.parse_args()
    bodies = Bodies(args.workspaces, args.apps, args.namespaces, args.activity_interval)
    serve(args.port, bodies)


if __name__ == "__main__":
    main()
