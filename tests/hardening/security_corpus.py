"""Hostile parameter values and every place an endpoint takes one.

`PAYLOADS` are the values the application should see after one URL decoding: the tests
percent-encode them completely. `RAW_PAYLOADS` go verbatim into the request target, so the
server's own decoding (double encodings, invalid escapes, overlong UTF-8) is attacked too.
`slots(document)` lists every path and query parameter of every operation of the OpenAPI
document the façade serves, so a new endpoint or parameter is attacked without editing this file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from facade.promql import ID_PATTERN
from vocabulary import catalogue as cat

_EXECUTIONS = cat.EXECUTIONS.sample_name
PROMQL = [
    'ws"} or vector(1) or {x="',
    'ws",org_id=~".+',
    'ws"}[5m]) or vector(1) #',
    f"sum({_EXECUTIONS})",
    f'{_EXECUTIONS}{{org_id!=""}}',
    "ws or vector(1)",
    "vector(1)",
    "ws[5m]",
    "ws offset 1d",
    "ws @ end()",
    '{__name__=~".+"}',
    'ws=~".*"',
    "=~",
    "!=",
    "# comment",
    "}",
    "{}",
    ")",
]
# Words that are valid ids: they must reach Prometheus as quoted label values, nothing more.
KEYWORDS = ["or", "and", "unless", "by", "without", "offset", "bool", "on", "group_left", "mm_part"]
QUOTES = ['"', "'", "\\", '\\"', 'ws\\"', "' OR '1'='1", '" or 1=1 --', "ws\\"]
REGEX = [".*", ".+", "ws.*", "ws|other", "ws-[a-z]+", "^ws$", "(ws)", "ws?", "[^x]"]
CONTROL = ['ws\n"}', "ws\r\nX-Injected: 1", "ws\x00", "\x00", "\t", " ", "ws 01", ""]
UNICODE = [
    "wś-ä01",
    "ｗｓ-01",  # fullwidth letters
    "ws\u200b",  # zero-width space
    "ws\u202e10",  # right-to-left override
    "ws😀",
    "\ufeffws",  # byte order mark
    "wѕ-01",  # Cyrillic "ѕ"
]
LENGTHS = ["a" * 128, "a" * 129, "x" * 1000, "9" * 40]
TRAVERSAL = [
    "..",
    "../..",
    "../../etc/passwd",
    "/etc/passwd",
    "....//",
    "C:\\Windows\\win.ini",
    "localtime",
    "right/UTC",
    "posixrules",
    "Etc/../../etc/passwd",
]
ENCODED = ["%2e%2e%2f", "%252e", "%00", "%0a", "%22", "%7d", "%"]
NUMBERS = ["-1", "0", "169", "91", "1e3", "24.5", "NaN", "inf", "0x10", "1_0", "٣"]
MARKUP = ["{{7*7}}", "${jndi:ldap://x}", "<script>alert(1)</script>", "[]", '{"a":1}', "null"]

PAYLOADS = [
    *PROMQL,
    *KEYWORDS,
    *QUOTES,
    *REGEX,
    *CONTROL,
    *UNICODE,
    *LENGTHS,
    *TRAVERSAL,
    *ENCODED,
    *NUMBERS,
    *MARKUP,
]
RAW_PAYLOADS = [
    "..",
    "%2e%2e",
    "%2F",
    "a%2Fb",
    "%00",
    "%0A",
    "%ff%fe",
    "%252F",
    "%C0%AE",  # an overlong UTF-8 "."
    "%E2%80%AE",
    "%ZZ",
    "%",
    "%22%7D%20or%20vector(1)",
]
_ID = re.compile(ID_PATTERN, re.ASCII)
ID_PARAMETERS = {"org_id", "workspace_id", "app_id", "namespace_id"}


def is_valid_id(value: str) -> bool:
    """Whether `value` is an id the API accepts."""
    return _ID.fullmatch(value) is not None


@dataclass(frozen=True)
class Slot:
    """One parameter of one operation."""

    template: str
    location: str
    name: str


def slots(document: Mapping[str, Any]) -> list[Slot]:
    """Every path and query parameter of every GET operation of an OpenAPI document."""
    return [
        Slot(template, parameter["in"], parameter["name"])
        for template, item in document["paths"].items()
        for parameter in item["get"].get("parameters", [])
        if parameter["in"] in {"path", "query"}
    ]


def operations(document: Mapping[str, Any]) -> list[str]:
    """Every path template that takes parameters."""
    return [path for path, item in document["paths"].items() if item["get"].get("parameters")]


def target(
    template: str,
    path_values: Mapping[str, str],
    query: Mapping[str, str],
    *,
    raw: frozenset[str] = frozenset(),
) -> str:
    """The request target: values percent-encoded, except those named in `raw` (verbatim)."""
    path = template
    for name, value in path_values.items():
        path = path.replace("{" + name + "}", value if name in raw else quote(value, safe=""))
    pairs = [
        f"{name}={value}" if name in raw else urlencode({name: value})
        for name, value in query.items()
    ]
    return f"{path}?{'&'.join(pairs)}" if pairs else path
