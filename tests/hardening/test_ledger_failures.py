"""The ledger under real failures: a read-only path, a full disk, and files that are no ledger.

While the ledger cannot be written the exporter keeps serving the committed counts and
high-water marks unchanged (from its first scrape on, after a restart too) and says why (log,
`/healthz`, `collector_up` 0, failures counter); once the condition clears it catches up to the
exact truth. The conditions are real: a read-only bind mount and a small tmpfs filled up, in a
private mount namespace that cannot outlive the test.
A file that is not a ledger stops the start with a message naming it and what to do, and is
left byte for byte as it was.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from exporter.ledger.store import Ledger
from exporter.platform.api import ExecutionRecord
from stack.supervisor import free_port, python_command
from tests.exporter.conftest import ExporterProcess, Samples, exporter_env, launch_exporter
from tests.exporter.truth import executions, truth_executions
from tests.hardening.chaos_exporter import collector_value, high_water, wait_until
from tests.hardening.chaos_mounts import MountNamespace, fill, mount_namespace
from tests.support.sandbox import SandboxServer
from vocabulary import catalogue as cat

READ_ONLY = "Read-only file system"
DISK_FULL = ("database or disk is full", "No space left on device")
WHAT_TO_DO = "restore it from a backup or move it away"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A small sandbox platform, stream paused: executions arrive only when a test inserts them."""
    server = SandboxServer(tmp_path_factory.mktemp("ledger-sandbox"), orgs=2, workspaces=3)
    with server:
        yield server


@pytest.fixture
def namespace() -> Iterator[MountNamespace]:
    """A private mount namespace; its mounts disappear with it."""
    with mount_namespace() as held:
        yield held


@pytest.fixture
def exporters() -> Iterator[list[ExporterProcess]]:
    """Exporters a test started; all stopped (before any unmount) at its end."""
    started: list[ExporterProcess] = []
    yield started
    for exporter in started:
        exporter.process.stop()


def add_executions(sandbox: SandboxServer, count: int, failed: int) -> dict:
    """Insert executions into the first workspace; returns the new truth of every workspace."""
    first = next(iter(truth_executions(sandbox.truth())))
    sandbox.insert_executions(first[1], count, failed=failed)
    return truth_executions(sandbox.truth())


def activity(samples: Samples, family: cat.Family) -> float | None:
    """A self-metric of the activity collector."""
    return collector_value(samples, family, "activity")


def committed(counts: dict) -> dict:
    """The workspaces with executions (the others appear at 0 once the inventory has run)."""
    return {key: value for key, value in counts.items() if value != (0, 0)}


def assert_held(exporter: ExporterProcess, counts: dict, marks: dict, reasons: tuple[str, ...]):
    """The exporter refuses to advance: counts and marks stay, and every channel says why."""
    first = exporter.wait_for(
        lambda s: (
            activity(s, cat.COLLECTOR_UP) == 0.0
            and collector_value(s, cat.COLLECTOR_UP, "inventory") == 1.0
        )
    )
    failures = activity(first, cat.COLLECTOR_FAILURES) or 0.0
    # Two more failed polls: the counts and the high-water marks have had time to move, and did not.
    later = exporter.wait_for(lambda s: (activity(s, cat.COLLECTOR_FAILURES) or 0) >= failures + 2)
    assert activity(later, cat.COLLECTOR_UP) == 0.0
    assert executions(later) == counts
    assert high_water(later) == marks
    health = exporter.health()
    assert health.status_code == 503
    reason = health.json()["reasons"]["activity"]
    path = str(exporter.ledger_path)
    assert path in reason and any(text in reason for text in reasons), reason
    assert exporter.process.log_path is not None
    log = exporter.process.log_path.read_text()
    lines = [line for line in log.splitlines() if path in line]
    assert any(text in line for line in lines for text in reasons), log[-3000:]
    assert "Traceback" not in log


