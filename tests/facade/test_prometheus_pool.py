"""The façade's connection pool takes its proxy (honouring `NO_PROXY`) and CA bundle from the
environment: a loopback forward proxy and a loopback HTTPS query API with its own certificate."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from facade.prometheus import PrometheusClient, PrometheusUnreachable, connection_pool
from stack.supervisor import free_port
from tests.support import loopback
from tests.support.facade_http import canned_api, serving

VECTOR = {"status": "success", "data": {"resultType": "vector", "result": []}}
ANSWERS = {"/api/v1/query": [(200, VECTOR)]}
SETTINGS = ("PROXY", "CA_BUNDLE")  # suffixes of the variables the pool reads


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The environment without any proxy or CA bundle setting of the machine."""
    for name in list(os.environ):
        if name.upper().endswith(SETTINGS):
            monkeypatch.delenv(name)
    return monkeypatch


def query(base: str) -> None:
    """One instant query through the pool built for `base`."""
    PrometheusClient(base, http=connection_pool(base), timeout=5.0).instant("up", 0)


def test_a_proxy_from_the_environment_carries_every_query(
    environment: pytest.MonkeyPatch,
) -> None:
    handler, received = canned_api(ANSWERS)
    with serving(handler, poll_interval=0.01) as proxy:
        environment.setenv("HTTP_PROXY", proxy.replace("//", "//bob:pr%40xy@"))
        query("http://prometheus.test:9090/prom")
    [sent] = received
    assert sent.path == "http://prometheus.test:9090/prom/api/v1/query"  # absolute: a proxy
    assert sent.headers["Proxy-Authorization"] == "Basic " + b64encode(b"bob:pr@xy").decode()
    assert sent.form["query"] == "up"


def test_no_proxy_goes_straight_to_the_query_api(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # nobody listens
    environment.setenv("NO_PROXY", "127.0.0.1")
    handler, received = canned_api(ANSWERS)
    with serving(handler, poll_interval=0.01) as url:
        query(url)
    assert [sent.path for sent in received] == ["/api/v1/query"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate of 127.0.0.1 and its key (files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"


@contextmanager
def https_api(certificate: tuple[Path, Path]) -> Iterator[str]:
    """A canned query API over HTTPS with `certificate`; yields its base URL."""
    handler, _ = canned_api(ANSWERS)
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with loopback.serving(server, poll_interval=0.01) as url:
        yield url.replace("http://", "https://")


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_https_trusts_the_ca_bundle_of_the_environment(
    environment: pytest.MonkeyPatch, certificate: tuple[Path, Path], variable: str
) -> None:
    with https_api(certificate) as url:
        with pytest.raises(PrometheusUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
            query(url)  # the default bundle does not know the certificate
        environment.setenv(variable, str(certificate[0]))
        query(url)
