"""The checks of a paged list, page by page, without any HTTP."""

from __future__ import annotations

import logging

import pytest

from exporter.platform import api
from exporter.platform.errors import ListMismatch, MalformedResponse, PagingError, ResponseTooLarge
from exporter.platform.lists import ListCheck, Page, parse_items, read_page

PATH = "/v1/orgs/org-a/workspaces"


def items(*ids: str) -> list[dict[str, str]]:
    return [{"workspace_id": item} for item in ids]


def page(ids: list[dict[str, str]], total: int, cursor: str | None = None) -> Page:
    return Page(ids, total, cursor is not None, cursor)


def check(limit: int = 2, max_pages: int = 100) -> ListCheck:
    return ListCheck(api.WORKSPACES, PATH, limit, max_pages)


def test_a_list_read_whole_passes_every_check():
    list_check = check()
    first = list_check.admit(page(items("a", "b"), 3, "c1"))
    assert list_check.next_cursor(first) == "c1"
    last = list_check.admit(page(items("c"), 3))
    list_check.finish()
    assert [first.items, last.items] == [items("a", "b"), items("c")]


def test_a_page_longer_than_the_limit_is_refused():
    with pytest.raises(ResponseTooLarge, match="a page of 3 items for limit 2"):
        check().admit(page(items("a", "b", "c"), 3))


def test_items_seen_before_count_once_and_are_logged(caplog):
    list_check = check()
    list_check.admit(page(items("a", "b"), 3, "c1"))
    again = list_check.admit(page(items("b", "c"), 3))
    with caplog.at_level(logging.WARNING, logger="exporter.platform.lists"):
        list_check.finish()
    assert again.items == items("c")
    assert "1 repeats" in caplog.text


def test_an_empty_page_with_more_to_come_is_a_paging_error():
    with pytest.raises(PagingError, match="empty page says has_more"):
        check().admit(page([], 5, "c1"))


def test_an_item_without_its_id_is_malformed():
    with pytest.raises(MalformedResponse, match="workspace_id"):
        check().admit(page([{"name": "no id"}], 1))


@pytest.mark.parametrize("cursors", [[None], ["c1", "c1"]])
def test_a_cursor_that_is_missing_or_repeats_does_not_advance(cursors):
    list_check = check(limit=1)
    with pytest.raises(PagingError, match="does not advance"):
        for number, cursor in enumerate(cursors):
            admitted = list_check.admit(Page(items(f"i{number}"), 9, True, cursor))
            list_check.next_cursor(admitted)


def test_pages_beyond_twice_what_the_total_needs_end_the_list():
    list_check = check(limit=2)  # 2 a page for a total of 4: 2 pages, so 2 × 2 + 1 at most
    list_check.next_cursor(list_check.admit(page(items("a", "b"), 4, "c0")))
    for number in range(1, 4):
        list_check.next_cursor(list_check.admit(page(items(f"i{number}"), 4, f"c{number}")))
    fifth = list_check.admit(page(items("i4"), 4, "c4"))
    with pytest.raises(PagingError, match="more than 5 pages for a total of 4 at 2 a page"):
        list_check.next_cursor(fifth)


def test_the_page_bound_follows_a_platform_serving_fewer_items_than_asked():
    list_check = check(limit=2)  # 1 a page for a total of 2: 2 pages, so 5 at most
    for number in range(4):
        list_check.next_cursor(list_check.admit(page(items(f"i{number}"), 2, f"c{number}")))
    with pytest.raises(PagingError, match="more than 5 pages for a total of 2 at 1 a page"):
        list_check.next_cursor(list_check.admit(page(items("i4"), 2, "c4")))


def test_max_pages_bounds_a_list_whatever_its_total():
    list_check = check(limit=1, max_pages=2)
    list_check.next_cursor(list_check.admit(page(items("a"), 1000, "c1")))
    list_check.admit(page(items("b"), 1000, "c2"))
    with pytest.raises(PagingError, match="more than 2 pages"):
        list_check.next_cursor(page(items("b"), 1000, "c2"))


@pytest.mark.parametrize("total", [2, 4])
def test_distinct_items_must_number_the_last_total(total):
    list_check = check(limit=5)
    list_check.admit(page(items("a", "b", "c"), total))
    with pytest.raises(ListMismatch, match=f"3 distinct items listed but total says {total}"):
        list_check.finish()


def test_read_page_reads_the_envelope():
    body = {"workspaces": items("a"), "total": 1, "has_more": False, "next_cursor": None}
    assert read_page(body, api.WORKSPACES, PATH) == Page(items("a"), 1, False, None)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (["not", "an", "object"], "the body is not a JSON object"),
        ({"total": 0, "has_more": False}, "no 'workspaces' list"),
        ({"workspaces": [], "total": -1, "has_more": False}, "'total' is -1"),
        ({"workspaces": [], "total": True, "has_more": False}, "'total' is True"),
        ({"workspaces": [], "total": 0, "has_more": "no"}, "'has_more' is 'no'"),
        ({"workspaces": [], "total": 0, "has_more": True, "next_cursor": 7}, "'next_cursor' is 7"),
    ],
)
def test_read_page_refuses_a_bad_envelope(body, problem):
    with pytest.raises(MalformedResponse) as raised:
        read_page(body, api.WORKSPACES, PATH)
    assert problem in str(raised.value)


def test_read_page_names_every_problem_at_once():
    with pytest.raises(
        MalformedResponse, match="no 'workspaces' list; 'total' is None; 'has_more'"
    ):
        read_page({}, api.WORKSPACES, PATH)


def test_parse_items_reads_each_item_or_refuses_the_answer():
    assert parse_items(items("a", "b"), api.workspace_id, api.WORKSPACES) == ["a", "b"]
    with pytest.raises(MalformedResponse, match=r"^/v1/orgs/\{org_id\}/workspaces: field"):
        parse_items([{"workspace_id": 3}], api.workspace_id, api.WORKSPACES)
