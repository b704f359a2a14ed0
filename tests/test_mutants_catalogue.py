"""The mutation catalogue (tests/mutants.py): every entry applies to today's code, and (slow) every mutant is
killed by the tests named for it; the kill rate is printed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("fbd_mutants", Path(__file__).with_name("mutants.py"))
mutants = sys.modules.setdefault("fbd_mutants", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(mutants)


def test_catalogue_entries_are_distinct_and_name_tests():
    names = [m.name for m in mutants.CATALOGUE]
    assert len(names) == len(set(names)) and len(names) >= 50
    for m in mutants.CATALOGUE + mutants.CONTROLS:
        assert m.old != m.new and m.tests
        for test_id in m.tests:
            path, _, func = test_id.partition("::")
            func = func.split("[", 1)[0]  # a parametrized test: its function
            assert func and f"def {func}(" in (Path(mutants.ROOT) / path).read_text(), test_id


def test_every_named_test_runs_in_the_default_command():
    """A mutant is killed by the default test command: none of the tests it names is marked slow."""
    import ast

    for m in mutants.CATALOGUE:
        for test_id in m.tests:
            path, _, func = test_id.partition("::")
            tree = ast.parse((Path(mutants.ROOT) / path).read_text())
            fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == func.split("[", 1)[0])
            marks = [ast.unparse(d) for d in fn.decorator_list]
            assert not any("slow" in d for d in marks), (m.name, test_id)


@pytest.mark.parametrize("name", [m.name for m in mutants.CATALOGUE + mutants.CONTROLS])
def test_every_mutant_still_applies(name):
    """The target text occurs exactly once and lies inside one function (checked without running anything)."""
    import ast

    m = mutants.BY_NAME[name]
    spec = importlib.util.find_spec(m.module)
    source = Path(spec.origin).read_text()
    assert source.count(m.old) == 1, f"{name}: target text moved or duplicated"
    line = source[: source.index(m.old)].count("\n") + 1
    _, fn = mutants._enclosing(ast.parse(source), line)
    assert fn is not None and line + m.old.rstrip("\n").count("\n") <= fn.end_lineno


def test_a_moved_mutant_fails_loudly():
    moved = mutants.Mutant("moved", "numerics.uds", "this text is not in the module", "x", ("tests/x.py::t",))
    with pytest.raises(mutants.MutantDoesNotApply, match="occurs 0 times"):
        mutants.apply(moved)


def test_an_equivalent_rewrite_of_a_method_survives():
    """The method path (re-bound on its class) leaves behaviour unchanged when the edit is equivalent."""
    assert mutants.outcome("control-marginal-float") == "survived"


@pytest.mark.slow
def test_catalogue_kill_rate(capsys):
    results = {m.name: mutants.outcome(m.name) for m in mutants.CATALOGUE}
    killed = [n for n, r in results.items() if r == "killed"]
    with capsys.disabled():
        print(f"\nmutation catalogue: killed {len(killed)} of {len(results)}")
        for name, res in results.items():
            print(f"  {res:15s} {name}")
    controls = {m.name: mutants.outcome(m.name) for m in mutants.CONTROLS}
    with capsys.disabled():
        for name, res in controls.items():
            print(f"  {res:15s} {name} (equivalent rewrite: must survive)")
    assert len(killed) == len(results), {n: r for n, r in results.items() if r != "killed"}
    assert all(r == "survived" for r in controls.values()), controls
