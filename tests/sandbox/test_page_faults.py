"""Paging faults: repeated and skipped items, an endless cursor, a wrong total, huge pages; each is
observable on the lists and clearing it restores honest paging."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import pairwise

from tests.sandbox.platform_walk import ids, org_path, pages, walk
from tests.support.sandbox import SandboxServer

LIMIT = 3


def _workspaces(sandbox: SandboxServer) -> tuple[str, list[str]]:
    """The first org's workspaces path and its workspace ids in list order, honestly walked."""
    org = sandbox.org_ids()[0]
    path = org_path(org, "workspaces")
    honest = ids(walk(sandbox, path, "workspaces"))
    assert sorted(honest) == sorted(sandbox.truth()["orgs"][org]["workspaces"])
    assert len(honest) > 2 * LIMIT, "the list must span at least three pages"
    return path, honest


def _served(bodies: list[dict], key: str = "workspaces") -> list[list[str]]:
    return [ids(body[key]) for body in bodies]


def test_page_repeat_serves_items_of_the_previous_page_again(sandbox: SandboxServer) -> None:
    path, honest = _workspaces(sandbox)
    sandbox.set_faults(page_repeat=1)
    bodies = pages(sandbox, path, LIMIT)
    served = _served(bodies)
    assert served[0] == honest[:LIMIT], "the first page is honest"
    for previous, page in pairwise(served):
        assert page[0] == previous[-1]
    flat = [item for page in served for item in page]
    assert len(flat) == len(honest) + len(served) - 1
    assert sorted(set(flat)) == sorted(honest)
    assert {body["total"] for body in bodies} == {len(honest)}
    sandbox.set_faults(page_repeat=50)
    capped = _served(pages(sandbox, path, LIMIT, max_pages=len(honest) + 1))
    assert len(capped) < len(honest), "a repeat of limit or more is capped, so paging ends"
    assert {item for page in capped for item in page} == set(honest)
    sandbox.clear_faults()
    assert ids(walk(sandbox, path, "workspaces", limit=LIMIT)) == honest


def test_page_skip_leaves_items_out(sandbox: SandboxServer) -> None:
    path, honest = _workspaces(sandbox)
    sandbox.set_faults(page_skip=1)
    bodies = pages(sandbox, path, LIMIT)
    flat = [item for page in _served(bodies) for item in page]
    assert flat[:LIMIT] == honest[:LIMIT]
    assert len(flat) == len(set(flat)) and set(flat) < set(honest)
    assert [item for item in honest if item in flat] == flat, "what is served keeps its order"
    assert honest[LIMIT] not in flat, "the item after the first page boundary is skipped"
    assert {body["total"] for body in bodies} == {len(honest)}
    sandbox.clear_faults()
    assert ids(walk(sandbox, path, "workspaces", limit=LIMIT)) == honest


def test_endless_cursor_never_ends_and_always_changes(sandbox: SandboxServer) -> None:
    path, honest = _workspaces(sandbox)
    sandbox.set_faults(endless_cursor=True)
    max_pages = len(honest) + 10
    bodies = pages(sandbox, path, LIMIT, max_pages=max_pages)
    assert len(bodies) == max_pages
    assert all(body["has_more"] is True for body in bodies)
    cursors = [body["next_cursor"] for body in bodies]
    assert all(isinstance(c, str) and c for c in cursors) and len(set(cursors)) == len(cursors)
    served = _served(bodies)
    assert [item for page in served for item in page] == honest
    assert served[-1] == [], "past the real end the pages are empty"
    sandbox.clear_faults()
    assert ids(walk(sandbox, path, "workspaces", limit=LIMIT)) == honest


def test_total_mismatch_leaves_paging_honest(sandbox: SandboxServer) -> None:
    path, honest = _workspaces(sandbox)
    sandbox.set_faults(total_mismatch=7)
    bodies = pages(sandbox, path, LIMIT)
    assert {body["total"] for body in bodies} == {len(honest) + 7}
    assert [item for page in _served(bodies) for item in page] == honest
    sandbox.set_faults(total_mismatch=-(len(honest) + 5))
    assert sandbox.get(path, limit=LIMIT).json()["total"] == 0, "never below zero"
    sandbox.clear_faults()
    assert {body["total"] for body in pages(sandbox, path, LIMIT)} == {len(honest)}


def test_huge_page_repeats_real_items_far_beyond_limit(sandbox: SandboxServer) -> None:
    path, honest = _workspaces(sandbox)
    sandbox.set_faults(huge_page={"factor": 10})
    first = sandbox.get(path, limit=2).json()
    assert ids(first["workspaces"]) == honest[:2] * 10
    assert first["has_more"] is True and first["total"] == len(honest)
    second = sandbox.get(path, limit=2, cursor=first["next_cursor"]).json()
    assert set(ids(second["workspaces"])) == set(honest[2:4]), "paging itself moves on honestly"
    sandbox.clear_faults()
    assert ids(sandbox.get(path, limit=2).json()["workspaces"]) == honest[:2]


def test_huge_page_padding_makes_a_body_of_megabytes(sandbox: SandboxServer) -> None:
    path, _ = _workspaces(sandbox)
    honest = sandbox.get(path, limit=LIMIT)
    padding = 3 * 2**20
    sandbox.set_faults(huge_page={"factor": 1, "padding_bytes": padding})
    huge = sandbox.get(path, limit=LIMIT)
    assert huge.status_code == 200 and huge.headers["Content-Type"] == "application/json"
    assert len(huge.content) == len(honest.content) + padding
    assert _canonical(huge.json()) == _canonical(honest.json()), "still the same JSON"
    sandbox.clear_faults()
    assert len(sandbox.get(path, limit=LIMIT).content) == len(honest.content)


def _canonical(body: dict) -> str:
    return json.dumps(body, sort_keys=True)


def test_paging_faults_respect_paths(sandbox: SandboxServer) -> None:
    org = sandbox.org_ids()[0]
    ws = next(iter(sandbox.truth()["orgs"][org]["workspaces"]))
    secrets = org_path(org, "workspaces", ws, "secrets")
    sources = org_path(org, "workspaces", ws, "sources")
    real = {p: len(walk(sandbox, p, k)) for p, k in ((secrets, "secrets"), (sources, "sources"))}
    sandbox.set_faults(total_mismatch=7, paths=r"/secrets$")
    assert sandbox.get(secrets).json()["total"] == real[secrets] + 7
    assert sandbox.get(sources).json()["total"] == real[sources]


def test_page_repeat_on_activity_serves_records_twice(start_sandbox) -> None:
    sandbox = start_sandbox(orgs=1, workspaces=1)
    org = sandbox.org_ids()[0]
    ws = next(iter(sandbox.truth()["orgs"][org]["workspaces"]))
    path = org_path(org, "activity")
    start = datetime.now(UTC).isoformat()
    inserted = sandbox.insert_executions(ws, 10, 3)["ids"]
    sandbox.set_faults(page_repeat=2)
    served = [
        i for page in _served(pages(sandbox, path, 4, start_time=start), "activities") for i in page
    ]
    assert len(served) > len(inserted), "a client that does not dedupe counts records twice"
    assert sorted(set(served)) == sorted(inserted)
    assert sandbox.truth()["orgs"][org]["workspaces"][ws]["executions"]["total"] == len(inserted)
    sandbox.clear_faults()
    assert ids(walk(sandbox, path, "activities", limit=4, start_time=start)) == inserted
