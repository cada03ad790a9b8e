"""The access log's atoms: request data cannot write a line of its own or an escape sequence."""

from __future__ import annotations

from facade.access_log import EscapedAtoms

FORMAT = '%(h)s "%(r)s" %(s)s %({user-agent}i)s %(b)s %(missing)s'


def test_control_characters_backslashes_and_quotes_are_escaped_in_that_order() -> None:
    atoms = {
        "h": "127.0.0.1",
        "r": 'GET /v1/x\n127.0.0.1 "GET /admin"\x1b[31m\\n',
        "s": "200",
        "{user-agent}i": 'curl"\r\n',
        "b": 12,
    }
    line = FORMAT % EscapedAtoms(atoms)
    assert line == (
        '127.0.0.1 "GET /v1/x\\n127.0.0.1 \\"GET /admin\\"\\x1b[31m\\\\n" 200 curl\\"\\r\\n 12 -'
    )
    assert "\n" not in line and "\x1b" not in line


def test_header_atoms_are_found_whatever_their_case() -> None:
    atoms = EscapedAtoms({"{x-request-id}i": "abc"})
    assert atoms["{X-Request-Id}i"] == "abc"
    assert atoms["{absent}i"] == "-"