def wait_caught_up(exporter: ExporterProcess, sandbox: SandboxServer) -> Samples:
    """The exporter counts exactly the truth again and its activity collector is up."""
    expected = truth_executions(sandbox.truth())
    return exporter.wait_for(
        lambda s: executions(s) == expected and activity(s, cat.COLLECTOR_UP) == 1.0, timeout=30
    )


@pytest.mark.parametrize(
    "stop", [signal.SIGTERM, signal.SIGKILL, None], ids=["clean-stop", "kill-9", "no-ledger-yet"]
)
def test_a_read_only_ledger_holds_the_counts_says_why_and_catches_up(
    sandbox, namespace, exporters, tmp_path, stop
):
    ledger_dir = tmp_path / "ledger"
    ledger_dir.mkdir()
    namespace.bind(ledger_dir)
    port, ledger = free_port(), ledger_dir / "ledger.sqlite3"

    def start() -> ExporterProcess:
        exporters.append(
            launch_exporter(sandbox, tmp_path, port=port, ledger=ledger, prefix=namespace.command())
        )
        return exporters[-1]

    counts = add_executions(sandbox, 6, failed=2)
    if stop is None:
        counts = dict.fromkeys(counts, (0, 0))  # nothing was ever committed
    else:
        exporter = start()
        exporter.wait_for(lambda s: executions(s) == counts)
        exporter.process.signal(stop)
        exporter.process.stop()
    namespace.read_only(ledger_dir)
    add_executions(sandbox, 5, failed=1)  # arrives while nothing can be committed

    exporter = start()
    first = exporter.scrape()  # the committed state, from the first scrape on
    assert committed(executions(first)) == committed(counts)
    marks = high_water(first)
    assert len(marks) == (0 if stop is None else len(sandbox.org_ids()))
    assert_held(exporter, counts, marks, (READ_ONLY,))

    namespace.read_only(ledger_dir, read_only=False)
    wait_caught_up(exporter, sandbox)
    wait_until(lambda: exporter.health().status_code == 200, 30, lambda: exporter.health().text)


@pytest.mark.parametrize("when", ["while-running", "at-start"])
def test_a_full_disk_holds_the_counts_says_why_and_catches_up(
    sandbox, namespace, exporters, tmp_path, when
):
    ledger_dir = tmp_path / "ledger"
    ledger_dir.mkdir()
    namespace.tmpfs(ledger_dir, "4m")
    port, ledger = free_port(), ledger_dir / "ledger.sqlite3"

    def start() -> ExporterProcess:
        exporters.append(
            launch_exporter(sandbox, tmp_path, port=port, ledger=ledger, prefix=namespace.command())
        )
        return exporters[-1]

    exporter = start()
    counts = add_executions(sandbox, 9, failed=4)
    exporter.wait_for(lambda s: executions(s) == counts)
    if when == "at-start":
        exporter.process.stop()  # a clean stop leaves the ledger without -wal and -shm files
    filler = namespace.outside(ledger_dir / "filler")
    assert fill(filler) > 0
    add_executions(sandbox, 4, failed=1)
    if when == "while-running":
        assert_held(exporter, counts, high_water(exporter.scrape()), DISK_FULL)
        exporter.process.kill()  # and a restart while the disk is still full

    exporter = start()
    first = exporter.scrape()  # the committed state, from the first scrape on
    assert committed(executions(first)) == committed(counts)
    assert_held(exporter, counts, high_water(first), DISK_FULL)

    filler.unlink()
    wait_caught_up(exporter, sandbox)


# -- files that are not a ledger ----------------------------------------------------------------


def real_ledger(path: Path) -> bytes:
    """A ledger with counts, closed cleanly; returns its bytes."""
    ledger = Ledger(path)
    for batch in range(40):
        records = [
            ExecutionRecord(f"r{batch}-{n}", batch, f"ws-{n % 4}", n % 3 == 0) for n in range(25)
        ]
        ledger.commit("org-a", records, high_water=batch, prune_before=0)
    ledger.close()
    return path.read_bytes()


