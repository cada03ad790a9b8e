"""The id grammar: what it accepts and refuses, the same in Python, pydantic and a URL."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Annotated
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import StringConstraints, TypeAdapter, ValidationError

from vocabulary.ids import ID_MAX_LENGTH, ID_PATTERN, path_segment, valid_id

ACCEPTED = [
    "org:ä/1 %x",
    "ws-a01",
    "a",
    "/",
    "%",
    "%2F",
    "...",
    ".a",
    ".. a",
    "a.",
    "**",
    "a*",
    "x" * ID_MAX_LENGTH,
    'ws"} or vector(1) or {x="',
    "C:\\Windows\\win.ini",
    "../../etc/passwd",
    "wś-ä01",
    "ｗｓ-01",
    "ws😀",
    "a b",
    "a\u00a0b",  # an inner no-break space
    "+?#&=;,'`",
    "日本語",
    "١٢٣",
]
REFUSED = [
    "",
    ".",
    "..",
    "*",
    " ",
    " a",
    "a ",
    "a\u3000",  # an ideographic space at the end
    "\u00a0a",
    "x" * (ID_MAX_LENGTH + 1),
    "a\nb",
    "a\n",
    "a\r",
    "a\tb",
    "a\x00",
    "a\x7f",
    "a\x85",  # C1 next line
    "a\u200b",  # zero-width space
    "a\u202e",  # right-to-left override
    "a\u2066b",  # left-to-right isolate
    "\ufeffa",  # byte order mark
    "a\u2028b",  # line separator
    "\ufffd",  # what a decoder writes for bytes that were not UTF-8
    "a\ud800",  # a lone surrogate: not text
]
_PYDANTIC = TypeAdapter(Annotated[str, StringConstraints(pattern=ID_PATTERN)])


def pydantic_accepts(text: str) -> bool:
    try:
        _PYDANTIC.validate_python(text)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_ids(text: str) -> None:
    assert valid_id(text)
    assert pydantic_accepts(text)


@pytest.mark.parametrize("text", REFUSED)
def test_refused_ids(text: str) -> None:
    assert not valid_id(text)
    assert not pydantic_accepts(text)


def test_only_strings_are_ids() -> None:
    assert not valid_id(None)
    assert not valid_id(12)
    assert not valid_id(b"org")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=ID_MAX_LENGTH + 2))
def test_python_and_pydantic_read_the_pattern_alike(text: str) -> None:
    assert valid_id(text) == pydantic_accepts(text)


def test_the_pattern_uses_only_escapes_every_dialect_reads() -> None:
    """No look-around, no `\\U`, `\\p` or `\\z`: Python, Rust and ECMA-262 agree on it."""
    assert set(re.findall(r"\\(.)", ID_PATTERN)) <= {"x", "u", "."}
    assert "(?" not in ID_PATTERN.replace("(?:", "")


@pytest.mark.parametrize(
    ("text", "segment"),
    [
        ("org:ä/1 %x", "org%3A%C3%A4%2F1%20%25x"),
        ("ws-a01", "ws-a01"),
        ("a.b_c~d", "a.b_c~d"),
        ("?#&+", "%3F%23%26%2B"),
        ("...", "..."),  # a dot-segment is "." or "..", never an id
    ],
)
def test_an_id_is_one_encoded_path_segment(text: str, segment: str) -> None:
    assert path_segment(text) == segment


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=ID_MAX_LENGTH).filter(valid_id))
def test_every_valid_id_survives_a_path_segment(text: str) -> None:
    segment = path_segment(text)
    assert "/" not in segment and segment.isascii() and segment not in {"", ".", ".."}
    assert unquote(segment) == text


def test_vocabulary_imports_neither_exporter_nor_facade() -> None:
    probe = (
        "import sys, vocabulary.ids, vocabulary.id_routes, vocabulary.catalogue; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'exporter', 'facade'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
