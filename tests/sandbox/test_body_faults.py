"""Body faults: a body dripped out slowly and an HTML page where JSON belongs; bad settings of the
new fault modes are 422."""

from __future__ import annotations

import json
import math
import time

import pytest
import requests

from sandbox.body_faults import DRIP_CHUNK_BYTES
from tests.sandbox.platform_walk import org_path
from tests.support.sandbox import SandboxServer

READ_TIMEOUT = 0.3
DRIP_MS = 20


def test_slow_drip_outlasts_a_read_timeout_without_tripping_it(sandbox: SandboxServer) -> None:
    url = f"{sandbox.url}{org_path(sandbox.org_ids()[0], 'workspaces')}"
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    honest = requests.get(url, headers=headers, timeout=5)
    chunks = math.ceil(len(honest.content) / DRIP_CHUNK_BYTES)
    least = (chunks - 1) * DRIP_MS / 1000
    assert least > 3 * READ_TIMEOUT, "the body must be long enough to drip for a while"
    sandbox.set_faults(slow_drip_ms=DRIP_MS)
    started = time.monotonic()
    dripped = requests.get(url, headers=headers, timeout=(5, READ_TIMEOUT))
    elapsed = time.monotonic() - started
    assert dripped.status_code == 200 and dripped.content == honest.content
    assert elapsed >= least, "every chunk came within the read timeout, the whole far later"
    sandbox.clear_faults()
    started = time.monotonic()
    assert requests.get(url, headers=headers, timeout=(5, READ_TIMEOUT)).content == honest.content
    assert time.monotonic() - started < least


def test_wrong_content_type_serves_an_html_page(sandbox: SandboxServer) -> None:
    path = org_path(sandbox.org_ids()[0], "workspaces")
    sandbox.set_faults(wrong_content_type=1.0)
    response = sandbox.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    sandbox.set_faults(wrong_content_type=0.5)
    kinds = {sandbox.get(path).headers["Content-Type"].split(";")[0] for _ in range(40)}
    assert kinds == {"text/html", "application/json"}, "a rate serves some of each"
    sandbox.clear_faults()
    response = sandbox.get(path)
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["total"] > 0


@pytest.mark.parametrize(
    "bad",
    [
        {"page_repeat": -1},
        {"page_skip": 1.5},
        {"endless_cursor": "maybe"},
        {"total_mismatch": "seven"},
        {"huge_page": {"factor": 0}},
        {"huge_page": {"padding_bytes": -1}},
        {"huge_page": {"size": 3}},
        {"slow_drip_ms": -5},
        {"wrong_content_type": 2},
        {"token_expiry": -1},
    ],
)
def test_bad_fault_settings_are_422(sandbox: SandboxServer, bad: dict) -> None:
    before = sandbox.faults()
    response = requests.put(f"{sandbox.url}/_sandbox/faults", json=bad, timeout=10)
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"][:2] == ["body", next(iter(bad))]
    assert sandbox.faults() == before, "nothing changes"


@pytest.mark.parametrize("bad", [{}, {"token": ""}, {"token": "two words"}, {"token": 5}, []])
def test_bad_token_renewals_are_422(sandbox: SandboxServer, bad: object) -> None:
    response = requests.put(f"{sandbox.url}/_sandbox/token", json=bad, timeout=10)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"
    assert sandbox.get(org_path(sandbox.org_ids()[0], "workspaces")).status_code == 200
