"""The package's import graph: no cycle, and no module hides an instrid import inside a function."""

import ast
from pathlib import Path

import instrid

PACKAGE = Path(instrid.__file__).parent
#: Imports of instrid modules inside a function, each hiding a start-up cost from the commands that do
#: not need it: the command line imports each command's modules when it runs; predict writes its PNG
#: with the plotting module (and matplotlib) only when asked for files.
LAZY = {("cli", "*"), ("predict", "plots")}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """``(instrid module, inside a function)`` for every import of an instrid module in ``path``."""
    tree = ast.parse(path.read_text())
    inside = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(fn)
    }
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "instrid":
            names = [node.module] if node.module != "instrid" else [f"instrid.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("instrid.")]
        found += [(name.split(".")[1], id(node) in inside) for name in names if name.count(".") >= 1]
    return found


def _graph() -> dict:
    return {path.stem: _imports(path) for path in sorted(PACKAGE.glob("*.py")) if path.stem != "__init__"}


def test_no_module_imports_an_instrid_module_inside_a_function_but_the_measured_ones():
    hidden = {
        (module, imported)
        for module, imports in _graph().items()
        for imported, lazy in imports
        if lazy and (module, "*") not in LAZY and (module, imported) not in LAZY
    }
    assert not hidden, f"move these imports to the top of the module (or name the cost they hide): {hidden}"


def test_the_import_graph_has_no_cycle():
    graph = {module: {imported for imported, _ in imports} - {module} for module, imports in _graph().items()}
    state = {}

    def visit(module, path):
        if state.get(module) == "open":
            raise AssertionError("import cycle: " + " -> ".join([*path, module]))
        if state.get(module) != "done":
            state[module] = "open"
            for imported in sorted(graph.get(module, ())):
                visit(imported, [*path, module])
            state[module] = "done"

    for module in graph:
        visit(module, [])
    assert {"data", "pipeline", "predict", "plots"} <= set(graph)  # the graph is the package's
