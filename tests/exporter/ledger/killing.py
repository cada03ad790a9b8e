"""Killing a ledger writer mid-commit: the child script prints `committed` once it commits."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from exporter.ledger.store import Ledger, LedgerView


def kill_while_committing(script: str, path: Path, rng: random.Random, most: float) -> LedgerView:
    """Run `script` on the ledger at `path`, SIGKILL it up to `most` seconds after it began to
    commit, and return what the ledger then holds."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "committed\n"
    time.sleep(rng.uniform(0.1, most))
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    ledger = Ledger(path)
    view = ledger.view
    ledger.close()
    return view
