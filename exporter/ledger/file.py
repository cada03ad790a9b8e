"""Opening the ledger's SQLite file: created whole, checked before use, never reset.

Exceptions (each message names the file):

    LedgerError            the ledger cannot be used
    ├── LedgerCorrupt      the file is not a ledger this exporter can trust: the exporter
    │                      refuses to start, says what to do, and leaves the file as it was
    └── LedgerUnavailable  the file cannot be written right now (read-only, disk full, no
                           permission, locked): the committed counts stay, writing is retried

A missing ledger is built under a temporary name and renamed into place, so the path only ever
holds a complete ledger: an empty file, or a database without the ledger's tables, means damage,
never "new". An existing file is checked before anything is written to it (not even the switch
to WAL), and side files that a refused check made SQLite create are removed again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from exporter.ledger import details, event_time, history

SCHEMA_VERSION = 4
# Version 1 had no event-time tables, version 2 no detail tables, version 3 no detail history;
# the missing ones are added when such a ledger is first opened for writing (its counts stay as
# they are).
UPGRADABLE_VERSIONS = frozenset({1, 2, 3})
EVENT_TIME_VERSION = 2  # the first version with the event-time tables
DETAILS_VERSION = 3  # the first version with the detail tables
ADDED_TABLES = event_time.SCHEMA + details.SCHEMA + history.SCHEMA
SCHEMA = (
    ADDED_TABLES
    + """
