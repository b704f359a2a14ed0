"""Every third-party import is declared in pyproject.toml (a fresh machine installs only what is declared).

The package (derivations/, numerics/, verify/) may use the core dependencies only; tests/, notebooks/ and
examples/ may also use the optional extras.  Imports are read from the source with ``ast`` (also those
inside functions), together with the modules SymPy's ``lambdify`` is told to load by name
(``modules=["scipy", ...]``), which no import statement shows.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = ("derivations", "numerics", "verify")
EXTRA_DIRS = ("tests", "notebooks", "examples")


def _names(requirements) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = _names(project.get("dependencies", []))
    extras = set().union(*(_names(v) for v in project.get("optional-dependencies", {}).values()))
    return core, core | extras


def imported_modules(path: Path) -> set[str]:
    """Top-level names of the absolute imports in ``path``, and lambdify's string modules."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "lambdify":
            for kw in node.keywords:
                if kw.arg == "modules":  # a name, or a list of names and {name: function} dicts
                    elts = kw.value.elts if isinstance(kw.value, (ast.List, ast.Tuple)) else [kw.value]
                    found |= {e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return found


def _local_names() -> set[str]:
    local = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    local |= {p.stem for p in ROOT.glob("tests/*.py")}
    return local


def undeclared(paths, allowed: set[str]) -> list[str]:
    dists = packages_distributions()
    local = _local_names()
    problems = []
    for path in paths:
        for mod in sorted(imported_modules(path)):
            if mod in sys.stdlib_module_names or mod in local or mod == "__future__":
                continue
            candidates = {d.lower().replace("_", "-") for d in dists.get(mod, [])} or {mod.lower().replace("_", "-")}
            if not candidates & allowed:
                problems.append(f"{path.relative_to(ROOT)}: imports {mod} ({'/'.join(sorted(candidates))})")
    return problems


def _files(dirs):
    return [p for d in dirs for p in sorted((ROOT / d).rglob("*.py")) if "__pycache__" not in p.parts]


def test_package_imports_only_core_dependencies():
    core, _ = _declared()
    assert not undeclared(_files(PACKAGE_DIRS), core)


def test_tests_and_notebooks_import_only_declared_distributions():
    _, everything = _declared()
    assert not undeclared(_files(EXTRA_DIRS), everything)


def test_the_check_catches_an_undeclared_import(tmp_path, monkeypatch):
    """The check can fail: a module importing an undeclared distribution (and a lambdify string module)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import json\nimport yaml\nimport sympy\nf = sympy.lambdify(x, e, modules=['numpy', 'numba'])\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    problems = undeclared([bad], {"sympy", "numpy"})
    assert [p.split(": imports ")[1].split(" ")[0] for p in problems] == ["numba", "yaml"]


@pytest.mark.parametrize("mod", ["scipy", "lark", "torch", "sympy", "mpmath", "matplotlib", "rich", "numpy"])
def test_core_runtime_modules_are_declared(mod):
    core, _ = _declared()
    dists = {d.lower() for d in packages_distributions().get(mod, [mod])}
    assert dists & core, f"{mod} is used at run time but not a core dependency"
