"""The one grammar of platform ids (org, workspace, app, namespace) and their form in a URL.

The platform's ids are plain strings (its API reference types every id as `string`), so an id
is any printable text of 1 to 128 code points: letters of any script, digits, punctuation,
`:`, `/`, `%`, quotes, backslashes and inner spaces included. Refused, each for a reason:

- control characters (C0, DEL, C1): they forge log lines and headers;
- invisible format characters (zero-width spaces, bidi overrides and isolates, soft hyphen,
  byte order mark): an id that reads like another must not be another;
- line and paragraph separators, and the Specials block (U+FFF9-U+FFFF): U+FFFD is what a
  decoder writes for bytes that were not UTF-8, and Prometheus's PromQL lexer refuses it
  inside a string;
- a space (of any width) at either end: configured ids are trimmed, so a padded id could
  never be configured, and it is a typo far more often than a name;
- `.` and `..`: as a URL path segment they mean "here" and "up", and clients and proxies
  remove or resolve them, encoded or not (requests turns `%2E%2E` back into `..`);
- `*`: the wildcard of the platform's permission strings (`analytics:*:view`), so the
  permission for a workspace named `*` would read the whole org.

`ID_PATTERN` is that grammar as one regular expression that Python's `re`, pydantic's Rust
engine and JSON Schema (ECMA-262) read alike (hence no look-around and `\\uXXXX` escapes); use
it with a full match (`$` in Python also matches before a final newline, which the character
classes refuse anyway). `valid_id` is the same test for Python callers.
"""

from __future__ import annotations

import re
from urllib.parse import quote

ID_MAX_LENGTH = 128

# Control, invisible format and separator characters, and the Specials block.
_UNPRINTABLE = (
    r"\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    r"\ufeff\ufff9-\uffff"
)
_SPACES = r" \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_INNER = rf"[^{_UNPRINTABLE}]"  # any character inside an id, spaces included
_EDGE = rf"[^{_SPACES}{_UNPRINTABLE}]"  # the last character: not a space
_LEAD = rf"[^.{_SPACES}{_UNPRINTABLE}]"  # a first character other than "."
_ALONE = rf"[^.*{_SPACES}{_UNPRINTABLE}]"  # an id of one character: not ".", "*" or a space
_MIDDLE = ID_MAX_LENGTH - 2
ID_PATTERN = (
    rf"^(?:{_ALONE}"  # one character
    rf"|{_LEAD}{_INNER}{{0,{_MIDDLE}}}{_EDGE}"  # two or more, not starting with "."
    rf"|\.{_LEAD}"  # "." and one more that is not "." (so never "..")
    rf"|\.{_INNER}{{1,{_MIDDLE}}}{_EDGE})$"  # "." and two or more ("...", ".a b", ...)
)
# Python strings may also hold lone surrogates (a Rust or JSON Schema string never does):
# they are not text and cannot be encoded into a URL.
ID_REGEX = re.compile(ID_PATTERN.replace(_UNPRINTABLE, _UNPRINTABLE + r"\ud800-\udfff"))


def valid_id(text: object) -> bool:
    """Whether `text` is an id of the platform's grammar (see the module docstring)."""
    return isinstance(text, str) and ID_REGEX.fullmatch(text) is not None


def path_segment(value: str) -> str:
    """`value` as one percent-encoded URL path segment (`/` → `%2F`, `%` → `%25`, UTF-8)."""
    return quote(value, safe="")