def foreign_database(path: Path) -> bytes:
    """A valid SQLite database of another application (rollback journal, as most are)."""
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
        connection.executemany(
            "INSERT INTO invoices (amount) VALUES (?)", [(n,) for n in range(99)]
        )
    connection.close()
    return path.read_bytes()


def empty_database(path: Path) -> bytes:
    """A valid SQLite database without a single table."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 0")
    connection.execute("VACUUM")  # writes the header: a real, empty database file
    connection.close()
    return path.read_bytes()


def newer_ledger(path: Path) -> bytes:
    """A ledger whose schema version is newer than this exporter knows."""
    real_ledger(path)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    return path.read_bytes()


CORRUPTIONS: dict[str, Callable[[Path], bytes]] = {
    "garbage": lambda path: b"\x00\xffnot a ledger\n" * 700,
    "empty-file": lambda path: b"",
    "truncated-header": lambda path: real_ledger(path)[:60],
    "truncated-first-page": lambda path: real_ledger(path)[:4096],
    "truncated-half": lambda path: (data := real_ledger(path))[: len(data) // 2],
    "foreign-schema": foreign_database,
    "empty-database": empty_database,
    "newer-schema": newer_ledger,
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_a_file_that_is_not_a_ledger_stops_the_start_and_stays_untouched(sandbox, tmp_path, kind):
    directory = tmp_path / "ledger"
    directory.mkdir()
    ledger = directory / "ledger.sqlite3"
    content = CORRUPTIONS[kind](tmp_path / "source.sqlite3")
    ledger.write_bytes(content)
    result = subprocess.run(
        python_command("exporter"),
        env=exporter_env(sandbox, free_port(), ledger),
        capture_output=True,
        text=True,
        timeout=20,  # a refused ledger ends the start in about a second
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert f"ledger {ledger}" in result.stderr
    assert WHAT_TO_DO in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert ledger.read_bytes() == content
    assert sorted(path.name for path in directory.iterdir()) == [ledger.name]


# -- the ledger file itself ----------------------------------------------------------------------


def test_a_new_ledger_appears_whole_and_a_dead_creation_leaves_nothing_behind(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    leftover = tmp_path / "ledger.sqlite3.new"
    leftover.write_bytes(b"half of a ledger whose creation was killed")
    ledger = Ledger(path)
    ledger.commit("org-a", [ExecutionRecord("r1", 5, "ws-1", True)], high_water=5, prune_before=0)
    ledger.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    reopened = Ledger(path)
    assert dict(reopened.view.counts) == {("org-a", "ws-1"): (1, 1)}
    reopened.close()


def test_two_processes_sharing_a_ledger_each_expose_what_is_committed(tmp_path):
    """An overlapping restart: the old and the new exporter both write for a while."""
    path = tmp_path / "ledger.sqlite3"
    old, new = Ledger(path), Ledger(path)
    old.commit("org-a", [ExecutionRecord(f"a{n}", n, "ws-1", n < 2) for n in range(5)], 10, 0)
    new.commit("org-a", [ExecutionRecord(f"b{n}", n, "ws-1", False) for n in range(7)], 20, 0)
    old.commit("org-a", [], high_water=30, prune_before=0)  # a poll that found nothing new
    with sqlite3.connect(path) as reader:
        truth = dict(
            ((org, ws), (total, failed))
            for org, ws, total, failed in reader.execute("SELECT * FROM executions")
        )
    reader.close()
    assert truth == {("org-a", "ws-1"): (12, 2)}
    assert dict(old.view.counts) == truth
    assert dict(old.view.high_water) == {"org-a": 30}
    assert dict(new.view.counts) == truth  # its own commit read back the other's counts
    assert dict(new.view.high_water) == {"org-a": 20}
    old.close()
    new.close()
