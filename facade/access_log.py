"""gunicorn's access log with every logged value escaped to printable ASCII.

The path gunicorn logs is already percent-decoded, so `/v1/orgs/x%0A127.0.0.1 "GET /admin" 200`
would otherwise write a line of its own into the log, and `%1B` a terminal escape sequence.
Backslashes are escaped too, so an escaped newline and a literal `\\n` stay distinguishable.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger, SafeAtoms


def printable(value: str) -> str:
    """`value` with backslashes, control and non-ASCII characters as Python escapes."""
    return value.encode("unicode_escape").decode("ascii")


class EscapedAtoms(SafeAtoms):
    """The access-log atoms, each string escaped, then its quotes, when the format reads it.

    Escaping on read costs only the handful of atoms the format names, not every header and
    environ value gunicorn collects for each request."""

    def __init__(self, atoms: dict[str, Any]) -> None:
        dict.__init__(self, atoms)  # raw: SafeAtoms would escape quotes before the backslashes

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return printable(value).replace('"', '\\"') if isinstance(value, str) else value


class AccessLogger(Logger):
    """gunicorn's logger whose access log cannot be forged by request data."""

    atoms_wrapper_class = EscapedAtoms
