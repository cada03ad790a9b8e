"""Walking the sandbox's platform lists page by page, checking the envelope on every page."""

from __future__ import annotations

from typing import Any

from tests.support.sandbox import SandboxServer


def walk(
    sandbox: SandboxServer,
    path: str,
    items_key: str,
    limit: int = 200,
    static: bool = True,
    **params: Any,
) -> list[dict[str, Any]]:
    """Every item of a list, following `next_cursor` until `has_more` is false; a `static` list
    must report the same `total` on every page, equal to the number of items walked."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    totals: set[int] = set()
    for _ in range(10_000):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = sandbox.get(path, **query)
        assert response.status_code == 200, (path, query, response.status_code, response.text)
        body = response.json()
        assert set(body) >= {"total", "has_more", "next_cursor", items_key}, body.keys()
        assert len(body[items_key]) <= limit
        totals.add(body["total"])
        items += body[items_key]
        if not body["has_more"]:
            assert body["next_cursor"] is None
            if static:
                assert totals == {len(items)}, (path, totals, len(items))
            return items
        assert isinstance(body["next_cursor"], str) and body["next_cursor"]
        assert len(body[items_key]) == limit, "a page before the last one is full"
        cursor = body["next_cursor"]
    raise AssertionError(f"{path} never stopped paging")


def org_path(org_id: str, *parts: str) -> str:
    """`/v1/orgs/{org}/...`."""
    return "/".join([f"/v1/orgs/{org_id}", *parts])


def pages(
    sandbox: SandboxServer, path: str, limit: int, max_pages: int = 100, **params: Any
) -> list[dict[str, Any]]:
    """The bodies of a list's pages as served, following `next_cursor` while `has_more` is true
    (at most `max_pages`), with no check of their honesty."""
    bodies: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(bodies) < max_pages:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = sandbox.get(path, **query)
        assert response.status_code == 200, (path, query, response.status_code, response.text)
        bodies.append(response.json())
        if not bodies[-1]["has_more"]:
            break
        cursor = bodies[-1]["next_cursor"]
    return bodies


def ids(items: list[dict[str, Any]]) -> list[str]:
    """The id of each item (its first field)."""
    return [item[next(iter(item))] for item in items]
