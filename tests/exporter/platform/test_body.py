"""Reading one answer whole: size cap, deadline, broken bodies, and what an answer says."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import requests
import responses

from exporter.platform.body import CHUNK_BYTES, Answer, read_answer
from exporter.platform.errors import PlatformTimeout, PlatformUnavailable, ResponseTooLarge

URL = "http://platform.test/v1/orgs/org-a/workspaces"
PATH = "/v1/orgs/org-a/workspaces"


class BreakingBody(io.RawIOBase):
    """A body that yields `head`, then fails with `error` as a dropped connection would."""

    def __init__(self, head: bytes, error: Exception) -> None:
        self._head = head
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._head:
            raise self._error
        size = min(len(buffer), len(self._head))
        buffer[:size], self._head = self._head[:size], self._head[size:]
        return size


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def streamed(mocked: responses.RequestsMock, body: object, **options: object) -> requests.Response:
    mocked.add(responses.GET, URL, body=body, **options)  # type: ignore[arg-type]
    return requests.get(URL, stream=True, timeout=1)


def ticks(*times: float):
    """A clock that answers `times` in turn, then the last one for ever."""
    remaining = list(times)
    return lambda: remaining.pop(0) if len(remaining) > 1 else remaining[0]


def test_a_body_in_several_chunks_is_read_whole(mocked):
    body = b"x" * (2 * CHUNK_BYTES + 5)
    answer = read_answer(
        streamed(mocked, body, status=207), PATH, len(body), deadline=10, clock=ticks(0)
    )
    assert (answer.status, answer.body) == (207, body)
    assert answer.headers["Content-Type"] == "text/plain"


def test_a_declared_length_over_the_cap_is_refused_before_reading(mocked):
    response = streamed(mocked, b"x" * 100, headers={"Content-Length": "100"})
    with pytest.raises(ResponseTooLarge, match="a body of 100 bytes, over the cap of 99") as raised:
        read_answer(response, PATH, 99, deadline=10, clock=ticks(0))
    assert raised.value.status == 200
    assert response.raw.tell() == 0


def test_an_undeclared_body_over_the_cap_is_refused_once_read_past_it(mocked):
    response = streamed(mocked, b"x" * 100, auto_calculate_content_length=False)
    assert "Content-Length" not in response.headers
    with pytest.raises(ResponseTooLarge, match="a body over the cap of 99 bytes"):
        read_answer(response, PATH, 99, deadline=10, clock=ticks(0))


def test_a_body_still_arriving_at_the_deadline_times_out(mocked):
    response = streamed(mocked, b"x" * (CHUNK_BYTES + 1))
    with pytest.raises(PlatformTimeout, match=f"still arriving .* \\({CHUNK_BYTES} bytes read\\)"):
        read_answer(response, PATH, 10 * CHUNK_BYTES, deadline=10, clock=ticks(0, 11))


@pytest.mark.parametrize(
    ("error", "raised", "says"),
    [
        (TimeoutError("read timed out"), PlatformTimeout, "stopped arriving"),
        (ConnectionResetError("reset by peer"), PlatformUnavailable, "broke off"),
    ],
)
def test_a_body_that_fails_midway_is_a_platform_error(mocked, error, raised, says):
    response = streamed(mocked, io.BufferedReader(BreakingBody(b"{", error)))
    with pytest.raises(raised, match=says):
        read_answer(response, PATH, 1000, deadline=10, clock=ticks(0))


def test_answer_json_is_none_for_a_body_that_is_not_json():
    assert Answer(200, {}, b'{"total": 1}').json() == {"total": 1}
    assert Answer(200, {}, b"<html>").json() is None


@pytest.mark.parametrize(
    ("headers", "body", "seconds"),
    [
        ({}, b'{"details": {"retry_after": 2.5}}', 2.5),
        ({"Retry-After": "7"}, b'{"details": {"retry_after": 3}}', 3.0),
        ({"Retry-After": "7"}, b'{"details": {"retry_after": "soon"}}', 7.0),
        ({"Retry-After": "7"}, b"not json", 7.0),
        ({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, b"{}", None),
        ({"Retry-After": "-1"}, b"{}", None),
        ({}, b'{"details": "none"}', None),
    ],
)
def test_retry_after_prefers_the_details_then_the_header(headers, body, seconds):
    assert Answer(429, headers, body).retry_after() == seconds


def test_describe_quotes_the_start_of_the_body_on_one_line():
    answer = Answer(200, {"Content-Type": "text/html"}, b"<html>\n  <body>" + b"x" * 200)
    assert answer.describe() == "text/html body starting '<html> <body>" + "x" * 65 + "'"
    assert Answer(200, {}, b"\xff").describe() == "no content type body starting '\ufffd'"
