"""The layers import downward only (DESIGN.md, "Layers").

saliency_core is the shared core: it imports none of the project's other packages. trainer and serving
build on the core; audit_cli builds on the core and serving's session loader (embedded mode), never on
the trainer; audit_beam runs audit_cli's code as a Beam pipeline; saliency_demo sits on top of everything. Checked on the source (ast), so a lazy import
inside a function counts too.
"""

import ast
import os

from conftest import ROOT

PACKAGES = ("saliency_core", "protos", "trainer", "serving", "audit_cli", "audit_beam", "saliency_demo")
ALLOWED = {
    "saliency_core": set(),
    "protos": set(),
    "trainer": {"saliency_core", "protos"},
    "serving": {"saliency_core", "protos"},
    "audit_cli": {"saliency_core", "protos", "serving"},
    "audit_beam": {"saliency_core", "protos", "audit_cli"},  # the audit as a pipeline: audit_cli's code, run by Beam
    "saliency_demo": {"saliency_core", "protos", "trainer", "serving", "audit_cli"},
}


def project_imports(path):
    """Top-level project packages imported anywhere in the file at ``path``."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in PACKAGES)
    return found


def test_no_import_runs_back_up():
    violations = []
    for package in PACKAGES:
        for folder, _, names in os.walk(os.path.join(ROOT, package)):
            for name in sorted(n for n in names if n.endswith(".py")):
                path = os.path.join(folder, name)
                for imported in project_imports(path) - ALLOWED[package] - {package}:
                    violations.append(f"{os.path.relpath(path, ROOT)} imports {imported}")
    assert violations == []


def test_the_checker_sees_lazy_imports(tmp_path):
    # The check must not pass vacuously: an import inside a function is found.
    path = tmp_path / "module.py"
    path.write_text("def f():\n    from trainer.train import fit\n    import audit_cli.cli\n")
    assert project_imports(str(path)) == {"trainer", "audit_cli"}
