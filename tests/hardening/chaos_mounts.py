"""Real filesystem conditions for the ledger: read-only bind mounts and small, full tmpfs.

Every mount lives in a private mount namespace held open by one child process, and the exporter
under test runs inside it (`MountNamespace.command`). The rest of the machine never sees these
mounts, and they vanish with the namespace: when the holder exits, or when this test process
dies (the holder waits for its stdin to close), no mount can be left behind. Files inside the
namespace are reached from outside through `/proc/<holder>/root`.

Mounting needs CAP_SYS_ADMIN, which root has on this machine and on its CI copies.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# The holder only waits: it ends when its stdin closes, i.e. when the test process goes away.
HOLD = "import sys; sys.stdin.read()"


class MountError(RuntimeError):
    """A mount command failed; the message holds its output."""


class MountNamespace:
    """A private mount namespace held by one idle child process."""

    def __init__(self) -> None:
        self._holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", HOLD],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            self.run("true")
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int:
        """The holder's process id."""
        return self._holder.pid

    def command(self, *argv: str) -> list[str]:
        """`argv` run inside the namespace."""
        return ["nsenter", f"--mount=/proc/{self.pid}/ns/mnt", "--", *argv]

    def run(self, *argv: str) -> None:
        """Run a command inside the namespace; MountError with its output when it fails."""
        if self._holder.poll() is not None:
            stderr = self._holder.stderr.read().decode() if self._holder.stderr else ""
            raise MountError(
                "no private mount namespace (unshare needs CAP_SYS_ADMIN, as root has here): "
                + stderr.strip()
            )
        result = subprocess.run(
            self.command(*argv), capture_output=True, text=True, check=False, timeout=30
        )
        if result.returncode != 0:
            raise MountError(f"{' '.join(argv)} failed: {result.stderr.strip()}")

    def outside(self, inside: Path) -> Path:
        """The path through which this process reaches `inside` as the namespace sees it."""
        return Path(f"/proc/{self.pid}/root") / inside.resolve().relative_to("/")

    def bind(self, directory: Path) -> None:
        """Bind-mount `directory` onto itself, so it can later be made read-only on its own."""
        self.run("mount", "--bind", str(directory), str(directory))

    def read_only(self, directory: Path, read_only: bool = True) -> None:
        """Make the bind mount at `directory` read-only, or writable again."""
        mode = "ro" if read_only else "rw"
        self.run("mount", "-o", f"remount,bind,{mode}", str(directory))

    def tmpfs(self, directory: Path, size: str) -> None:
        """Mount an empty tmpfs of `size` (e.g. "4m") on `directory`."""
        self.run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(directory))

    def close(self) -> None:
        """End the holder; the namespace and its mounts go with its last process."""
        if self._holder.stdin is not None:
            with contextlib.suppress(OSError):
                self._holder.stdin.close()
        try:
            self._holder.wait(10)
        except subprocess.TimeoutExpired:
            self._holder.kill()
            self._holder.wait()
        if self._holder.stderr is not None:
            self._holder.stderr.close()


@contextlib.contextmanager
def mount_namespace() -> Iterator[MountNamespace]:
    """A private mount namespace for the duration of the block."""
    namespace = MountNamespace()
    try:
        yield namespace
    finally:
        namespace.close()


def fill(path: Path, chunk: int = 64 * 1024) -> int:
    """Write zeros to `path` until the filesystem is full; returns the bytes written."""
    written = 0
    with path.open("wb", buffering=0) as filler:
        block = bytes(chunk)
        while chunk >= 512:
            try:
                written += filler.write(block[:chunk])
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                chunk //= 2  # top up the last partly free blocks too
    return written
