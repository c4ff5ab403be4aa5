"""The package's shape: no module imports one that imports it back, and layers point one way.

From the bottom: ``errors``, ``constants`` and ``progress``; ``engine`` (the model and
its kernels); ``io`` (reading, the validator, writing); ``lp``; ``outputs``; the
``anaplan`` integration; ``api``, ``cli``, ``sync`` (pull, run, push) and ``cluster``
(which runs ``api`` on every partition) on top. A module may import from its own layer
or from below, never from above (``outputs.compare`` runs both engines through ``api``,
the one exception, and ``api`` never imports it).
"""

from __future__ import annotations

import ast
from pathlib import Path

from support.cli import ROOT

PACKAGE = ROOT / "consumption"
LAYERS = ["base", "engine", "io", "lp", "outputs", "anaplan", "top"]
BASE = {"consumption", "consumption.errors", "consumption.constants", "consumption.progress"}
TOP = {"consumption.api", "consumption.cli", "consumption.sync"}


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    modules = {_name(p) for p in PACKAGE.rglob("*.py")}
    for path in PACKAGE.rglob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[_name(path)] = {m for m in found if m in modules and m != _name(path)}
    return graph


def _layer(module: str) -> int:
    if module in BASE:
        return 0
    if module in TOP or module.startswith("consumption.cluster"):
        return len(LAYERS) - 1
    return LAYERS.index(module.split(".")[1])


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = _imports()
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for target in graph[module]:
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif len(path) < 12:
                visit(target, [*path, target])

    for module in graph:
        visit(module, [module])
    assert not cycles, cycles[:5]


def test_layers_point_one_way() -> None:
    wrong = [
        (module, target)
        for module, targets in _imports().items()
        for target in targets
        if _layer(target) > _layer(module)
        and not (module == "consumption.outputs.compare" and target == "consumption.api")
        and module != "consumption"  # the package re-exports the public API
    ]
    assert not wrong, wrong
