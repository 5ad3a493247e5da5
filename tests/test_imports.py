"""The package's import graph: folders in the data chain's order, lower layers never importing upper ones,
no cycle, and no module hiding an instrid import inside a function."""

import ast
import re
from pathlib import Path

import instrid

PACKAGE = Path(instrid.__file__).parent
REPO = PACKAGE.parent
#: The layers, lowest first; "" is the foundation (errors, files written whole, the cache's locks, the output
#: guard) at the top of the package. A module imports its own layer's modules and lower ones only.
LAYERS = ("", "data", "models", "study", "report", "app")
#: Imports of instrid modules inside a function, each hiding a start-up cost from the commands that do
#: not need it: the command line imports each command's modules when it runs; predict and transcribe write
#: their PNGs with the plotting module (and matplotlib) only when asked for files.
LAZY = {("app.cli", "*"), ("app.predict", "report.plots"), ("app.transcribe", "report.plots")}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "__init__.py" and "__pycache__" not in path.parts
    }


def _imported(node) -> list[str]:
    """The instrid modules (``layer.module`` or a foundation module) an import statement names."""
    if isinstance(node, ast.Import):
        return [a.name.removeprefix("instrid.") for a in node.names if a.name.startswith("instrid.")]
    if not isinstance(node, ast.ImportFrom) or not node.module or node.module.split(".")[0] != "instrid":
        return []
    where = node.module.removeprefix("instrid").lstrip(".")
    if where in LAYERS:  # names of modules in that folder (or foundation modules)
        return [f"{where}.{a.name}".lstrip(".") for a in node.names]
    return [where]


def _imports(path: Path) -> list[tuple[str, bool]]:
    """``(instrid module, inside a function)`` for every import of an instrid module in ``path``."""
    tree = ast.parse(path.read_text())
    inside = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(fn)
    }
    return [(name, id(node) in inside) for node in ast.walk(tree) for name in _imported(node)]


def _graph() -> dict:
    return {name: _imports(path) for name, path in _modules().items()}


def _layer(module: str) -> str:
    return module.split(".")[0] if "." in module else ""


def test_every_module_lives_in_a_layer_and_every_import_names_a_module():
    modules = _modules()
    assert {_layer(m) for m in modules} <= set(LAYERS)
    named = {imported for imports in _graph().values() for imported, _ in imports}
    assert named <= set(modules) | {"__version__"}, f"not modules: {named - set(modules)}"


def test_lower_layers_never_import_upper_ones():
    modules = _modules()
    upward = {
        (module, imported)
        for module, imports in _graph().items()
        for imported, _ in imports
        if imported in modules and LAYERS.index(_layer(imported)) > LAYERS.index(_layer(module))
    }
    assert not upward, f"imports against the data chain's direction: {sorted(upward)}"


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


def test_the_layout_table_names_every_module_and_no_other():
    table = (REPO / "docs" / "layout.md").read_text()
    listed = {m.replace("/", ".") for m in re.findall(r"`instrid/([a-z_/]+)\.py`", table)}
    assert listed == set(_modules()), (
        f"docs/layout.md lacks {sorted(set(_modules()) - listed)}, lists {sorted(listed - set(_modules()))}"
    )
