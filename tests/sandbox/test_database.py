"""A sandbox database written by an older sandbox opens with today's schema."""

from __future__ import annotations

from pathlib import Path

from sandbox.database import connect, create_schema
from sandbox.store import ACTIVITY, Window, read_page

# The activity table before records carried details or their write time.
FIRST_ACTIVITY = """
CREATE TABLE activity (
    seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, ts_us INTEGER NOT NULL,
    timestamp TEXT NOT NULL, org_id TEXT NOT NULL, workspace_id TEXT NOT NULL, app_id TEXT,
    execution_id TEXT, success INTEGER NOT NULL, status_code INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL);
INSERT INTO activity VALUES
    (1, 'evt-1', 1000000, '1970-01-01T00:00:01.000000Z', 'org-a', 'ws-a', 'app-a', 'exe-1', 0,
     500, 120);
"""


def test_records_from_before_details_are_served_with_nulls(tmp_path: Path) -> None:
    db = connect(tmp_path / "old.db")
    db.executescript(FIRST_ACTIVITY)
    create_schema(db)
    create_schema(db)  # a second start finds nothing to change
    [item] = read_page(db, ACTIVITY, [], Window(10)).items
    assert item == {
        "id": "evt-1",
        "timestamp": "1970-01-01T00:00:01.000000Z",
        "workspace_id": "ws-a",
        "app_id": "app-a",
        "augmentation_id": None,
        "execution_id": "exe-1",
        "success": False,
        "status_code": 500,
        "error_code": None,
        "duration_ms": 120,
        "token_usage": None,
    }
    written = db.execute("SELECT written_us FROM activity").fetchone()[0]
    assert written == 1_000_000
