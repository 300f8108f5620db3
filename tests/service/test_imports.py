"""The import graph of src/ragstar has no cycle (issue 12: jobs.py no longer imports service.py).

The graph is read from the source with :mod:`ast`, so it counts every import
statement wherever it sits: at module level, under ``if TYPE_CHECKING:`` and
inside functions (a lazy import hides a cycle from the interpreter, not from
the design).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

PACKAGE = "ragstar"
SOURCE = Path(__file__).resolve().parents[2] / "src" / PACKAGE


def module_name(path: Path) -> str:
    """``src/ragstar/jobs.py`` -> ``ragstar.jobs``; ``__init__.py`` -> ``ragstar``."""
    parts = [PACKAGE, *path.relative_to(SOURCE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that the file at ``path`` imports.

    ``from ragstar import ranking`` names the submodule ``ragstar.ranking`` when
    there is one, else (``from ragstar import __version__``) the package itself.
    Relative imports are resolved against the file's package.
    """
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            # `import ragstar.store.x` would name a non-module; keep its longest module prefix.
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != here:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module of the package -> the modules of the package it imports."""
    files = sorted(SOURCE.rglob("*.py"))
    modules = {module_name(path) for path in files}
    return {module_name(path): imported_modules(path, modules) for path in files}


def test_the_package_has_no_import_cycle() -> None:
    assert SOURCE.is_dir(), SOURCE
    graph = import_graph()
    edges = sorted(f"{source} -> {target}" for source, targets in graph.items() for target in targets)
    print("\n".join(edges))  # shown with `pytest -s`, and on failure
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}\nedges:\n" + "\n".join(edges)) from None


def test_the_job_runner_does_not_reach_the_service() -> None:
    graph = import_graph()
    assert "ragstar.service" in graph and "ragstar.jobs" in graph["ragstar.service"]
    reached: set[str] = set()
    pending = ["ragstar.jobs"]
    while pending:
        for target in graph[pending.pop()] - reached:
            reached.add(target)
            pending.append(target)
    assert "ragstar.service" not in reached, sorted(reached)
