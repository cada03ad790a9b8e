"""Multi-tenant layouts in front of one VictoriaMetrics single node: Debian's `vmauth` (tenants
by bearer token, routes by path) before a tenant gateway of the test's own.

vmauth 1.79 appends the whole request path to a route's `url_prefix` and matches users by the
`Authorization` header only, while the single node serves the query API at `/api/v1` and
`/prometheus/api/v1`. The gateway does the rest of what vmselect, Mimir and Thanos do: it
removes a layout's path prefix and refuses a request without the layout's tenant header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import requests
import yaml

from stack.supervisor import ManagedProcess, find_binary, free_port


@dataclass(frozen=True)
class Layout:
    """How one engine's tenant reaches the query API: a path prefix and headers."""

    name: str
    prefix: str  # where the query API is served, below the proxy's root
    token: str  # vmauth's user for this tenant
    tenant_header: tuple[str, str] | None = None  # checked by the gateway

    def headers(self) -> dict[str, str]:
        """What a client of this layout sends with every request."""
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.tenant_header is not None:
            headers[self.tenant_header[0]] = self.tenant_header[1]
        return headers


LAYOUTS = (
    Layout("victoriametrics-cluster", "/select/0/prometheus", "tenant-0-token"),
    Layout("mimir", "/prometheus", "tenant-1-token", ("X-Scope-OrgID", "tenant-1")),
    Layout("thanos", "", "tenant-2-token", ("THANOS-TENANT", "tenant-2")),
)


def vmauth_config(gateway: str) -> dict[str, Any]:
    """One vmauth user per layout, allowed only its own query API path."""
    return {
        "users": [
            {
                "name": layout.name,
                "bearer_token": layout.token,
                "url_map": [
                    {"src_paths": [f"{layout.prefix}/api/v1/.+"], "url_prefix": gateway},
                ],
            }
            for layout in LAYOUTS
        ]
    }


def tenant_gateway(upstream: str) -> type[BaseHTTPRequestHandler]:
    """A handler that forwards each layout's requests to `upstream` without its prefix,
    refusing with 401 those that lack the layout's tenant header."""
    by_prefix = sorted(LAYOUTS, key=lambda layout: len(layout.prefix), reverse=True)

    class Gateway(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.forward(None)

        def do_POST(self) -> None:
            self.forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def forward(self, body: bytes | None) -> None:
            layout = next(item for item in by_prefix if self.path.startswith(item.prefix + "/"))
            if layout.tenant_header is not None:
                name, value = layout.tenant_header
                if self.headers.get(name) != value:
                    self.answer(401, b"no such tenant\n", "text/plain")
                    return
            headers = {"Content-Type": self.headers.get("Content-Type", "text/plain")}
            url = upstream + self.path[len(layout.prefix) :]
            found = requests.request(self.command, url, data=body, headers=headers, timeout=30)
            kind = found.headers.get("Content-Type", "text/plain")
            self.answer(found.status_code, found.content, kind)

        def answer(self, status: int, content: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args: Any) -> None:
            pass

    return Gateway


class VmAuthServer:
    """Debian's vmauth on a free loopback port, with the given `-auth.config`."""

    def __init__(self, workdir: Path, config: Mapping[str, Any]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        config_path = workdir / "vmauth.yml"
        config_path.write_text(yaml.safe_dump(dict(config)))
        self.process = ManagedProcess(
            "vmauth",
            [
                find_binary("vmauth"),
                f"-auth.config={config_path}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                "-loggerLevel=WARN",
            ],
            log_path=workdir / "vmauth.log",
            ready_url=f"{self.url}/health",
        )

    def start(self, timeout: float = 30.0) -> VmAuthServer:
        """Start the process and wait until it answers."""
        self.process.start(ready_timeout=timeout)
        return self

    def stop(self) -> None:
        """Stop the process."""
        self.process.stop()
