"""The code's layers import one way only, and nothing forms a cycle.

constellation -> sim.kernels -> sim.engine -> sim.studies -> sim.outputs -> sim -> cli

Read from the source with ``ast`` (nothing is imported).  A module may import
its own layer and the layers before it.  Imports inside functions follow the
same rule, except the few lazy conveniences listed in LAZY_UPWARD (a
``Result`` that saves or draws itself, as xarray's objects do).
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["constellation", "sim.kernels", "sim.engine", "sim.studies", "sim.outputs", "sim", "cli"]
LAZY_UPWARD = {("sim.engine.result", "sim.outputs.io"), ("sim.engine.result", "sim.outputs.plot")}
# What the command line may not reach past: it builds studies and prints, never simulates itself.
CLI_FORBIDDEN = ("sim.kernels", "sim.engine.run", "sim.engine.grid", "sim.engine.propagate")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    files = [ROOT / "cli.py"] + sorted((ROOT / "constellation").rglob("*.py")) + sorted((ROOT / "sim").rglob("*.py"))
    return {module_name(p): p for p in files}


MODULES = project_modules()


def layer_of(module: str) -> int:
    best = None
    for i, name in enumerate(LAYERS):
        if module == name or module.startswith(name + "."):
            if best is None or len(name) > len(LAYERS[best]):
                best = i
    assert best is not None, module
    return best


def resolve(importer: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The project modules an import statement names (its targets, and a
    ``from package import module`` resolved to the module)."""
    is_package = MODULES[importer].name == "__init__.py"
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            pkg = importer.split(".") if is_package else importer.split(".")[:-1]
            pkg = pkg[:len(pkg) - (node.level - 1)]
            base = ".".join(pkg + ([base] if base else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    out = []
    for n in names:
        while n and n not in MODULES:
            n = n.rpartition(".")[0]
        if n:
            out.append(n)
    return out


def imports(module: str) -> list[tuple[str, bool, int]]:
    """(imported module, inside a function, line) for each project import of ``module``."""
    tree = ast.parse(MODULES[module].read_text())
    found = []

    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.extend((m, in_function, child.lineno) for m in resolve(module, child))
            walk(child, nested)

    walk(tree, False)
    return [(m, lazy, line) for m, lazy, line in found if m != module]


def test_the_layers_are_known():
    assert "sim.kernels.coverage" in MODULES and "sim.studies.study" in MODULES and "cli" in MODULES
    assert {layer_of(m) for m in MODULES} == set(range(len(LAYERS)))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module):
    wrong = [f"line {line}: {module} imports {target}" for target, lazy, line in imports(module)
             if layer_of(target) > layer_of(module) and not (lazy and (module, target) in LAZY_UPWARD)]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    graph = {m: sorted({t for t, lazy, _ in imports(m) if not lazy}) for m in MODULES}
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in graph[m]:
            if state.get(n) == "open":
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(n):] + [n]))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = "done"

    for m in graph:
        if m not in state:
            visit(m)


def test_cli_builds_studies_and_never_simulates_itself():
    reached = {t for t, _, _ in imports("cli")}
    assert not [t for t in reached if t.startswith(CLI_FORBIDDEN)], reached


def test_the_checker_sees_a_wrong_way_import(tmp_path, monkeypatch):
    """A kernel importing the engine is flagged (the test can fail)."""
    fake = tmp_path / "sim" / "kernels" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from sim.engine.grid import Grid\n")
    monkeypatch.setitem(MODULES, "sim.kernels.bad", fake)
    with pytest.raises(AssertionError):
        test_imports_run_one_way("sim.kernels.bad")


# Tests share inputs through conftest.py's fixtures and tests/data/, and code through
# helper modules (tests/reference.py): a test module never imports another test module.
TEST_MODULE_IMPORT = re.compile(r"^[ \t]*(from|import)[ \t]+test_\w*", re.MULTILINE)


def test_test_modules_never_import_each_other():
    tests = ROOT / "tests"
    found = [f"tests/{p.name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0).strip()}"
             for p in sorted(tests.glob("*.py")) for text in [p.read_text()]
             for m in TEST_MODULE_IMPORT.finditer(text)]
    assert not found, "\n".join(found)
    # The check sees both forms, at the top of a file and inside a function.
    assert TEST_MODULE_IMPORT.search("import json\nfrom test_tle import L1\n")
    assert TEST_MODULE_IMPORT.search("def f():\n    import test_tle\n")
    # Helper modules hold no tests: pytest collects only test_*.py, so a test there would never run.
    helpers = [p for p in tests.glob("*.py") if not p.name.startswith("test_") and p.name != "conftest.py"]
    assert (tests / "reference.py") in helpers
    stray = [f"tests/{p.name}: {node.name}" for p in helpers for node in ast.walk(ast.parse(p.read_text()))
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")]
    assert not stray, "\n".join(stray)
