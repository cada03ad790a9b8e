"""The packages depend one way and stay small, read from their source with `ast`.

`vocabulary` is what exporter and façade share, so it imports none of the others; exporter,
façade and sandbox import none of each other (nor `stack`); only `stack`, which starts the whole
stack, may import them all.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from stack.supervisor import REPO_ROOT

PACKAGES = ("vocabulary", "exporter", "facade", "sandbox", "stack")
# What each package must never import.
FORBIDDEN = {
    "vocabulary": {"exporter", "facade", "sandbox", "stack"},
    "exporter": {"facade", "sandbox", "stack"},
    "facade": {"exporter", "sandbox", "stack"},
    "sandbox": {"exporter", "facade", "stack"},
    "stack": set(),
}
MAX_MODULE_LINES = 300


def modules(package: str) -> list[Path]:
    """Every Python module of a package, sub-packages included."""
    return sorted((REPO_ROOT / package).rglob("*.py"))


def parsed(path: Path) -> ast.AST:
    """The module's syntax tree. CPython 3.11 can raise a spurious SystemError ("AST constructor
    recursion depth mismatch") when another thread of the process compiled code at the same
    time; a second parse is unaffected."""
    source = path.read_text(encoding="utf-8")
    try:
        return ast.parse(source)
    except SystemError:
        return ast.parse(source)


def imported_packages(tree: ast.AST) -> Iterator[str]:
    """The top-level package of every absolute import, `import_module("…")` included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value.split(".")[0]


def test_every_package_has_modules() -> None:
    for package in PACKAGES:
        assert (REPO_ROOT / package / "__init__.py").is_file(), package
        assert len(modules(package)) > 1, package


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_one_way(package: str) -> None:
    wrong = {
        f"{path.relative_to(REPO_ROOT)} imports {imported}"
        for path in modules(package)
        for imported in imported_packages(parsed(path))
        if imported in FORBIDDEN[package]
    }
    assert wrong == set()


def test_the_import_reader_sees_every_form() -> None:
    tree = ast.parse(
        "import facade.app\nfrom exporter.metrics import x\nfrom . import sibling\n"
        "importlib.import_module('sandbox.server')\n"
    )
    assert set(imported_packages(tree)) == {"facade", "exporter", "sandbox"}


def test_production_modules_stay_small() -> None:
    oversize = {
        str(path.relative_to(REPO_ROOT))
        for package in PACKAGES
        for path in modules(package)
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES
    }
    assert oversize == set(), sorted(oversize)