CREATE TABLE executions (
    org_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
    total INTEGER NOT NULL CHECK (total >= 0), failed INTEGER NOT NULL CHECK (failed >= 0),
    PRIMARY KEY (org_id, workspace_id)
) WITHOUT ROWID;
CREATE TABLE high_water (org_id TEXT PRIMARY KEY, micros INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE seen (
    org_id TEXT NOT NULL, record_id TEXT NOT NULL, micros INTEGER NOT NULL,
    PRIMARY KEY (org_id, record_id)
) WITHOUT ROWID;
CREATE INDEX seen_by_time ON seen (org_id, micros);
"""
)
BASE_TABLES = frozenset({"executions", "high_water", "seen"})
TABLES = BASE_TABLES | event_time.TABLES | details.TABLES | history.TABLES
# How long a write waits for a lock held by someone else before it counts as failed.
BUSY_TIMEOUT_MS = 2000
SIDE_FILES = ("-wal", "-shm", "-journal")
SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
# Less free space than this is reported as the likely cause of a failed write: a commit needs
# a few pages of write-ahead log, a first open 32 KiB of shared memory index.
MIN_FREE_BYTES = 256 * 1024
# Primary SQLite result codes that mean the bytes are wrong, not the circumstances.
CORRUPT_CODES = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB
WHAT_TO_DO = (
    "the exporter never resets a ledger: restore it from a backup or move it away (with its "
    "-wal and -shm files) to start a new ledger, which counts the platform's activity again "
    "from EXPORTER_ACTIVITY_START"
)


class LedgerError(Exception):
    """The ledger cannot be opened, read or written; the message says why."""


class LedgerCorrupt(LedgerError):
    """The ledger file is not a ledger this exporter can trust; it is never reset silently."""


class LedgerUnavailable(LedgerError):
    """The ledger cannot be written now (read-only, full, locked); nothing is lost."""


def describe(error: sqlite3.Error) -> str:
    """SQLite's message with its result code name."""
    name = getattr(error, "sqlite_errorname", None)
    return f"{error} ({name})" if name else str(error)


def is_corruption(error: sqlite3.Error) -> bool:
    """Whether SQLite says the file's bytes are damaged (rather than unreachable)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in CORRUPT_CODES


def _side_file(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def write_probe(path: Path) -> OSError | None:
    """Why the ledger's files cannot be opened to write, or a file created beside them; None
    when they can. SQLite itself would quietly fall back to reading only."""
    try:
        for file in (path, *(_side_file(path, suffix) for suffix in SIDE_FILES)):
            if file.exists():
                os.close(os.open(file, os.O_RDWR))
        probe = _side_file(path, f".probe-{os.getpid()}")
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as error:
        return error
    return None


def space_problem(path: Path) -> str | None:
    """ENOSPC's words when the ledger's filesystem has (almost) no room left; None otherwise."""
    try:
        stats = os.statvfs(path.parent)
    except OSError:
        return None
    free = stats.f_bavail * stats.f_frsize
    if free >= MIN_FREE_BYTES:
        return None
    return f"[Errno {errno.ENOSPC}] {os.strerror(errno.ENOSPC)}: {free} bytes free in {path.parent}"


def unavailable(path: Path, action: str, error: sqlite3.Error | OSError) -> LedgerUnavailable:
    """A LedgerUnavailable naming the file, the SQLite error and what the OS says about it
    (SQLite's own words, like "disk I/O error", rarely say what to fix)."""
    reasons = [describe(error) if isinstance(error, sqlite3.Error) else str(error)]
    if isinstance(error, sqlite3.Error):
        reasons += [str(found) for found in (write_probe(path), space_problem(path)) if found]
    return LedgerUnavailable(f"ledger {path} cannot be {action}: " + "; ".join(reasons))


def corrupt(path: Path, what: str) -> LedgerCorrupt:
    """A LedgerCorrupt naming the file, what is wrong with it and what to do."""
    return LedgerCorrupt(f"ledger {path} {what}; {WHAT_TO_DO}")


def failure(path: Path, action: str, error: sqlite3.Error) -> LedgerError:
    """What a SQLite error means for the ledger: damaged bytes, or a file unusable right now."""
    if is_corruption(error):
        return corrupt(path, f"is not a usable SQLite database: {describe(error)}")
    return unavailable(path, action, error)


def _check_bytes(path: Path) -> None:
    """Refuse what is plainly no ledger before SQLite opens it (and creates side files)."""
    wal = _side_file(path, "-wal")
    try:
        if not path.exists():
            if wal.exists() and wal.stat().st_size > 0:
                raise corrupt(path, f"is missing but its write-ahead log {wal} is not")
            return
        size = path.stat().st_size
        if size == 0 and not (wal.exists() and wal.stat().st_size > 0):
            raise corrupt(path, "is an empty file, not a ledger (it may have been truncated)")
        with path.open("rb") as file:
            header = file.read(HEADER_BYTES)
    except OSError as error:
        raise unavailable(path, "read", error) from None
    if size > 0 and (len(header) < HEADER_BYTES or not header.startswith(SQLITE_MAGIC)):
        raise corrupt(path, "is not a usable SQLite database: file is not a database")


def check_schema(connection: sqlite3.Connection, path: Path) -> None:
    """Refuse a database that is not a complete, intact ledger of this schema version."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    upgradable = version in UPGRADABLE_VERSIONS and tables >= BASE_TABLES
    if not upgradable and (version != SCHEMA_VERSION or not tables >= TABLES):
        raise corrupt(
            path,
            f"has schema version {version} and tables {sorted(tables)}; expected version "
            f"{SCHEMA_VERSION} with {sorted(TABLES)}",
        )
    check = connection.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise corrupt(path, f"failed its integrity check: {check}")


def upgrade(connection: sqlite3.Connection) -> None:
    """Bring an older ledger to this schema version in one transaction (nothing is removed)."""
    if connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    connection.executescript(
        f"BEGIN IMMEDIATE; {ADDED_TABLES} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;"
    )


def _create(path: Path) -> None:
    """Build a new, empty ledger beside `path` and rename it into place."""
    temporary = _side_file(path, ".new")
    try:
        for leftover in (temporary, *(_side_file(temporary, side) for side in SIDE_FILES)):
            leftover.unlink(missing_ok=True)  # from a start that died while creating
        connection = sqlite3.connect(temporary, isolation_level=None)
        try:
            connection.executescript(
                f"BEGIN; {SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;"
            )
            connection.execute("PRAGMA journal_mode=WAL").fetchone()
        finally:
            connection.close()
        with temporary.open("rb+") as file:
            os.fsync(file.fileno())
        temporary.rename(path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except (OSError, sqlite3.Error) as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise unavailable(path, "created", error) from None


def _checked(
    connection_of: Callable[[], sqlite3.Connection],
    path: Path,
    action: str,
    prepare: Callable[[sqlite3.Connection], object] = lambda connection: None,
) -> sqlite3.Connection:
    """A connection from `connection_of` whose database passed `check_schema`, then was
    `prepare`d; else an error. Side files SQLite created for a refused file are removed."""
    absent = [side for side in (_side_file(path, s) for s in SIDE_FILES) if not side.exists()]
    connection = None
    try:
        connection = connection_of()
        check_schema(connection, path)
        prepare(connection)
        return connection
    except sqlite3.Error as error:
        refusal: LedgerError = failure(path, action, error)
    except LedgerCorrupt as error:
        refusal = error
    if connection is not None:
        connection.close()
    if isinstance(refusal, LedgerCorrupt):
        for side in absent:
            with contextlib.suppress(OSError):
                side.unlink(missing_ok=True)
    raise refusal


def open_writable(path: Path) -> sqlite3.Connection:
    """A read-write connection (WAL, synchronous FULL) to the checked ledger at `path`,
    created first when nothing is there."""
    _check_bytes(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise unavailable(path, "created", error) from None
    refused = write_probe(path)
    if refused is not None:
        raise unavailable(path, "opened for writing", refused)
    if not path.exists():
        _create(path)

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )

    def prepare(connection: sqlite3.Connection) -> None:
        connection.execute("PRAGMA journal_mode=WAL").fetchone()
        connection.execute("PRAGMA synchronous=FULL")
        upgrade(connection)

    return _checked(connect, path, "opened for writing", prepare)


def open_read_only(path: Path) -> sqlite3.Connection | None:
    """A connection that only reads the checked ledger and changes nothing on disk; None when
    there is no ledger yet."""
    _check_bytes(path)
    if not path.exists():
        return None
    # With a write-ahead log, SQLite must read through it; without one, the file alone is the
    # whole ledger and can be read as immutable (no -shm needed on a read-only or full filesystem).
    try:
        logged = _side_file(path, "-wal").stat().st_size > 0
    except FileNotFoundError:
        logged = False
    mode = "mode=ro" if logged else "immutable=1"
    uri = f"file:{quote(str(path))}?{mode}"
    return _checked(
        lambda: sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False),
        path,
        "read",
    )
