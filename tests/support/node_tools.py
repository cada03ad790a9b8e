"""The npm tools of the client tests (openapi-typescript, TypeScript, Redocly's linter),
installed once per version set into a cache shared by every run on this host.

A missing `node`/`npm` or a failed install fails the tests that need them, with the reason:
the tools are part of `make test`, never skipped (`scripts/install-system-deps.sh` installs
Node from Debian; the packages come from the npm registry).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

PACKAGES = {"openapi-typescript": "7.13.0", "typescript": "5.9.3", "@redocly/cli": "2.11.1"}
INSTALL_TIMEOUT_SECONDS = 600


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    key = hashlib.sha256(json.dumps(PACKAGES, sort_keys=True).encode()).hexdigest()[:12]
    return Path(base) / "mm-analytics" / f"npm-{key}"


def _install(target: Path) -> None:
    """npm install PACKAGES into a fresh directory renamed to `target` when complete."""
    building = Path(tempfile.mkdtemp(prefix=".npm-", dir=target.parent))
    (building / "package.json").write_text('{"private": true}\n')
    specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *specs],
        cwd=building,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        pytest.fail(f"npm install {' '.join(specs)} failed:\n{done.stderr[-3000:]}")
    building.rename(target)


def node_tools() -> Path:
    """The `node_modules/.bin` directory holding openapi-typescript, tsc and redocly."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: run scripts/install-system-deps.sh")
    root = _cache_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    with (root.parent / f"{root.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one install at a time on this host
        if not (root / "node_modules" / ".bin" / "tsc").exists():
            _install(root)
    return root / "node_modules" / ".bin"
