"""The layers import downward only (DESIGN.md, "Layers").

saliency_core is the shared core: it imports none of the project's other packages. cli_common holds what the
command lines share (click types, error handling). trainer and serving build on the core; audit_engine builds on
the core and serving's session loader (embedded mode), never on the trainer nor on a runner; audit_beam runs the
engine as a Beam pipeline; audit_cli is the command lines of the audit (audit-cli and audit-beam); saliency_demo sits
on top of everything. Checked on the source (ast), so a lazy import inside a function counts too. Neither the core
nor the engine imports click: they are libraries.
"""

import ast
import os

from conftest import ROOT

PACKAGES = ("saliency_core", "protos", "cli_common", "trainer", "serving", "audit_engine", "audit_beam", "audit_cli",
            "saliency_demo")
ALLOWED = {
    "saliency_core": set(),
    "protos": set(),
    "cli_common": {"saliency_core"},
    "trainer": {"saliency_core", "protos", "cli_common"},
    "serving": {"saliency_core", "protos", "cli_common"},
    "audit_engine": {"saliency_core", "protos", "serving"},
    "audit_beam": {"saliency_core", "protos", "audit_engine"},  # the engine as a pipeline, run by Beam
    "audit_cli": {"saliency_core", "protos", "cli_common", "audit_engine", "audit_beam"},
    "saliency_demo": {"saliency_core", "protos", "cli_common", "trainer", "serving", "audit_engine"},
}
LIBRARIES = ("saliency_core", "protos", "audit_engine", "audit_beam")  # no command-line framework in them


def source_files(packages=PACKAGES):
    """(package, path) of every Python file of ``packages``."""
    for package in packages:
        for folder, _, names in os.walk(os.path.join(ROOT, package)):
            for name in sorted(n for n in names if n.endswith(".py")):
                yield package, os.path.join(folder, name)


def imports_of(path):
    """(module, names) of every absolute import anywhere in the file at ``path`` (``import a`` gives (a, ()))."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, tuple(alias.name for alias in node.names)


def imported_modules(path):
    """Every absolute module imported anywhere in the file at ``path``."""
    return {module for module, _ in imports_of(path)}


def project_imports(path):
    """Top-level project packages imported anywhere in the file at ``path``."""
    return {name.split(".")[0] for name in imported_modules(path) if name.split(".")[0] in PACKAGES}


def test_no_import_runs_back_up():
    violations = [f"{os.path.relpath(path, ROOT)} imports {imported}" for package, path in source_files()
                  for imported in project_imports(path) - ALLOWED[package] - {package}]
    assert violations == []


def test_libraries_import_no_command_line_framework():
    found = [os.path.relpath(path, ROOT) for _, path in source_files(LIBRARIES)
             if {"click", "argparse"} & imported_modules(path)]
    assert found == []


def module_graph():
    """{module: project modules it imports} over every package's modules (lazy imports included). ``from a import
    b`` imports module a.b when there is one, else names from a."""
    sources = {os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".").removesuffix(".__init__"): path
               for _, path in source_files()}
    graph = {}
    for module, path in sources.items():
        imports = set()
        for imported, names in imports_of(path):
            submodules = {f"{imported}.{name}" for name in names} & sources.keys()
            imports.update(submodules or {imported})
        graph[module] = imports & sources.keys()
    return graph


def test_no_module_import_loop():
    graph = module_graph()
    loops, state = [], {}

    def visit(module, path):
        state[module] = "open"
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                loops.append(" -> ".join(path[path.index(imported):] + [imported]) if imported in path else imported)
            elif imported not in state:
                visit(imported, path + [imported])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert loops == []


def test_no_source_module_over_400_lines():
    long = []
    for _, path in source_files():
        if path.endswith(("_pb2.py", "descriptors.py")):  # generated
            continue
        with open(path, encoding="utf-8") as f:
            count = sum(1 for _ in f)
        if count > 400:
            long.append(f"{os.path.relpath(path, ROOT)}: {count}")
    assert long == []


def test_the_checker_sees_lazy_imports(tmp_path):
    # The check must not pass vacuously: an import inside a function is found.
    path = tmp_path / "module.py"
    path.write_text("def f():\n    from trainer.train import fit\n    import audit_cli.cli\n")
    assert project_imports(str(path)) == {"trainer", "audit_cli"}


# Packages whose every public function has type hints on its parameters and its return.
ANNOTATED = ("saliency_core", "audit_engine")


def test_public_functions_of_annotated_packages_have_type_hints():
    missing = []
    for _, path in source_files(ANNOTATED):
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                parameters = [a for a in node.args.args + node.args.kwonlyargs if a.arg not in ("self", "cls")]
                if node.returns is None or any(a.annotation is None for a in parameters):
                    missing.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} {node.name}")
    assert missing == []
