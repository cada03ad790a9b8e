"""The façade under attack: `mm-analytics facade` (gunicorn) on the live stack, with every kind
of credential configured, and a raw HTTP client that sends exactly the bytes a test gives it.

The façade accepts HS256 tokens (a secret) and RS256 tokens (a public key) with a fixed audience
and issuer, and one static API key; the private halves stay with the tests.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import requests
import urllib3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from facade.credentials import hash_api_key
from facade.tokens import mint_token
from stack.supervisor import ManagedProcess, free_port, python_command
from tests.support.facade_live import LiveStack

JWT_SECRET = "hardening-secret-0123456789abcdef-0123456789abcdef"
AUDIENCE = "mm-analytics"
ISSUER = "https://auth.mechamental.test"
API_KEY = "mmk_hardening-key-4f1d9a0c7e2b5d8f3a6c9e1b4d7f0a2c"
ORG_PERMISSION = "analytics:*:view"


def pem_public(key: rsa.RSAPrivateKey) -> bytes:
    """The public half of `key` as PEM."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def pem_private(key: rsa.RSAPrivateKey) -> bytes:
    """`key` as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class Credentials:
    """What the façade verifies with, and the private halves the tests sign with."""

    rsa_key: rsa.RSAPrivateKey
    org_id: str

    def token(
        self, org_id: str | None = None, permissions: tuple[str, ...] = (ORG_PERMISSION,)
    ) -> str:
        """A valid HS256 token (audience and issuer included)."""
        return mint_token(
            JWT_SECRET,
            org_id or self.org_id,
            permissions,
            600,
            audience=AUDIENCE,
            issuer=ISSUER,
        )

    def environment(self, workdir: Path) -> dict[str, str]:
        """The façade's FACADE_* credential settings, with their files written under `workdir`."""
        key_file = workdir / "jwt-public.pem"
        key_file.write_bytes(pem_public(self.rsa_key))
        keys_file = workdir / "api-keys.json"
        entry = {
            "name": "hardening",
            "sha256": hash_api_key(API_KEY),
            "org_id": self.org_id,
            "permissions": [ORG_PERMISSION],
        }
        keys_file.write_text(json.dumps({"keys": [entry]}))
        return {
            "FACADE_JWT_SECRET": JWT_SECRET,
            "FACADE_JWT_PUBLIC_KEY_FILE": str(key_file),
            "FACADE_JWT_ALGORITHMS": "HS256,RS256",
            "FACADE_JWT_AUDIENCE": AUDIENCE,
            "FACADE_JWT_ISSUER": ISSUER,
            "FACADE_API_KEYS_FILE": str(keys_file),
        }


@dataclass
class RawResponse:
    """An HTTP answer read off the socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def parse_raw(data: bytes) -> RawResponse:
    """Split an HTTP/1.1 answer (Connection: close) into status, headers and body."""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(status_line.split()[1]), headers, body)


@dataclass
class FacadeServer:
    """`mm-analytics facade` with two gunicorn workers on a free loopback port."""

    workdir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / "facade.log"
        self.process = ManagedProcess(
            "facade",
            python_command("facade", "--bind", f"127.0.0.1:{self.port}", "--workers", "2"),
            log_path=self.log_path,
            ready_url=f"{self.url}/healthz",
        )
        # Exactly these settings: no FACADE_* value of the calling environment may leak in.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("FACADE_")}
        self.process.env = {**inherited, **self.env}
        self.session = requests.Session()

    def start(self) -> FacadeServer:
        """Start gunicorn and wait until it answers."""
        self.process.start(ready_timeout=60)
        return self

    def stop(self) -> int | None:
        """Stop gunicorn; its exit status."""
        self.session.close()
        return self.process.stop()

    def get(self, path: str, token: str | None = None, **query: str | int) -> requests.Response:
        """GET `path` (sent as given: already percent-encoded) with a bearer token."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.session.get(self.url + path, params=query, headers=headers, timeout=30)

    def raw(self, request: bytes) -> RawResponse:
        """Send exactly these bytes on a new connection and read the whole answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return parse_raw(b"".join(chunks))

    def raw_get(self, target: str, headers: dict[str, str] | None = None) -> RawResponse:
        """GET a request target written verbatim into the request line."""
        lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        return self.raw(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def log_text(self, settle: float = 0.3) -> str:
        """The server's log (access and error logs), once the last lines are written."""
        time.sleep(settle)  # gunicorn writes the access line after the answer is sent
        return self.log_path.read_text(errors="replace")


@dataclass
class SecureStack:
    """The live stack and the façade configured with every kind of credential."""

    live: LiveStack
    facade: FacadeServer
    credentials: Credentials
    home: Path

    def stop(self) -> None:
        """Stop the façade, then the live stack."""
        self.facade.stop()
        self.live.stop()


def start_secure_stack(workdir: Path, *, detail: bool = True) -> SecureStack:
    """Sandbox, exporter and Prometheus (with a query log), and the façade on top of them."""
    live = LiveStack(workdir / "live", orgs=2, workspaces=3, detail=detail, query_log=True)
    live.start()
    try:
        credentials = Credentials(
            rsa.generate_private_key(public_exponent=65537, key_size=2048), live.org_id
        )
        home = workdir / "home"  # gunicorn would put per-user state here
        home.mkdir()
        env = {
            **credentials.environment(workdir),
            "FACADE_PROMETHEUS_URL": live.prometheus.url,
            "HOME": str(home),
            "XDG_RUNTIME_DIR": "",
        }
        facade = FacadeServer(workdir, env).start()
    except BaseException:
        live.stop()
        raise
    return SecureStack(live, facade, credentials, home)


class CountingHandler(BaseHTTPRequestHandler):
    """Counts the requests it gets: a key URL named in a token must never be fetched."""

    seen: list[str] = []  # noqa: RUF012 - shared by the handler instances of one server

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class BrokenPool(urllib3.PoolManager):
    """A transport failing in a way no client error explains."""

    def urlopen(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("unforeseen")
