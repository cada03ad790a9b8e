"""Session-wide hooks shared by every test package."""

from __future__ import annotations

import pytest

from tests.support.history_stores import reads_history


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start backfilling the façade's history as soon as a collected test needs it.

    The build runs in a child process, so the tests that do not need it overlap with it.
    """
    if any(reads_history(item) for item in session.items):
        from tests.support.history_build import start_background_build  # noqa: PLC0415 - only when needed

        start_background_build()
