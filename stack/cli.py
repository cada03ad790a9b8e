"""`mm-analytics`: one command line for every service of the stack."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

# Subcommand → (module with a `main(argv) -> int`, one-line description).
SUBCOMMANDS = {
    "sandbox": ("sandbox.server", "run the sandbox MechaMental platform"),
    "exporter": ("exporter.app", "run the exporter (/metrics, /healthz)"),
    "facade": ("facade.serve", "run the analytics REST façade under gunicorn"),
    "token": ("facade.tokens", "mint an API token for local use"),
    "backfill": ("exporter.backfill.cli", "write the platform's history into the store"),
    "up": ("stack.launcher", "run the whole stack locally until Ctrl-C"),
}


def usage() -> str:
    """The top-level help text."""
    lines = ["usage: mm-analytics <command> [options]", "", "commands:"]
    lines += [f"  {name:<10}{text}" for name, (_, text) in SUBCOMMANDS.items()]
    lines += ["", "mm-analytics <command> --help shows the options of a command."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the subcommand's own `main`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(usage())
        return 0 if args else 2
    if args[0] not in SUBCOMMANDS:
        print(f"mm-analytics: unknown command {args[0]!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, _ = SUBCOMMANDS[args[0]]
    command: Callable[[list[str]], int] = importlib.import_module(module_name).main
    return command(args[1:])


if __name__ == "__main__":
    sys.exit(main())
